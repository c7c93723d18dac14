"""Headless paths never load textual; the model never loads I/O libraries; --help loads nothing heavy.

Checked in a fresh interpreter (the test process itself has imported everything), as harlequin does.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import sovwatch.model

ROOT = Path(__file__).resolve().parents[1]

HEADLESS = [
    "sovwatch.cli",
    "sovwatch.launch",
    "sovwatch.headless",
    "sovwatch.views.plain",
    "sovwatch.views.ndjson",
    "sovwatch.views.transitions",
    "sovwatch.sources.recording",
    "sovwatch.sources.replay",
    "sovwatch.sources.live",
    "sovwatch.store.store",
]
MODEL = [f"sovwatch.model.{m.name}" for m in pkgutil.iter_modules(sovwatch.model.__path__)]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter on the tree under test (which must exit 0)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )


def _loaded_after_import(modules: list[str], suspects: list[str]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted({{s for s in {suspects!r} if s in sys.modules}})))\n"
    )
    return json.loads(_python(code).stdout)


@pytest.mark.parametrize(
    ("modules", "forbidden"),
    [
        (HEADLESS, ["textual", "rich"]),
        (MODEL, ["textual", "rich", "aiohttp", "yaml", "kubernetes", "asyncio"]),
        (["sovwatch.cli"], ["textual", "aiohttp", "kubernetes", "yaml", "sovsim"]),
        # The `kubernetes` package's API client is ~20 MiB resident; sovwatch reads kubeconfigs itself.
        (["sovwatch.kube.config", "sovwatch.kube.api", "sovwatch.sources.live"], ["kubernetes"]),
    ],
    ids=["headless-no-textual", "model-pure", "cli-light", "no-kubernetes-client"],
)
def test_imports_stay_out(modules: list[str], forbidden: list[str]):
    assert modules
    assert _loaded_after_import(modules, forbidden) == []


def test_a_headless_replay_never_loads_textual(tmp_path: Path):
    """Not just the imports: running `sovwatch replay -o plain` end to end leaves textual unloaded."""
    from sovwatch.sources.events import HealthState, StreamHealth
    from sovwatch.sources.recording import Recorder

    recording = tmp_path / "r.ndjson"
    with Recorder(recording, context="demo", server="http://127.0.0.1:1", started=1.0) as rec:
        rec.write(StreamHealth("pods", HealthState.LIVE, 1.0))
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['sovwatch', 'replay', {str(recording)!r}, '--speed', 'instant', '-o', 'plain']\n"
        "try:\n"
        "    runpy.run_module('sovwatch', run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    print('exit', stop.code, 'textual' in sys.modules, file=sys.stderr)\n"
    )
    done = _python(code)
    assert done.stderr.splitlines()[-1] == "exit 0 False"
    assert "outcome" in done.stdout


# A plain install (`pip install sovwatch`) has no cryptography: only `sovwatch sim --tls` needs it.
_WITHOUT_CRYPTOGRAPHY = (
    "import sys\n"
    "sys.modules['cryptography'] = None  # as if not installed: importing it fails\n"
    "from sovwatch.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _sovwatch_without_cryptography(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_CRYPTOGRAPHY, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
    )


def test_the_demo_runs_from_a_plain_install():
    done = _sovwatch_without_cryptography(
        "demo", "--scenario", "tiny", "--speed", "200", "-o", "json", "--once"
    )
    assert done.returncode in (0, 1, 3), done.stderr
    assert json.loads(done.stdout)["schema"] == "sovwatch.snapshot/v1"


def test_sim_over_tls_without_the_extra_says_what_to_install():
    done = _sovwatch_without_cryptography("sim", "--scenario", "tiny")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "sovwatch: serving HTTPS needs cryptography: pip install 'sovwatch[tls]', or run with --no-tls"
    ]
