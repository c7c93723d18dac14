"""One recorded `stuck` demo run, shared: it ends with `--exit-on-done` (exit 1) and writes its own
reports with `--report`, so the tests compare them with `sovwatch report` of its recording."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.cli_helpers import ROOT, env


@dataclass(frozen=True)
class StuckRun:
    code: int
    recording: Path
    html: Path
    markdown: Path
    stdout: str


def run_sovwatch(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sovwatch", *args],
        capture_output=True, text=True, timeout=timeout, env=env(), cwd=ROOT, check=False,
    )  # fmt: skip


@pytest.fixture(scope="session")
def stuck_run(tmp_path_factory) -> StuckRun:
    where = tmp_path_factory.mktemp("stuck")
    recording, html, markdown = where / "stuck.ndjson", where / "run.html", where / "run.md"
    done = run_sovwatch(
        "demo", "--scenario", "stuck", "-o", "plain", "--speed", "300", "--exit-on-done",
        "--record", str(recording), "--report", str(html), "--report", str(markdown),
    )  # fmt: skip
    assert done.stderr == ""
    return StuckRun(done.returncode, recording, html, markdown, done.stdout)
