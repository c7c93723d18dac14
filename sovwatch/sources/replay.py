"""Replay: a recording re-emitted as a source, at 1x, Nx or instant speed, with pause and step.

The replay source yields the same `SourceItem`s the live source yielded, with their original
receive times, so the store, the model and every view behave exactly as they did live. Time is the
recording's time: `ReplayControl.now()` is the clock the model and the headless views use instead of
the wall clock, so durations, timeouts and timestamps read as they did when it was recorded.
`ReplayControl` is a small object the TUI can drive (pause, step, faster/slower) without knowing
anything about files.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Iterable

from sovwatch.sources.events import SourceItem, StreamHealth
from sovwatch.sources.recording import Damage

INSTANT = math.inf
"""The speed of a replay that does not wait at all (`--speed instant`)."""

_YIELD_EVERY = 256
"""At instant speed, give the event loop a turn this often so a TUI stays responsive."""


def item_time(item: SourceItem) -> float:
    """When an item was received (health records carry their transition time)."""
    return item.since if isinstance(item, StreamHealth) else item.received_at


class ReplayControl:
    """Pause, step and speed of a replay, and its clock in recording time."""

    def __init__(self, *, speed: float = 1.0, paused: bool = False):
        self._speed = speed
        self._paused = paused
        self._steps = 0
        self._base_t: float | None = None
        self._base_wall = time.monotonic()
        self._changed = asyncio.Event()
        self.played = 0
        """How many items have been emitted."""
        self.finished = False
        """True once the recording has been played to its end (or to where it broke)."""
        self.damage: Damage | None = None
        """Where the recording broke, if it did; set when `finished` is."""

    # -- what the TUI drives ---------------------------------------------------------------------

    @property
    def speed(self) -> float:
        """Speed factor; `INSTANT` (infinity) plays without waiting."""
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    def set_speed(self, speed: float) -> None:
        self._rebase()
        self._speed = speed
        self._changed.set()

    def pause(self) -> None:
        self._rebase()
        self._paused = True
        self._changed.set()

    def resume(self) -> None:
        self._rebase()
        self._paused = False
        self._changed.set()

    def toggle_pause(self) -> None:
        self.resume() if self._paused else self.pause()

    def step(self) -> None:
        """While paused, let exactly one more item through."""
        self._steps += 1
        self._changed.set()

    # -- the clock -------------------------------------------------------------------------------

    def now(self) -> float:
        """The recording's time at this moment of playback (0.0 before the first item)."""
        if self._base_t is None:
            return 0.0
        if self._paused or self.finished or self._speed == INSTANT:
            return self._base_t
        return self._base_t + (time.monotonic() - self._base_wall) * self._speed

    def _rebase(self) -> None:
        if self._base_t is not None:
            self._base_t = self.now()
        self._base_wall = time.monotonic()

    # -- what the source calls -------------------------------------------------------------------

    async def _wait_until(self, t: float) -> None:
        """Return when the item at recording time `t` is due."""
        if self._base_t is None:
            self._base_t, self._base_wall = t, time.monotonic()
        while True:
            self._changed.clear()
            if self._paused:
                if self._steps:
                    self._steps -= 1
                    return
                await self._changed.wait()
                continue
            if self._speed == INSTANT:
                return
            delay = (t - self.now()) / self._speed
            if delay <= 0:
                return
            try:
                await asyncio.wait_for(self._changed.wait(), delay)
            except TimeoutError:
                return

    def _played(self, t: float) -> None:
        self.played += 1
        now = self.now()
        if t > now or self._paused or self._speed == INSTANT:
            # anchor the clock on the item just played; never backwards (health times can lag)
            self._base_t, self._base_wall = max(t, now), time.monotonic()

    def _finish(self, damage: Damage | None) -> None:
        self._rebase()
        self.damage = damage
        self.finished = True
        self._changed.set()


async def replay(
    items: Iterable[SourceItem], *, control: ReplayControl
) -> AsyncIterator[SourceItem]:
    """Re-emit `items` (usually a `RecordingReader`) paced by `control`.

    Args:
        items: the recorded items, in order.
        control: pause/step/speed; when the items run out it is marked finished, with the
            reader's `damage` (where a truncated or corrupt recording broke), if any.
    """
    for item in items:
        t = item_time(item)
        await control._wait_until(t)
        yield item
        control._played(t)
        if control.speed == INSTANT and control.played % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
    control._finish(getattr(items, "damage", None))
