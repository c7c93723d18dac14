"""The pipeline: one store, one model, one set of coalescing rules, typed snapshots to subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

from sovwatch.model.snapshot import ClusterInfo
from sovwatch.pipeline import HEADLESS, Coalescing, Pipeline, Update, interactive
from sovwatch.sources.disk_cache import CachedPicture
from sovwatch.sources.events import EventType, HealthState, SourceItem, StreamHealth, WatchEvent
from sovwatch.views.tui.app import Published
from tests.model.builders import T0_EPOCH, hr_installing, hr_ready, hr_waiting

HR = "helmreleases.helm.toolkit.fluxcd.io"
PODS = "pods"


class Recorder:
    """A subscriber that keeps what it is told."""

    def __init__(self) -> None:
        self.updates: list[Update] = []
        self.streams: list[StreamHealth] = []
        self.ticks: list[float] = []
        self.unlisted_streams: list[list[str]] = []
        self.ended_count = 0
        self.changed = asyncio.Event()
        self.ticked = asyncio.Event()

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        self.streams.append(health)

    def unlisted(self, resources: list[str]) -> None:
        self.unlisted_streams.append(resources)

    def update(self, update: Update) -> None:
        self.updates.append(update)
        self.changed.set()

    def tick(self, now: float) -> None:
        self.ticks.append(now)
        self.ticked.set()

    def ended(self) -> None:
        self.ended_count += 1

    def states(self, i: int = -1) -> dict[str, str]:
        return {r.core.key[2]: str(r.core.verdict.state) for r in self.updates[i].snapshot.releases}


def added(obj: dict, at: float, kind: str = HR) -> WatchEvent:
    return WatchEvent(kind, EventType.ADDED, obj, at)


def modified(obj: dict, at: float) -> WatchEvent:
    return WatchEvent(HR, EventType.MODIFIED, obj, at)


def live(resource: str, at: float) -> StreamHealth:
    return StreamHealth(resource, HealthState.LIVE, since=at)


def headless_pipeline(now: list[float]) -> tuple[Pipeline, Recorder]:
    pipeline = Pipeline(clock=lambda: now[0], started_at=T0_EPOCH, coalescing=HEADLESS)
    recorder = Recorder()
    pipeline.subscribe(recorder)
    return pipeline, recorder


def test_nothing_is_published_until_every_stream_has_listed():
    now = [T0_EPOCH]
    pipeline, seen = headless_pipeline(now)
    pipeline.apply(StreamHealth(HR, HealthState.CONNECTING, since=T0_EPOCH))
    pipeline.apply(StreamHealth(PODS, HealthState.CONNECTING, since=T0_EPOCH))
    pipeline.apply(added(hr_ready("bp-cilium"), T0_EPOCH))
    pipeline.apply(live(HR, T0_EPOCH + 1))
    assert seen.updates == []  # pods have not listed: bp-cilium's pods would read as missing
    pipeline.apply(live(PODS, T0_EPOCH + 2))
    [first] = seen.updates
    assert first.first
    assert first.previous is None
    assert seen.states() == {"bp-cilium": "ready"}
    assert [h.state for h in seen.streams] == [HealthState.CONNECTING] * 2 + [HealthState.LIVE] * 2


def test_headless_runs_the_model_once_per_interval_of_source_time():
    now = [T0_EPOCH]
    pipeline, seen = headless_pipeline(now)
    pipeline.apply(live(HR, T0_EPOCH))
    t = T0_EPOCH + 10
    pipeline.apply(added(hr_waiting("bp-cert-manager", "bp-cilium"), t))
    assert len(seen.updates) == 2  # ten seconds after the first: due at once
    pipeline.apply(added(hr_installing("bp-cilium"), t + 0.1))
    pipeline.apply(modified(hr_ready("bp-cilium"), t + 0.2))
    assert len(seen.updates) == 2  # within the interval: coalesced
    pipeline.apply(added(hr_ready("bp-flux"), t + HEADLESS.interval))
    latest = seen.updates[-1]
    assert len(seen.updates) == 3
    assert latest.previous is seen.updates[1].snapshot
    assert latest.now == t + HEADLESS.interval  # the source's time, not the wall clock's
    assert seen.states()["bp-cilium"] == "ready"


async def test_interactive_rules_join_a_burst_in_one_run_after_the_settle_delay():
    pipeline = Pipeline(started_at=T0_EPOCH, coalescing=interactive(refresh_hz=4.0))
    seen = Recorder()
    pipeline.subscribe(seen)
    pipeline.apply(added(hr_installing("bp-cilium"), T0_EPOCH))
    pipeline.apply(live(HR, T0_EPOCH))
    [listed] = seen.updates  # every stream listed: at once
    seen.changed.clear()
    pipeline.apply(modified(hr_ready("bp-cilium"), T0_EPOCH + 1))
    pipeline.apply(added(hr_waiting("bp-cert-manager", "bp-cilium"), T0_EPOCH + 1))
    assert seen.updates == [listed]  # not at once: the burst may go on
    await asyncio.wait_for(seen.changed.wait(), 5)
    assert len(seen.updates) == 2  # both changes in one run
    assert seen.states() == {"bp-cilium": "ready", "bp-cert-manager": "waiting"}
    assert seen.updates[-1].previous is listed.snapshot


async def test_a_stream_slow_to_list_delays_the_first_picture_only_so_long():
    coalescing = replace(interactive(), tick=0.05, sync_timeout=0.2)
    pipeline = Pipeline(started_at=T0_EPOCH, coalescing=coalescing)
    seen = Recorder()
    pipeline.subscribe(seen)

    async def source() -> AsyncIterator[SourceItem]:
        yield StreamHealth(PODS, HealthState.RECONNECTING, since=T0_EPOCH, attempt=3)
        yield added(hr_ready("bp-cilium"), T0_EPOCH)
        yield live(HR, T0_EPOCH)
        await seen.changed.wait()  # the source stays open, as a live watch does

    await asyncio.wait_for(pipeline.run(source()), 5)
    assert seen.unlisted_streams == [[PODS]]
    assert seen.updates[0].first
    assert seen.states(0) == {"bp-cilium": "ready"}
    assert seen.updates[0].snapshot.streams[1].attempt == 3  # typed stream health keeps it


async def test_pipelines_share_one_loop_each_with_its_own_store_and_model():
    """A fleet: several sessions on one event loop, none seeing another's objects."""

    def source(name: str) -> AsyncIterator[SourceItem]:
        async def items() -> AsyncIterator[SourceItem]:
            yield added(hr_ready(name), T0_EPOCH)
            await asyncio.sleep(0)  # let the other pipeline run in between
            yield live(HR, T0_EPOCH + 1)

        return items()

    names = ("bp-cilium", "bp-keycloak", "bp-harbor")
    pipelines, recorders = [], []
    for name in names:
        pipeline = Pipeline(
            cluster=ClusterInfo(context=f"sov-{name}"),
            clock=lambda: T0_EPOCH + 2,
            coalescing=Coalescing(),
        )
        recorder = Recorder()
        pipeline.subscribe(recorder)
        pipelines.append(pipeline)
        recorders.append(recorder)
    await asyncio.wait_for(
        asyncio.gather(*(p.run(source(n)) for p, n in zip(pipelines, names, strict=True))), 10
    )
    for name, recorder in zip(names, recorders, strict=True):
        assert recorder.ended_count == 1
        assert recorder.states() == {name: "ready"}
        assert recorder.updates[-1].snapshot.cluster.context == f"sov-{name}"


