"""Replay: a recording re-emitted as a source, at 1x, Nx or instant speed, with pause, step and seek.

The replay source yields the same `SourceItem`s the live source yielded, with their original
receive times, so the store, the model and every view behave exactly as they did live. Time is the
recording's time: `ReplayControl.now()` is the clock the model and the headless views use instead of
the wall clock, so durations, timeouts and timestamps read as they did when it was recorded.
Idle stretches are compressed: a gap between two items that would take longer than `IDLE_LIMIT`
of wall time plays in `IDLE_LIMIT` (the clock runs faster through it), and the lead-in before the
first HelmRelease (Flux's CRDs and controllers arriving: an empty table) plays at once, unless
`idle_limit=None` (`--real-gaps`). `ReplayControl` is a small object the TUI can drive (pause, step, speed, seek)
without knowing anything about files; a `Tape` is the recording held in memory, so playback can
start again from any position.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from sovwatch.sources.events import SourceItem, StreamHealth, WatchEvent
from sovwatch.sources.recording import Damage

INSTANT = math.inf
"""The speed of a replay that does not wait at all (`--speed instant`)."""
IDLE_LIMIT = 1.0
"""Wall-clock seconds at most that a stretch with no recorded item takes to play."""

_YIELD_EVERY = 256
"""At instant speed, give the event loop a turn this often so a TUI stays responsive."""


def item_time(item: SourceItem) -> float:
    """When an item was received (health records carry their transition time)."""
    return item.since if isinstance(item, StreamHealth) else item.received_at


@dataclass(frozen=True)
class Tape:
    """A recording in memory: its items in order, when each plays, and where the file broke."""

    items: tuple[SourceItem, ...]
    times: tuple[float, ...]
    """The recording-clock instant each item plays at: its receive time, never before the item
    ahead of it (a health record's transition time can lag what was received before it)."""
    damage: Damage | None = None
    lead_in: int = 0
    """How many items come before the first HelmRelease (0 when there is none)."""

    @classmethod
    def of(cls, items: Iterable[SourceItem]) -> Tape:
        """Read `items` (a `RecordingReader`, a list) to their end."""
        kept = tuple(items)
        times: list[float] = []
        for item in kept:
            times.append(max(item_time(item), times[-1]) if times else item_time(item))
        lead_in = next(
            (
                i
                for i, item in enumerate(kept)
                if isinstance(item, WatchEvent) and item.obj.get("kind") == "HelmRelease"
            ),
            0,
        )
        return cls(kept, tuple(times), getattr(items, "damage", None), lead_in)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def start(self) -> float:
        return self.times[0] if self.times else 0.0

    @property
    def end(self) -> float:
        return self.times[-1] if self.times else 0.0

    def played_by(self, t: float) -> int:
        """How many items a replay has played when its clock reads `t`."""
        return bisect.bisect_right(self.times, t)


class ReplayControl:
    """Pause, step, speed and position of a replay, and its clock in recording time."""

    def __init__(
        self, *, speed: float = 1.0, paused: bool = False, idle_limit: float | None = IDLE_LIMIT
    ):
        self._speed = speed
        self._paused = paused
        self.idle_limit = idle_limit
        """Wall seconds a gap between items takes at most (None: as recorded, `--real-gaps`)."""
        self._steps = 0
        self._base_t: float | None = None
        self._base_wall = time.monotonic()
        self._due: float | None = None
        """The recording time of the item being waited for, while the source waits."""
        self._rate = speed
        """Recording seconds per wall second in the current gap (the speed, or faster when idle)."""
        self._changed = asyncio.Event()
        self.tape: Tape | None = None
        """The recording being played (set by `replay`)."""
        self.position = 0
        """How many items of the tape have been played (where the next one is taken from)."""
        self.seeks = 0
        """Incremented by every `seek`: a wait in progress for another position is dropped."""
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
        self._gap_rate()
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

    def seek(self, position: int, t: float) -> None:
        """Go on from `position` (items played) with the clock at recording time `t`; paused stays
        paused. A source that had finished must be started again (`replay`) to play on."""
        self.position = position
        self.seeks += 1
        self._steps = 0
        self._base_t, self._base_wall = t, time.monotonic()
        self._due, self._rate = None, self._speed
        self.finished = False
        self._changed.set()

    # -- the clock -------------------------------------------------------------------------------

    def now(self) -> float:
        """The recording's time at this moment of playback (0.0 before the first item); while an
        item is awaited, never past its time."""
        if self._base_t is None:
            return 0.0
        if self._paused or self.finished or self._speed == INSTANT:
            return self._base_t
        t = self._base_t + (time.monotonic() - self._base_wall) * self._rate
        return t if self._due is None else min(t, self._due)

    def _rebase(self) -> None:
        if self._base_t is not None:
            self._base_t = self.now()
        self._base_wall = time.monotonic()

    def _gap_rate(self) -> None:
        """The clock's rate up to the awaited item: the speed, or faster so that the rest of the gap
        takes `idle_limit` of wall time."""
        self._rate = self._speed
        if self._due is None or self._base_t is None or self.idle_limit is None:
            return
        if self._speed != INSTANT and (self._due - self._base_t) / self._speed > self.idle_limit:
            self._rate = (self._due - self._base_t) / self.idle_limit

    # -- what the source calls -------------------------------------------------------------------

    async def _wait_until(self, t: float) -> None:
        """Return when the item at recording time `t` is due (or when a seek moved elsewhere)."""
        if self._base_t is None:
            self._base_t, self._base_wall = t, time.monotonic()
        seeks = self.seeks
        self._rebase()
        self._due = t
        self._gap_rate()
        try:
            while seeks == self.seeks:
                self._changed.clear()
                if self._paused:
                    if self._steps:
                        self._steps -= 1
                        return
                    await self._changed.wait()
                    continue
                if self._speed == INSTANT or self._in_lead_in():
                    return
                delay = (t - self.now()) / self._rate
                if delay <= 0:
                    return
                try:
                    await asyncio.wait_for(self._changed.wait(), delay)
                except TimeoutError:
                    return
        finally:
            if seeks == self.seeks:  # the item is due: the clock reads its time
                self._rebase()
                self._base_t = max(self._base_t or t, t)
                self._due, self._rate = None, self._speed

    def _in_lead_in(self) -> bool:
        """Whether the next item is still before the first HelmRelease, to be played at once."""
        return (
            self.idle_limit is not None
            and self.tape is not None
            and self.position <= self.tape.lead_in
        )

    def _played(self, t: float) -> None:
        self.played += 1
        self.position += 1
        # anchor the clock on the item just played; never backwards (health times can lag)
        self._base_t = t if self._base_t is None else max(t, self._base_t)
        self._base_wall = time.monotonic()

    def _finish(self, damage: Damage | None) -> None:
        """The clock stops where the last item played."""
        self.damage = damage
        self.finished = True
        self._changed.set()


async def replay(
    items: Tape | Iterable[SourceItem], *, control: ReplayControl
) -> AsyncIterator[SourceItem]:
    """Re-emit a recording paced by `control`, from `control.position` on.

    Args:
        items: the recording: a `Tape`, or items in order (usually a `RecordingReader`), read into
            one first.
        control: pause/step/speed/seek; when the items run out it is marked finished, with the
            reader's `damage` (where a truncated or corrupt recording broke), if any.
    """
    tape = items if isinstance(items, Tape) else Tape.of(items)
    control.tape = tape
    while control.position < len(tape):
        position, seeks = control.position, control.seeks
        t = tape.times[position]
        await control._wait_until(t)
        if seeks != control.seeks:
            continue  # moved elsewhere while waiting
        yield tape.items[position]
        if seeks != control.seeks:
            continue
        control._played(t)
        if control.speed == INSTANT and control.played % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
    control._finish(tape.damage)


@dataclass(frozen=True)
class Frame:
    """What a viewer of the replay sees change at one moment of playback."""

    at: float
    """Seconds since playback began."""
    clock: float
    """The recording's clock at that moment."""
    items: tuple[SourceItem, ...]
    """The items that became due since the previous frame."""


def frames(
    tape: Tape, *, speed: float = 1.0, idle_limit: float | None = IDLE_LIMIT, every: float = 0.25
) -> list[Frame]:
    """The replay as `ReplayControl` paces it (speed, idle stretches compressed to `idle_limit`,
    the lead-in at once), cut into frames `every` seconds of playback apart, computed rather than waited for."""
    played: list[float] = []
    at, before = 0.0, tape.start
    for i, t in enumerate(tape.times):
        gap = (t - before) / speed
        if idle_limit is not None:
            gap = 0.0 if i <= tape.lead_in else min(gap, idle_limit)
        at += gap
        played.append(at)
        before = t
    out: list[Frame] = []
    done, step = 0, 0
    while True:
        at = step * every
        due = bisect.bisect_right(played, at)
        if due == len(tape):
            clock = tape.end
        else:  # inside the gap before item `due`, the clock runs evenly from one item to the next
            low, high = played[due - 1], played[due]
            share = (at - low) / (high - low) if high > low else 0.0
            clock = tape.times[due - 1] + share * (tape.times[due] - tape.times[due - 1])
        out.append(Frame(at, clock, tape.items[done:due]))
        done = due
        if due == len(tape):
            return out
        step += 1
