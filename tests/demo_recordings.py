"""Recordings of the shipped demo scenarios, made the way a user makes one: `sovwatch demo --record`
in a subprocess (the emulator, the real watch path over HTTP, the recorder), at a high speed and a
fixed seed. The replay tests share them (session fixtures in tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEED = "200"


def record_demo(directory: Path, scenario: str) -> Path:
    """`sovwatch demo --scenario SCENARIO --record` until the rollout is decided; the recording."""
    path = directory / f"{scenario}.ndjson.gz"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sovwatch",
            "demo",
            "--scenario",
            scenario,
            "--speed",
            SPEED,
            "--seed",
            "1",
            "-o",
            "plain",
            "--exit-on-done",
            "--record",
            str(path),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr  # ready, or failed (stuck)
    return path


def first_failure(recording: Path) -> str:
    """The first HelmRelease that `sovwatch replay -o plain` reports going failed or stalled (the
    headless path's transition log, not the TUI's navigation)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sovwatch",
            "replay",
            str(recording),
            "--speed",
            "instant",
            "-o",
            "plain",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TZ": "UTC"},
        check=True,
    )
    for line in done.stdout.splitlines():
        words = line.split()
        transition = len(words) > 4 and words[1].startswith("bp-") and words[3] == "->"
        if transition and words[4] in ("failed", "stalled"):
            return words[1]
    raise AssertionError("no release failed in the plain replay:\n" + done.stdout[-2000:])