def test_a_waiting_snapshot_replaces_older_messages_a_tick_only_a_tick():
    now = [T0_EPOCH]
    pipeline, seen = headless_pipeline(now)
    pipeline.apply(added(hr_ready("bp-cilium"), T0_EPOCH))
    pipeline.apply(live(HR, T0_EPOCH))
    snapshot = Published(seen.updates[-1], T0_EPOCH)
    tick = Published(None, T0_EPOCH + 1)
    assert tick.can_replace(Published(seen.updates[-1], T0_EPOCH + 1))
    assert snapshot.can_replace(Published(seen.updates[-1], T0_EPOCH + 1))
    assert tick.can_replace(Published(None, T0_EPOCH + 2))
    assert not snapshot.can_replace(tick)  # a snapshot is never dropped for a tick


async def test_a_kept_picture_is_shown_stale_and_stands_until_a_stream_has_listed():
    coalescing = replace(interactive(), tick=0.05, sync_timeout=0.2)
    kept = CachedPicture(
        saved_at=T0_EPOCH - 240,
        items=(added(hr_ready("bp-cilium"), T0_EPOCH - 600), added(hr_ready("bp-loki"), T0_EPOCH)),
    )
    pipeline = Pipeline(started_at=T0_EPOCH, coalescing=coalescing, cached=kept)
    seen = Recorder()
    pipeline.subscribe(seen)

    async def source() -> AsyncIterator[SourceItem]:
        yield StreamHealth(HR, HealthState.CONNECTING, since=T0_EPOCH)
        yield StreamHealth(PODS, HealthState.CONNECTING, since=T0_EPOCH)
        await seen.changed.wait()  # the kept picture is out
        seen.changed.clear()
        pipeline.flush()  # what the TUI does when it mounts: not over a kept picture
        # time alone (three sync timeouts) does not replace it while nothing has listed
        await asyncio.sleep(3 * coalescing.sync_timeout)
        assert len(seen.updates) == 1
        yield added(hr_installing("bp-cilium"), T0_EPOCH + 1)
        yield live(HR, T0_EPOCH + 1)
        while seen.updates[-1].snapshot.stale is not None:  # the source stays open, as a live
            seen.changed.clear()  # watch does, until what is known replaces the kept picture
            await seen.changed.wait()

    await asyncio.wait_for(pipeline.run(source()), 5)
    # the kept picture, again with the streams' health when one has listed, then the cluster's
    # own (then the source ended: one more)
    cached, again, live_one = seen.updates[:3]
    assert cached.snapshot.stale is not None
    assert cached.snapshot.stale.since == T0_EPOCH - 240
    assert not cached.first
    assert seen.states(0) == {"bp-cilium": "ready", "bp-loki": "ready"}
    assert [s.state for s in cached.snapshot.streams] == [HealthState.CONNECTING] * 2
    assert again.snapshot.stale == cached.snapshot.stale
    assert not again.first
    assert again.previous is None
    assert seen.states(1) == seen.states(0)
    assert [s.state for s in again.snapshot.streams] == [HealthState.LIVE, HealthState.CONNECTING]
    assert live_one.first
    assert live_one.previous is None  # never diffed against the kept picture
    assert live_one.snapshot.stale is None
    assert seen.states(2) == {"bp-cilium": "progressing"}
    assert seen.unlisted_streams == [[PODS]]


