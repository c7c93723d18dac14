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

`recorded_clusters(reader)` splits it instead: each cluster's items and how it ended (its
post-mortem report is made from them as from one cluster's recording).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field

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
        clock: Callable[[], float] | None = None,
    ) -> None:
        """`clock` is the fleet's (`Fleet.clock`): the replay's (`control.now`) unless given (a
        cast's frame clock)."""
        items: list[SourceItem] = []
        self._clusters: list[str] = []
        self._notes: list[TroubleNote] = []
        servers: dict[str, str] = {}
        self._warnings: dict[str, tuple[str, ...]] = {}
        """Each cluster's latest warnings noted: its connection's, as when it was watched."""
        for entry in reader.fleet_entries():
            if isinstance(entry, TroubleNote):
                self._notes.append(entry)
                servers.setdefault(entry.cluster, entry.server)
                name = entry.cluster
                if entry.warnings:
                    self._warnings[name] = entry.warnings
            else:
                name, item = entry
                items.append(item)
                self._clusters.append(name)
            servers.setdefault(name, "")
        self.tape = Tape.of(items)
        self._owners = {
            id(item): name for item, name in zip(self.tape.items, self._clusters, strict=True)
        }
        self._said = 0
        """How many notes have been said."""
        self.damage = reader.damage
        self._control = control
        self._servers = servers
        self._queues: dict[str, asyncio.Queue[SourceItem | None]] = {}
        self.fleet = Fleet(
            opener=self._open, pipeline=pipeline, settings=settings, clock=clock or control.now
        )

    async def _open(self, spec: MemberSpec) -> _Played:
        queue = self._queues.setdefault(spec.name, asyncio.Queue())

        async def items() -> AsyncIterator[SourceItem]:
            while (item := await queue.get()) is not None:
                yield item

        return _Played(
            source=items,
            context=spec.name,
            server=self._servers.get(spec.name, ""),
            warnings=self._warnings.get(spec.name, ()),
        )

    def join(self) -> None:
        """Every cluster of the recording joins the fleet (its source waits for `play`)."""
        for name in self._servers:
            self._queues.setdefault(name, asyncio.Queue())
            self.fleet.add(MemberSpec(name))

    async def play(self) -> None:
        """Play the recording to its end, then end every member's source."""
        self.join()
        # each member's task opens (the opener never waits) before the first note is said
        await asyncio.sleep(0)
        async for n, item in _numbered(replay(self.tape, control=self._control)):
            self.say_notes(until=item_time(item))
            if self._clusters[n] in self.fleet:
                await self._queues[self._clusters[n]].put(item)
        self.say_notes(until=math.inf)

    def cluster_of(self, item: SourceItem) -> str:
        """Which cluster an item of `tape` is of."""
        return self._owners[id(item)]

    def say_notes(self, *, until: float) -> None:
        """Say every note not said yet up to recording time `until` (trouble, leaving)."""
        while self._said < len(self._notes) and self._notes[self._said].t <= until:
            note = self._notes[self._said]
            self._said += 1
            if note.removed:
                self.fleet.remove(note.cluster)
            elif note.cluster in self.fleet:
                self.fleet.set_trouble(note.cluster, note.trouble, server=note.server)

    async def end(self) -> None:
        """End every member's source (after `play`)."""
        for queue in self._queues.values():
            await queue.put(None)


@dataclass
class RecordedCluster:
    """One cluster of a fleet's recording."""

    name: str
    server: str = ""
    items: list[SourceItem] = field(default_factory=list)
    trouble: str | None = None
    """Its trouble at the end of the recording (None: it was being watched)."""
    removed: bool = False
    """It left the fleet before the recording ended."""


def recorded_clusters(reader: RecordingReader) -> list[RecordedCluster]:
    """Every cluster of a fleet's recording, in the order they first appear."""
    clusters: dict[str, RecordedCluster] = {}
    for entry in reader.fleet_entries():
        if isinstance(entry, TroubleNote):
            cluster = clusters.setdefault(entry.cluster, RecordedCluster(entry.cluster))
            cluster.server = entry.server or cluster.server
            cluster.trouble, cluster.removed = entry.trouble, entry.removed
        else:
            name, item = entry
            clusters.setdefault(name, RecordedCluster(name)).items.append(item)
    return list(clusters.values())


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

    def fleet_notice(self, notice: str | None) -> None:
        """Not recorded: it is about the watching machine (its directory), not the clusters."""

    def _note(self, member: Member, *, removed: bool = False) -> None:
        self._recorder.note(
            TroubleNote(
                member.name,
                self._clock(),
                server=member.server,
                trouble=member.trouble,
                removed=removed,
                warnings=member.warnings,
            )
        )
