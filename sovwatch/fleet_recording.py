"""A fleet's recording: written as its members watch, played back as a fleet.

Writing: `Tapped` wraps each member's source so its items go to the one `Recorder` tagged with
the member's name, and `TroubleNotes` (a fleet subscriber) notes every change of a member's
trouble (`sources.recording` describes the lines).

Playing: the recording is read into memory; one replay source plays every item at the recorded
pace (`sources.replay`, one `ReplayControl` and clock for all) and hands each to its cluster's
member; notes (trouble, a cluster leaving) are said when the replay's clock reaches them. Members
join in the order their clusters first appear::

    played = FleetReplay(reader, control=control, pipeline=new_pipeline, settings=settings)
    played.fleet.subscribe(view)   # as for a live fleet
    await played.play()            # to the end of the recording
    await played.end()             # every member's source ends
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass

from sovwatch.fleet import Fleet, Member, MemberSpec
from sovwatch.pipeline import LogReader, Pipeline
from sovwatch.settings import WatchSettings
from sovwatch.sources.events import LogStreams, SourceItem
from sovwatch.sources.recording import Recorder, RecordingReader, TroubleNote
from sovwatch.sources.replay import ReplayControl, Tape, item_time, replay


@dataclass(frozen=True)
class _Played:
    """A replayed cluster, as the fleet's opener returns it."""

    source: Callable[[], AsyncIterator[SourceItem]]
    context: str
    server: str
    warnings: tuple[str, ...] = ()
    logs: LogReader | None = None
    log_streams: LogStreams | None = None


class FleetReplay:
    """A fleet recording and the fleet it plays into."""

    def __init__(
        self,
        reader: RecordingReader,
        *,
        control: ReplayControl,
        pipeline: Callable[[], Pipeline],
        settings: WatchSettings,
    ) -> None:
        items: list[SourceItem] = []
        self._clusters: list[str] = []
        self._notes: list[TroubleNote] = []
        servers: dict[str, str] = {}
        for entry in reader.fleet_entries():
            if isinstance(entry, TroubleNote):
                self._notes.append(entry)
                servers.setdefault(entry.cluster, entry.server)
                name = entry.cluster
            else:
                name, item = entry
                items.append(item)
                self._clusters.append(name)
            servers.setdefault(name, "")
        self.tape = Tape.of(items)
        self.damage = reader.damage
        self._control = control
        self._servers = servers
        self._queues: dict[str, asyncio.Queue[SourceItem | None]] = {}
        self.fleet = Fleet(
            opener=self._open, pipeline=pipeline, settings=settings, clock=control.now
        )

    async def _open(self, spec: MemberSpec) -> _Played:
        queue = self._queues.setdefault(spec.name, asyncio.Queue())

        async def items() -> AsyncIterator[SourceItem]:
            while (item := await queue.get()) is not None:
                yield item

        return _Played(source=items, context=spec.name, server=self._servers.get(spec.name, ""))

    async def play(self) -> None:
        """Play the recording to its end, then end every member's source."""
        for name in self._servers:
            self._queues.setdefault(name, asyncio.Queue())
            self.fleet.add(MemberSpec(name))
        # each member's task opens (the opener never waits) before the first note is said
        await asyncio.sleep(0)
        notes = iter(self._notes)
        note = next(notes, None)
        async for n, item in _numbered(replay(self.tape, control=self._control)):
            while note is not None and note.t <= item_time(item):
                self._say(note)
                note = next(notes, None)
            if self._clusters[n] in self.fleet:
                await self._queues[self._clusters[n]].put(item)
        for rest in ([note] if note is not None else []) + list(notes):
            self._say(rest)

    def _say(self, note: TroubleNote) -> None:
        if note.removed:
            self.fleet.remove(note.cluster)
        elif note.cluster in self.fleet:
            self.fleet.set_trouble(note.cluster, note.trouble, server=note.server)

    async def end(self) -> None:
        """End every member's source (after `play`)."""
        for queue in self._queues.values():
            await queue.put(None)


async def _numbered(items: AsyncIterator[SourceItem]) -> AsyncIterator[tuple[int, SourceItem]]:
    n = 0
    async for item in items:
        yield n, item
        n += 1


def tapped(
    source: Callable[[], AsyncIterator[SourceItem]], recorder: Recorder, cluster: str
) -> Callable[[], AsyncIterator[SourceItem]]:
    """`source`, with every item also written to a fleet's `recorder`, tagged with `cluster`."""

    async def items() -> AsyncIterator[SourceItem]:
        async with aclosing(source()) as inner:
            async for item in inner:
                recorder.write(item, cluster=cluster)
                yield item

    return items


class TroubleNotes:
    """Notes every change of a member's trouble in a fleet's recording (a fleet subscriber)."""

    def __init__(self, recorder: Recorder, clock: Callable[[], float]) -> None:
        self._recorder = recorder
        self._clock = clock

    def member_added(self, member: Member) -> None:
        self._note(member)

    def member_removed(self, member: Member) -> None:
        self._note(member, removed=True)

    def member_trouble(self, member: Member) -> None:
        self._note(member)

    def _note(self, member: Member, *, removed: bool = False) -> None:
        self._recorder.note(
            TroubleNote(
                member.name,
                self._clock(),
                server=member.server,
                trouble=member.trouble,
                removed=removed,
            )
        )
