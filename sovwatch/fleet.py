"""A fleet: many clusters watched at once on one event loop, one `Pipeline` per cluster.

Each `Member` is one cluster (named by its context, or by its kubeconfig file in a directory)
and owns one `sovwatch.pipeline.Pipeline` for its whole life: one store, model and coalescing, fed
by that cluster's own source. Views subscribe to a member's pipeline for its snapshots, exactly
as for a single cluster, and to the fleet (`FleetSubscriber`) for the membership itself.

Isolation: each member runs as its own task. Opening a cluster (kubeconfig, credentials,
pre-flight) or watching it may fail with the one line the single-cluster watch would print and
exit 2 on (`FatalError`, the Bad input table's messages); here it becomes the member's `trouble`
and the member tries again after the watch engine's backoff (`WatchSettings.backoff`), never
delaying, stopping or ending the others. A lost connection once watching is stream health, as
for one cluster. The clients' HTTP sessions may share one connector (the launcher's), so fifty
members cost fifty small sessions and one connection pool.

Interface::

    fleet = Fleet(opener=open_member, pipeline=new_pipeline, settings=watch_settings)
    fleet.subscribe(view)            # a FleetSubscriber: member_added/_removed/_trouble,
                                     # fleet_notice
    member = fleet.add(MemberSpec("sov-a"))  # starts watching it (on the running loop)
    member.pipeline.subscribe(...)   # its snapshots, as for one cluster
    fleet.replace(MemberSpec("sov-a", kubeconfig="a.yaml"))  # rotated credentials: reconnects,
                         # same member and pipeline, from an empty store (a first snapshot again)
    fleet.remove("sov-a")            # stops it
    await fleet.aclose()             # stops every member, waits for their tasks

`opener(spec)` connects and returns an `Opened` (the launcher's `Session` is one); raising
`FatalError` (or `OSError`) makes trouble. `pipeline()` makes a member's empty pipeline; the fleet
fills in its cluster (context, server, warnings) and log reader once it is opened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Protocol

from sovwatch.kube.errors import FatalError
from sovwatch.model.snapshot import ClusterInfo
from sovwatch.pipeline import LogReader, Pipeline
from sovwatch.settings import WatchSettings
from sovwatch.sources.events import LogStreams, SourceItem
from sovwatch.store.store import Store

TROUBLE = (FatalError, OSError)
"""What makes a member's trouble (a one-line `str()`); anything else is a bug and propagates."""


@dataclass(frozen=True)
class MemberSpec:
    """Which cluster a member watches."""

    name: str
    """The member's key and label: the context name (or the kubeconfig file's name)."""
    kubeconfig: str | None = None
    """The kubeconfig file; None: `--kubeconfig`, else `$KUBECONFIG` merged, else ~/.kube/config."""
    context: str | None = None
    """The context in it; None: its current context."""
    warnings: tuple[str, ...] = ()
    """What the operator should know about where it comes from (a kubeconfig file of a directory
    that others may read), one line each, for as long as it is true."""


class Opened(Protocol):
    """A connected cluster: what `opener` returns (`session.Session` is one)."""

    @property
    def source(self) -> Callable[[], AsyncIterator[SourceItem]]: ...
    @property
    def context(self) -> str: ...
    @property
    def server(self) -> str: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...
    @property
    def logs(self) -> LogReader | None: ...
    @property
    def log_streams(self) -> LogStreams | None: ...


Opener = Callable[[MemberSpec], Awaitable[Opened]]


@dataclass(eq=False)
class Member:
    """One cluster of the fleet."""

    spec: MemberSpec
    pipeline: Pipeline
    """Its store, model and coalescing, for the member's whole life (across reconnects)."""
    server: str = ""
    """The API server URL, once the kubeconfig was read."""
    trouble: str | None = None
    """Why it is not being watched now (one line: unreachable, unauthorised, misconfigured), or
    None. It retries meanwhile."""
    attempt: int = 0
    """Failed attempts in a row."""
    opened: Opened | None = None
    """The current connection (its `log_streams` serve the TUI's log view)."""
    reached: bool = False
    """It was opened once (its server answered the start-up check): later trouble is a lost
    connection, not a cluster never watched."""
    ended: bool = False
    """Its source ended (a replay or a scenario played to its end)."""
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def warnings(self) -> tuple[str, ...]:
        """Its spec's warnings, then its connection's (insecure-skip-tls-verify)."""
        return (*self.spec.warnings, *self.pipeline.cluster.warnings)


class FleetSubscriber(Protocol):
    """What a fleet tells a view about its members; called on the fleet's loop."""

    def member_added(self, member: Member) -> None:
        """A new member (its pipeline is there to subscribe to; it is being opened)."""

    def member_removed(self, member: Member) -> None:
        """A member left the fleet (its task is being stopped)."""

    def member_trouble(self, member: Member) -> None:
        """`member.trouble` changed (None: it is being watched again); `server` may have too."""

    def fleet_notice(self, notice: str | None) -> None:
        """What the fleet as a whole should say changed (a kubeconfig directory that cannot be
        listed any more; None: nothing)."""


