"""What the app is told from outside: its settings and the optional replay control.

The CLI builds these; the app only reads them. Kept apart from app.py so widgets and tests can use the
types without importing the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TuiSettings:
    """View settings for the Textual app (the CLI may pass any object with these attributes)."""

    ascii: bool | None = None
    """Draw ASCII glyphs only; None picks automatically from the locale."""
    expect: int | None = None
    """How many HelmReleases the rollout should end with (`--expect`); None lets the model infer it."""
    refresh_hz: float = 4.0
    """How often pending changes are applied to the screen. 2-4 Hz keeps SSH traffic and CPU low."""
    failed_first: bool = False
    """Start with failed and stalled releases sorted first instead of dependency order."""


class ReplayControl(Protocol):
    """What replay mode exposes to the app: the app shows speed and pause, and forwards keys."""

    @property
    def paused(self) -> bool: ...

    @property
    def speed(self) -> float | None:
        """Replay speed factor (1.0 = recorded pace, 60.0 = one minute per second; infinity or
        None = instant)."""
        ...

    def toggle_pause(self) -> None: ...

    def step(self) -> None:
        """While paused, release the next recorded event."""
        ...
