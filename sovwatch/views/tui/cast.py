"""The TUI's rendering of a replay, written as an asciicast v2 file (`asciinema play FILE`).

The real app runs with a driver that keeps what Textual writes instead of sending it to a terminal
(`CastDriver`). Nobody is at the keyboard and nothing is waited for: the replay's frames
(`sources.replay.frames`: the recording's pace, idle stretches compressed) are fed to the app's
store one after the other, each flushed and painted at once, and what the app wrote for a frame
becomes one output event stamped with the frame's playback time. The bytes are the ones a terminal
of the same size and `TERM` would get, with the same colours.

asciicast v2 (docs.asciinema.org/manual/asciicast/v2): a JSON header line (`version`, `width`,
`height`, `timestamp`, `duration`, `title`, `env`), then one `[time, "o", data]` line per output.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from textual.drivers.headless_driver import HeadlessDriver

from sovwatch.sources.events import SourceItem
from sovwatch.views.tui.app import SovwatchApp

HIDE_CURSOR = "\x1b[?25l"


class Frame(Protocol):
    """One moment of playback (`sources.replay.Frame`)."""

    at: float
    """Seconds since playback began: the event's time in the cast."""
    clock: float
    """The recording's clock, which the app shows."""
    items: Sequence[SourceItem]
    """What became due since the previous frame."""


class CastDriver(HeadlessDriver):
    """A driver with no terminal behind it that keeps everything the app writes in `sink`."""

    sink: list[str] = []

    @property
    def is_headless(self) -> bool:
        return False  # the app renders and writes as it would to a terminal

    def start_application_mode(self) -> None:
        self.sink.append(HIDE_CURSOR)
        super().start_application_mode()

    def write(self, data: str) -> None:
        self.sink.append(data)


async def _nothing() -> AsyncIterator[SourceItem]:
    return
    yield


def _driver_into(sink: list[str]) -> type[CastDriver]:
    return type("CastDriverInto", (CastDriver,), {"sink": sink})


@dataclass
class CastHeader:
    width: int
    height: int
    timestamp: int
    title: str
    term: str

    def line(self, duration: float) -> dict:
        return {
            "version": 2,
            "width": self.width,
            "height": self.height,
            "timestamp": self.timestamp,
            "duration": round(duration, 3),
            "title": self.title,
            "env": {"TERM": self.term},
        }


class FrameClock:
    """The clock a cast's app shows: the current frame's recording time."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FleetTape(Protocol):
    """A fleet's recording for a cast (`fleet_recording.FleetReplay`, its members joined)."""

    def cluster_of(self, item: SourceItem) -> str: ...
    def say_notes(self, *, until: float) -> None: ...


async def render_cast(
    app: SovwatchApp,
    frames: Sequence[Frame],
    *,
    header: CastHeader,
) -> str:
    """Play `frames` through `app` and return the asciicast; the app's source is replaced
    by one that yields nothing (the frames feed its store) and its clock by the frames'."""
    clock = FrameClock(frames[0].clock if frames else 0.0)
    app.clock = clock
    app.source_factory = _nothing

    async def feed(frame: Frame, pilot) -> None:
        for item in frame.items:
            app.store.apply(item)
        app.flush()
        await pilot.pause(0)  # every widget has taken its update in; then paint

    return await _record(app, frames, clock, feed, header=header)


async def render_fleet_cast(
    app: SovwatchApp,
    frames: Sequence[Frame],
    *,
    tape: FleetTape,
    clock: FrameClock,
    header: CastHeader,
) -> str:
    """Play a fleet's `frames` through `app` on the fleet screen and return the asciicast: each
    item goes to its cluster's store, each note (trouble, leaving) is said at its time, every
    member publishes what changed and the fleet screen is drawn, frame by frame. The members'
    pipelines read `clock`, which the frames move."""
    fleet = app.fleet
    assert fleet is not None

    async def feed(frame: Frame, pilot) -> None:
        tape.say_notes(until=frame.clock)
        for item in frame.items:
            name = tape.cluster_of(item)
            if name in fleet:
                fleet[name].pipeline.store.apply(item)
        for member in fleet:
            member.pipeline.flush()
        await pilot.pause(0)  # the members' snapshots have reached the app
        app.draw_fleet_now()
        await pilot.pause(0)

    return await _record(app, frames, clock, feed, header=header)


async def _record(
    app: SovwatchApp,
    frames: Sequence[Frame],
    clock: FrameClock,
    feed: Callable[[Frame, Any], Awaitable[None]],
    *,
    header: CastHeader,
) -> str:
    """Run `app` headless, `feed` each frame at its time and keep what the app wrote for it."""
    sink: list[str] = []
    app.seek_keys_shown = False  # a video has no keyboard
    app.driver_class = _driver_into(sink)
    events: list[tuple[float, str]] = []

    async def play(pilot) -> None:
        for frame in frames:
            clock.now = frame.clock
            await feed(frame, pilot)
            written = "".join(sink)
            sink.clear()
            if written:
                events.append((frame.at, written))
        app.exit()

    await app.run_async(size=(header.width, header.height), auto_pilot=play)
    duration = frames[-1].at if frames else 0.0
    lines = [json.dumps(header.line(duration))]
    lines += [json.dumps([round(at, 6), "o", data]) for at, data in events]
    return "\n".join(lines) + "\n"
