"""What the app is told from outside: its settings and the optional replay control.

The CLI builds these; the app only reads them. Kept apart from app.py so widgets and tests can use the
types without importing the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sovwatch.store.store import Store


@dataclass(frozen=True)
class TuiSettings:
    """View settings for the Textual app (the CLI may pass any object with these attributes)."""

    ascii: bool | None = None
    """Draw ASCII glyphs only; None picks automatically from the locale."""
    expect: int | None = None
    """How many HelmReleases the rollout should end with (`--expect`); None lets the model infer it."""
    refresh_hz: float = 8.0
    """At most how often changes are applied to the screen while they keep coming (a lone change
    shows after 50 ms; the model's CPU is bounded apart, `pipeline.interactive`)."""
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

    @property
    def position(self) -> int:
        """How many recorded items have been played."""
        ...

    @property
    def finished(self) -> bool: ...

    def seek(self, position: int, t: float) -> None:
        """Go on from `position` items played, the clock at recording time `t`."""
        ...


class Landing(Protocol):
    position: int
    at: float
    release: tuple[str, str, str] | None


class ReplayNavigator(Protocol):
    """Where seeks land in a recording (`sovwatch.navigation.Navigator`)."""

    @property
    def start(self) -> float:
        """When the recording's first item was received."""
        ...

    @property
    def end(self) -> float:
        """When its last item was received."""
        ...

    def land(self, where: str, now: float) -> Landing | None:
        """Where `where` (back, forward, start, end, change, failure) goes from the replay's
        position at `now`; None when there is nothing there."""
        ...

    def items(self, start: int, stop: int) -> list:
        """The recorded items from position `start` to `stop`."""
        ...

    def store_at(self, position: int) -> Store:
        """A store as a straight replay leaves it after `position` items."""
        ...
