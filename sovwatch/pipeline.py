"""One session's pipeline: source items -> store -> rollout model -> typed snapshots for subscribers.

Every way of watching (the live watch, the demo, a replay) feeds a `Pipeline`, and every view (the
headless runner, the Textual app) subscribes to it: one store, one incrementally kept `Rollout`,
one evaluator and one set of coalescing rules per session. The pipeline keeps no globals, starts
no threads and reads time only from the clock it is given (the source's: the wall clock live, the
scenario's in the demo, the recording's in replay), so several pipelines can share one event loop
(and one aiohttp connector, which belongs to their sources).

Coalescing (`Coalescing`; the model runs only when the store changed):
- Nothing is published before every stream has listed (`wait_for_lists`), so a half-listed cluster
  never reads as missing releases; after `sync_timeout` wall seconds what is known is published
  anyway, and subscribers are told which streams had not listed.
- A change is *due* once `interval` seconds of source time and `min_gap` seconds of wall time have
  passed since the previous model run began, and the CPU budget is paid back (`duty`,
  `CpuBudget`): each run is charged the CPU time its thread spent since the previous run (taking
  items in, the model, the views drawing its snapshot, all on one event loop), so while that loop is
  busier than `duty` of a core (an event storm, or a model too costly for the rate) the runs space
  out, to one per `window` at most, and while it is not, a change is not held back by a fixed rate.
- Without `settle`, a due change runs the model on the item that made it due, so a recording gives
  the same snapshots every time (headless over a recording, which has no `duty`: its runs depend
  only on source time). With `settle`, the run waits `settle` wall seconds after the change (at least) and until
  it is due, so a burst that arrives together lands in one run and a lone change shows at once
  (the TUI).
- Every `tick` wall seconds a due change runs; otherwise subscribers get `tick(now)`: an outcome can
  change, and clocks move, just because time passes.
- When the source ends, what is pending runs, then subscribers get `ended()`.

A picture kept on disk (`cached`, `sources.disk_cache`) is published `CACHED_AFTER` wall seconds
after `run` starts (the source has sent its requests by then, so their round trips overlap the
work, and a cluster that lists at once never shows it), through its own store and model, marked
`stale` (with `first` False and no `previous`): the session's store never holds it, so the first
live snapshot (`first`) replaces it whole, with no stale object left in it. While it is shown,
`sync_timeout` publishes what is known only once some stream has listed, subscribers get a
`tick` every `tick` seconds (its age moves), and a change of stream health publishes it again
with the streams as they are now (a server that cannot be reached shows beside it).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from sovwatch.model.rollout import Rollout
from sovwatch.model.settings import ModelSettings
from sovwatch.model.snapshot import ClusterInfo, Snapshot, Stale, snapshot_of
from sovwatch.sources.disk_cache import CachedPicture
from sovwatch.sources.events import ControllerLogTarget, LogTarget, SourceItem, StreamHealth
from sovwatch.sources.replay import item_time
from sovwatch.store.store import Store


@dataclass(frozen=True)
class Coalescing:
    """When the model runs (see the module docstring for the rules)."""

    interval: float = 0.5
    """Source-time seconds between model runs while changes arrive."""
    min_gap: float = 0.0
    """Wall-clock seconds from one model run's start to the next's while changes arrive."""
    duty: float | None = None
    """The share of one core the pipeline's thread may be busy under sustained change before the
    runs space out, kept over `window`; None: only `min_gap` spaces the runs."""
    window: float = 1.0
    """Wall seconds over which `duty` is kept: CPU time saved while quiet, or owed while busy, is
    at most `duty * window`, so the budget holds no change back longer than `window`."""
    settle: float | None = None
    """Wall-clock seconds a change waits so that changes arriving with it join its run; None runs
    a due change at once."""
    tick: float = 1.0
    """Wall-clock seconds between ticks."""
    wait_for_lists: bool = True
    """Publish nothing until every stream has listed (or `sync_timeout` passed)."""
    sync_timeout: float = 30.0


CACHED_AFTER = 0.1
"""Wall seconds from the start of `Pipeline.run` to a kept picture, unless the lists came first."""

HEADLESS = Coalescing()
"""Deterministic over a recording; transition timestamps within half a second."""

HEADLESS_DUTY = 0.25
"""How busy a live headless session's event loop may be (a share of one core, over a second)
before its model runs space out: a bootstrap's few changes a second leave it far under (a run
every half second of changes); an event storm keeps it busier, and the model then runs once a
second, so the changes are taken in rather than judged twice as often."""

HEADLESS_LIVE = replace(HEADLESS, duty=HEADLESS_DUTY)
"""`HEADLESS` for a cluster watched now (the demo's included): while its event loop is busier
than `HEADLESS_DUTY`, its runs space out to one a second (transition timestamps within a second);
a recording keeps `HEADLESS`, whose runs follow the recording's own time."""


def headless_rules(*, live: bool, time_scale: float = 1.0) -> Coalescing:
    """A headless view's rules: `HEADLESS_LIVE` for a cluster watched now, `HEADLESS` for a
    recording, its interval in source time scaled by `time_scale` (the demo's speed: half a
    second of the operator's time)."""
    rules = HEADLESS_LIVE if live else HEADLESS
    return replace(rules, interval=rules.interval * time_scale)


INTERACTIVE_DUTY = 0.22
"""How busy the TUI's event loop may be (a share of one core, over a second) before its screen
updates space out: 40 releases at 10 changes a second leave it under (8 updates a second); an
event storm keeps it busier (down to one update a second, so the events are taken in rather than
drawn). Measured (bench.latency, bench.ingest): at 0.15 the first trips it, at 0.3 the second
does not."""


def interactive(refresh_hz: float = 8.0) -> Coalescing:
    """The TUI's rules: a lone change after 50 ms; under sustained change the model at most
    `refresh_hz` times a second, and once a second while the event loop is busier than
    `INTERACTIVE_DUTY`; what is known after 5 s if some stream is slow to list (a person is
    looking)."""
    return Coalescing(
        interval=0.0,
        min_gap=1 / max(refresh_hz, 0.5),
        duty=INTERACTIVE_DUTY,
        settle=0.05,
        sync_timeout=5.0,
    )


class CpuBudget:
    """The CPU allowance under `Coalescing.duty`, a token bucket: it fills at `duty` CPU seconds
    per wall second, is spent by the CPU time charged to it, and stays within `duty * window`
    either side of zero. Time is passed in (wall seconds); without `duty` it never holds a run
    back."""

    def __init__(self, duty: float | None, window: float) -> None:
        self.duty = duty
        self.limit = (duty or 0.0) * window
        self._balance = self.limit
        self._at = -math.inf

    def balance(self, at: float) -> float:
        """CPU seconds that may be spent at wall time `at` before the budget is in debt."""
        if self.duty is None:
            return math.inf
        return min(self.limit, self._balance + self.duty * (at - self._at))

    def spend(self, cost: float, at: float) -> None:
        """`cost` CPU seconds were spent by wall time `at`."""
        if self.duty is not None:
            self._balance, self._at = max(-self.limit, self.balance(at) - cost), at

    def wait(self, at: float) -> float:
        """Wall seconds from `at` until the debt is paid back (0 when there is none)."""
        if self.duty is None:
            return 0.0
        return max(0.0, -self.balance(at) / self.duty)


@dataclass(frozen=True)
class Update:
    """One published snapshot, with the one published before it (None for the first)."""

    snapshot: Snapshot
    previous: Snapshot | None
    now: float
    """Source time of the model run (`snapshot.observed_at`)."""
    first: bool
    """The first snapshot since every stream listed (or the wait for them timed out)."""


class Subscriber(Protocol):
    """What a pipeline tells a view; called on the pipeline's event loop, never concurrently."""

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        """A stream's health changed (state, attempt or detail)."""

    def unlisted(self, resources: list[str]) -> None:
        """`sync_timeout` passed with these streams not listed; what is known comes next."""

    def update(self, update: Update) -> None:
        """A new snapshot."""

    def tick(self, now: float) -> None:
        """Time passed without a new snapshot."""

    def ended(self) -> None:
        """The source ended (after the last update)."""


class LogReader(Protocol):
    """Reads the log tails the model's root causes want (`sources.log_fetcher.LogFetcher`); what it
    reads comes back through the source."""

    def want(self, targets: Iterable[LogTarget | ControllerLogTarget]) -> None:
        """The runs worth reading now."""


class Pipeline:
    """A session's store, model and coalescing; `await run(items)` feeds it until the source ends."""

    def __init__(
        self,
        *,
        settings: ModelSettings | None = None,
        cluster: ClusterInfo | None = None,
        started_at: float | None = None,
        clock: Callable[[], float] = time.time,
        coalescing: Coalescing = HEADLESS,
        logs: LogReader | None = None,
        cached: CachedPicture | None = None,
        wall: Callable[[], float] = time.monotonic,
        cpu: Callable[[], float] = time.thread_time,
    ) -> None:
        """`started_at` is when the watch began (the origin of `--timeout`): the clock's first
        reading if not given. `logs` learns after each model run which log tails are wanted.
        `cached` is shown, stale, until the lists arrive. `wall` (seconds, for the gaps between
        model runs) and `cpu` (this thread's CPU seconds, for `duty`) are for tests."""
        self.store = Store()
        self.rollout = Rollout(settings=settings or ModelSettings(), started_at=started_at)
        self.cluster = cluster or ClusterInfo()
        self.clock = clock
        self.coalescing = coalescing
        self.wall = wall
        self.cpu = cpu
        self.budget = CpuBudget(coalescing.duty, coalescing.window)
        self._cpu_charged = cpu()
        """The thread's CPU time when the budget was last charged."""
        self.logs = logs
        self.cached = cached
        self._cached_shown: Snapshot | None = None
        """The kept picture's snapshot, once published (until the cluster's own replaces it)."""
        self.latest: Snapshot | None = None
        """The last published snapshot."""
        self.synced = False
        """Every stream has listed (or the wait timed out): snapshots are being published."""
        self.last_run = -math.inf
        """Source time of the last model run."""
        self._subscribers: list[Subscriber] = []
        self._last_revision = -1
        self._last_run_wall = -math.inf
        self._newest_item = -math.inf
        self._began = time.monotonic()
        self._pending: asyncio.TimerHandle | None = None

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    @property
    def started_at(self) -> float | None:
        return self.rollout.started_at

    # -- feeding ---------------------------------------------------------------------------------

    async def run(self, items: AsyncIterator[SourceItem]) -> None:
        """Apply every item, publish as the rules say, tick meanwhile; returns when the source
        ends (a source error propagates; cancelling stops the ticks too)."""
        if self.rollout.started_at is None:
            self.rollout.started_at = self.clock()
        self._began = time.monotonic()
        cached = None
        if self.cached is not None:
            loop = asyncio.get_running_loop()
            cached = loop.call_later(CACHED_AFTER, self._publish_cached, self.cached)
        ticker = asyncio.create_task(self._tick())
        try:
            async for item in items:
                self.apply(item)
            self._source_ended()
        finally:
            if cached is not None:
                cached.cancel()
            ticker.cancel()
            self._cancel_pending()

    def apply(self, item: SourceItem) -> None:
        """Fold one item into the store, then publish if the rules say so."""
        self._newest_item = max(self._newest_item, item_time(item))
        before = self.store.health.get(item.resource) if isinstance(item, StreamHealth) else None
        self.store.apply(item)
        if isinstance(item, StreamHealth):
            if before is None or (before.state, before.attempt, before.detail) != (
                item.state,
                item.attempt,
                item.detail,
            ):
                for subscriber in self._subscribers:
                    subscriber.stream(item, synced=self.synced)
                if not self.synced and self._cached_shown is not None:
                    self._publish_stale(self._cached_shown)
            if not self.synced and self._all_listed():
                self._sync()
                return
        self.changed()

    def restart(self, store: Store, *, relisting: bool = False) -> None:
        """Go on from `store` with a fresh model (a replay's seek back: the store as a straight
        replay leaves it at an earlier instant, every key marked changed); the next run takes all
        of it in. `relisting`: the items that follow list the cluster anew (a reconnect with other
        credentials), so nothing is published until every stream has listed again."""
        self._cancel_pending()
        if relisting:
            self.synced = False
        self.store = store
        self.rollout = Rollout(settings=self.rollout.settings, started_at=self.rollout.started_at)
        self._last_revision = -1
        self._newest_item = -math.inf

    def changed(self) -> None:
        """The store changed: publish now or later, as the rules say."""
        if not self.synced and self.coalescing.wait_for_lists:
            return
        settle = self.coalescing.settle
        if settle is None:
            if self._due():
                self.publish()
        elif self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(max(self._wait(), settle), self._settled)

    def flush(self) -> None:
        """Publish what changed since the last run now, whatever the gaps; else tick. Before the
        lists, a kept picture stands for the cluster: only tick."""
        self._cancel_pending()
        if self.store.revision != self._last_revision and (self.synced or self.cached is None):
            self.publish()
        else:
            self._tick_subscribers()

    def publish(self) -> Update:
        """Run the model now and publish its snapshot."""
        first = not self.synced
        self.synced = True
        snapshot = self.evaluate()
        update = Update(snapshot, self.latest, snapshot.observed_at, first)
        self.latest = snapshot
        for subscriber in self._subscribers:
            subscriber.update(update)
        return update

    def evaluate(self) -> Snapshot:
        """Run the model now (folding in only what changed) without publishing."""
        self._cancel_pending()
        began = self.wall()
        now = self.now()
        rollout = self.rollout
        rollout.update(self.store, self.store.drain_changes(), now)
        if self.logs is not None:
            self.logs.want([*rollout.log_targets(self.store), *rollout.controller_log_targets()])
        self.last_run, self._last_revision = now, self.store.revision
        snapshot = snapshot_of(rollout, self.store, now=now, cluster=self.cluster)
        self._last_run_wall = began
        if self.coalescing.duty is not None:
            self._charge()
        return snapshot

    def _charge(self) -> None:
        """Charge the budget with the CPU time this thread spent since it was last charged."""
        cpu = self.cpu()
        self.budget.spend(cpu - self._cpu_charged, self.wall())
        self._cpu_charged = cpu

    def _publish_cached(self, picture: CachedPicture) -> None:
        """Publish the kept picture, stale, from a store and model of its own (unless the
        cluster's own came first)."""
        if self.synced:
            return
        store = Store()
        for item in picture.items:
            store.apply(item)
        rollout = Rollout(settings=self.rollout.settings, started_at=self.rollout.started_at)
        now = self.now()
        rollout.update(store, store.drain_changes(), now)
        snapshot = snapshot_of(rollout, store, now=now, cluster=self.cluster)
        self._publish_stale(replace(snapshot, stale=Stale(since=picture.saved_at)))

    def _publish_stale(self, snapshot: Snapshot) -> None:
        """Publish the kept picture's snapshot now, with the streams' health as it is now."""
        now = self.now()
        snapshot = replace(
            snapshot,
            observed_at=now,
            streams=tuple(h for _, h in sorted(self.store.health.items())),
        )
        self._cached_shown = snapshot
        for subscriber in self._subscribers:
            subscriber.update(Update(snapshot, None, now, first=False))

    def now(self) -> float:
        """Source time: the clock, but never before the newest item applied (an instant replay's
        clock only moves when the next item is asked for)."""
        return max(self.clock(), self._newest_item)

    # -- the rules -------------------------------------------------------------------------------

    def _due(self) -> bool:
        return (
            self.store.revision != self._last_revision
            and self.now() - self.last_run >= self.coalescing.interval
            and self._wait() <= 0
        )

    def _wait(self) -> float:
        """Wall seconds until the model may run again: `min_gap` after the last run began, and
        the CPU budget paid back (charged with what the thread spent until now), or `window`
        after the last run began, whichever is sooner."""
        c, since = self.coalescing, self.wall() - self._last_run_wall
        if c.duty is None:
            return c.min_gap - since
        self._charge()
        return max(c.min_gap - since, min(self.budget.wait(self.wall()), c.window - since))

    def _all_listed(self) -> bool:
        health = self.store.health
        return bool(health) and all(h.settled for h in health.values())

    def _sync(self) -> None:
        self.publish()

    def _partial_beats_cached(self) -> bool:
        """Whether what is known may stand for the cluster when `sync_timeout` passed: not while
        a kept picture is shown and no stream has listed yet (over a slow link the picture stays,
        marked stale, rather than give way to an empty one)."""
        return self._cached_shown is None or any(h.settled for h in self.store.health.values())

    def _settled(self) -> None:
        self._pending = None
        if self.store.revision != self._last_revision:
            self.publish()

    def _cancel_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    async def _tick(self) -> None:
        c = self.coalescing
        while True:
            await asyncio.sleep(c.tick)
            if not self.synced and c.wait_for_lists:
                if (
                    time.monotonic() - self._began >= c.sync_timeout
                    and self._partial_beats_cached()
                ):
                    waiting = sorted(r for r, h in self.store.health.items() if not h.settled)
                    for subscriber in self._subscribers:
                        subscriber.unlisted(waiting)
                    self._sync()
                elif self._cached_shown is not None:
                    self._tick_subscribers()  # the kept picture's age moves
            elif self._pending is not None:
                continue  # the settle timer runs it
            elif self._due():
                self.publish()
            else:
                self._tick_subscribers()

    def _tick_subscribers(self) -> None:
        now = self.now()
        for subscriber in self._subscribers:
            subscriber.tick(now)

    def _source_ended(self) -> None:
        if not self.synced:
            self._sync()
        self.publish()
        for subscriber in self._subscribers:
            subscriber.ended()
