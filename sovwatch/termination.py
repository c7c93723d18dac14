"""SIGTERM and SIGHUP (an SSH drop) end sovwatch as Ctrl-C does: exit 130, the summary first, no
traceback."""

from __future__ import annotations

import signal


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def interrupt_on_termination() -> None:
    """Make SIGTERM and SIGHUP interrupt like Ctrl-C (KeyboardInterrupt: exit 130, no traceback).
    Called first thing, and again after an event loop closes (asyncio puts the default, killing,
    action back)."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