class Fleet:
    """Members by name, each watched by its own task on the running loop."""

    def __init__(
        self,
        *,
        opener: Opener,
        pipeline: Callable[[], Pipeline],
        settings: WatchSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._opener = opener
        self._new_pipeline = pipeline
        self._settings = settings
        self.clock = clock
        """The fleet's time (source time): the wall clock live, the scenario's in a demo, the
        recording's in a replay or cast."""
        self._members: dict[str, Member] = {}
        self._subscribers: list[FleetSubscriber] = []
        self._stopping: set[asyncio.Task[None]] = set()
        self.notice: str | None = None
        """What the fleet as a whole should say (one line), or None."""

    def subscribe(self, subscriber: FleetSubscriber) -> None:
        self._subscribers.append(subscriber)

    def __iter__(self) -> Iterator[Member]:
        """The members, in the order they were added."""
        return iter(list(self._members.values()))

    def __len__(self) -> int:
        return len(self._members)

    def __getitem__(self, name: str) -> Member:
        return self._members[name]

    def __contains__(self, name: object) -> bool:
        return name in self._members

    # -- membership ------------------------------------------------------------------------------

    def add(self, spec: MemberSpec) -> Member:
        """Add a member and start watching it; a name already there is `replace`d."""
        if spec.name in self._members:
            return self.replace(spec)
        pipeline = self._new_pipeline()
        pipeline.cluster = ClusterInfo(context=spec.name)
        if pipeline.rollout.started_at is None:
            pipeline.rollout.started_at = self.clock()  # --timeout counts from joining
        member = Member(spec, pipeline)
        self._members[spec.name] = member
        for subscriber in self._subscribers:
            subscriber.member_added(member)
        self._start(member)
        return member

    def remove(self, name: str) -> Member | None:
        """Stop watching `name` and drop it (None if there was no such member)."""
        member = self._members.pop(name, None)
        if member is not None:
            self._stop(member)
            for subscriber in self._subscribers:
                subscriber.member_removed(member)
        return member

    def replace(self, spec: MemberSpec) -> Member:
        """Reconnect `spec.name` with `spec` (rotated credentials, another file) at once: the same
        member and pipeline, whose store starts empty and publishes a first snapshot again once
        every stream has listed; a name not there yet is added."""
        member = self._members.get(spec.name)
        if member is None:
            return self.add(spec)
        self._stop(member)
        member.spec, member.attempt, member.ended = spec, 0, False
        if member.pipeline.synced:
            # what it knew may have changed while it was not watched: start from the new lists
            member.pipeline.restart(Store(), relisting=True)
        self._start(member)
        return member

    async def aclose(self) -> None:
        """Stop every member and wait until their tasks (and connections) are gone."""
        for member in self._members.values():
            self._stop(member)
        await asyncio.gather(*self._stopping, return_exceptions=True)

    # -- one member ------------------------------------------------------------------------------

    def _start(self, member: Member) -> None:
        member.task = asyncio.create_task(self._watch(member), name=f"sovwatch-fleet-{member.name}")

    def _stop(self, member: Member) -> None:
        task, member.task = member.task, None
        if task is not None and not task.done():
            task.cancel()
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    async def _watch(self, member: Member) -> None:
        """Open, watch, and after a failure wait the backoff and again, until the source ends."""
        while True:
            began = time.monotonic()
            try:
                opened = await self._opener(member.spec)
                member.opened, member.reached = opened, True
                member.pipeline.cluster = ClusterInfo(
                    context=opened.context, server=opened.server, warnings=opened.warnings
                )
                member.pipeline.logs = opened.logs
                self._set_trouble(member, None, server=opened.server)
                async with aclosing(opened.source()) as items:
                    await member.pipeline.run(items)
                member.ended = True
                return
            except TROUBLE as err:
                if time.monotonic() - began > self._settings.backoff_max:
                    member.attempt = 0  # it was watched a while: start the backoff again
                member.attempt += 1
                member.opened = None
                line = " ".join(str(err).split()) or type(err).__name__
                self._set_trouble(member, line, server=getattr(err, "server", ""))
            await asyncio.sleep(self._settings.backoff(member.attempt))

    def set_notice(self, notice: str | None) -> None:
        """Say `notice` for the fleet as a whole (None: nothing any more)."""
        if notice != self.notice:
            self.notice = notice
            for subscriber in self._subscribers:
                subscriber.fleet_notice(notice)

    def set_trouble(self, name: str, trouble: str | None, *, server: str = "") -> None:
        """Say `name`'s trouble from elsewhere (a replayed recording's note)."""
        self._set_trouble(self._members[name], trouble, server=server)

    def _set_trouble(self, member: Member, trouble: str | None, *, server: str = "") -> None:
        changed = trouble != member.trouble or (server and server != member.server)
        member.trouble = trouble
        member.server = server or member.server
        if changed:
            for subscriber in self._subscribers:
                subscriber.member_trouble(member)
