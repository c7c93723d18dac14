"""The programs under measurement and whether the tree under test has them yet.

sovwatch pieces land on other branches; a benchmark asks here before measuring one and reports
"not available yet" (with the reason) rather than a made-up figure.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from bench.procs import REPO

KUBECTL_WATCH = "kubectl get -w -o json (pods + hr)"
SOVWATCH_JSON = "sovwatch -o json"
SOVWATCH_TUI = "sovwatch TUI (run_test)"


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def missing_headless() -> str | None:
    """Why `sovwatch -o json` / `--once` cannot run from this tree, or None if it can."""
    if not (_has("sovwatch.launch") and _has("sovwatch.sources.live")):
        return "not available yet: headless/engine branches not merged"
    return None


def missing_tui() -> str | None:
    """Why the Textual app cannot run from this tree, or None if it can."""
    if not (_has("sovwatch.views.tui.app") and _has("sovwatch.launch")):
        return "not available yet: tui/headless branches not merged"
    return None


def missing_fleet_screen() -> str | None:
    """Why this tree has no fleet screen (so a fleet is measured headless), or None."""
    if not _has("sovwatch.views.tui.screens.fleet"):
        return "not available yet: the fleet screen is not merged (measured headless -o plain)"
    return None


def sovwatch(kubeconfig: Path, *args: str) -> list[str]:
    """`sovwatch --kubeconfig K ARGS` run from the tree under test."""
    return [sys.executable, "-m", "sovwatch", "--kubeconfig", str(kubeconfig), *args]


def app_host(kubeconfig: Path, *args: str) -> list[str]:
    """The real app under `App.run_test` (headless, no terminal) in a child process."""
    return [sys.executable, "-m", "bench.app_host", "--kubeconfig", str(kubeconfig), *args]


__all__ = ["REPO"]