async def test_a_kept_picture_ticks_and_says_its_age_as_stream_health_changes():
    """Before any stream has listed, the kept picture's age moves: subscribers get ticks on the
    pipeline's clock, and a change of stream health (the server cannot be reached) publishes the
    picture again, with its age and the streams as they are now."""
    clock = [T0_EPOCH]
    kept = CachedPicture(saved_at=T0_EPOCH - 240, items=(added(hr_ready("bp-cilium"), T0_EPOCH),))
    pipeline = Pipeline(
        started_at=T0_EPOCH,
        clock=lambda: clock[0],
        coalescing=replace(HEADLESS, tick=0.01),
        cached=kept,
    )
    seen = Recorder()
    pipeline.subscribe(seen)
    refused = "cannot connect to 10.0.0.1:6443: connection refused"

    async def source() -> AsyncIterator[SourceItem]:
        yield StreamHealth(HR, HealthState.CONNECTING, since=T0_EPOCH)
        await seen.changed.wait()  # the kept picture is out
        clock[0] += 72
        while not seen.ticks or seen.ticks[-1] < T0_EPOCH + 72:
            seen.ticked.clear()
            await seen.ticked.wait()
        yield StreamHealth(HR, HealthState.RECONNECTING, clock[0], attempt=1, detail=refused)

    await asyncio.wait_for(pipeline.run(source()), 5)
    cached, again = seen.updates[:2]
    assert cached.snapshot.stale is not None
    assert cached.snapshot.stale.age(cached.now) == 240
    assert seen.ticks[-1] == T0_EPOCH + 72
    assert again.snapshot.stale == cached.snapshot.stale
    assert again.snapshot.to_dict()["stale"]["ageSeconds"] == 312.0
    assert [(h.state, h.detail) for h in again.snapshot.streams] == [
        (HealthState.RECONNECTING, refused)
    ]
    assert seen.states(1) == {"bp-cilium": "ready"}
