"""Warnings the operator must see (an unverified server) reach stderr in every headless mode,
and never stdout, which carries data only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from markupsafe import escape

from tests.cli.cli_helpers import sovwatch


def _unverified(path: Path) -> Path:
    """The kubeconfig at `path`, its server no longer verified (insecure-skip-tls-verify)."""
    doc = yaml.safe_load(path.read_text())
    cluster = doc["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["insecure-skip-tls-verify"] = True
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize("output", ["plain", "json"])
async def test_insecure_skip_tls_verify_is_a_warning(tls_emulator, kubeconfig_path, output: str):
    path = _unverified(kubeconfig_path(tls_emulator))
    result = await sovwatch("--kubeconfig", str(path), "--once", "-o", output)
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "insecure-skip-tls-verify" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("sovwatch: warning: ")
    # the data carries it too (plain: a warning line; json: the snapshot's cluster.warnings),
    # so a log of the output alone still says the server was not verified
    data_warnings = [line for line in result.out.splitlines() if "insecure-skip-tls-verify" in line]
    assert len(data_warnings) == 1
    if output == "json":
        assert json.loads(result.out)["schema"] == "sovwatch.snapshot/v1"


async def test_a_replay_says_the_recorded_warnings_as_the_live_run_did(
    tls_emulator, kubeconfig_path, tmp_path
):
    """The recording's header keeps them: the replay says them on stderr, plain prints its
    warning line and the report lists them. Before: a replay of an unverified server said
    nothing of it."""
    path = _unverified(kubeconfig_path(tls_emulator))
    recording = tmp_path / "run.ndjson"
    live = await sovwatch(
        "--kubeconfig", str(path), "--once", "-o", "plain", "--record", str(recording)
    )
    assert live.code == 0, live.err
    said = [line for line in live.err.splitlines() if "insecure-skip-tls-verify" in line]
    assert len(said) == 1, live.err
    replayed = await sovwatch("replay", str(recording), "--speed", "instant", "-o", "plain")
    assert replayed.code == 0, replayed.err
    assert replayed.err.splitlines() == said
    warning = said[0].removeprefix("sovwatch: warning: ")
    assert [line for line in replayed.out.splitlines() if warning in line] != []
    report = await sovwatch("report", str(recording), "-o", str(tmp_path / "r.html"))
    assert report.code == 0, report.err
    assert escape(warning) in (tmp_path / "r.html").read_text()
