"""The pipeline: one store, one model, one set of coalescing rules, typed snapshots to subscribers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from itertools import pairwise

import pytest

from sovwatch.model.snapshot import ClusterInfo
from sovwatch.pipeline import (
    HEADLESS,
    HEADLESS_LIVE,
    Coalescing,
    CpuBudget,
    Pipeline,
    Update,
    headless_rules,
    interactive,
)
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


def test_the_cpu_budget_pays_a_debt_back_at_its_duty_within_one_window():
    budget = CpuBudget(duty=0.1, window=1.0)  # 0.1 CPU s a wall second, 0.1 s saved or owed
    assert budget.wait(0.0) == 0.0
    budget.spend(0.05, at=0.0)
    assert budget.wait(0.0) == 0.0  # paid from what was saved
    budget.spend(0.1, at=0.0)
    assert budget.wait(0.0) == pytest.approx(0.5)  # 0.05 s owed, paid at 0.1 a second
    assert budget.wait(0.3) == pytest.approx(0.2)
    assert budget.wait(0.5) == 0.0
    budget.spend(5.0, at=1.0)  # far beyond the window: owed at most one window's worth
    assert budget.wait(1.0) == pytest.approx(1.0)
    assert budget.balance(100.0) == pytest.approx(0.1)  # a long quiet saves one window's worth
    unbounded = CpuBudget(duty=None, window=1.0)
    unbounded.spend(5.0, at=0.0)
    assert unbounded.wait(0.0) == 0.0


def listed_on_fake_clocks(
    coalescing: Coalescing, wall: list[float], cpu: list[float], seen: Recorder
) -> Pipeline:
    """A pipeline reading wall time, source time and thread CPU time from `wall[0]` and `cpu[0]`,
    with `seen` subscribed and one installing release listed (its first run done)."""
    pipeline = Pipeline(
        clock=lambda: T0_EPOCH + wall[0],
        started_at=T0_EPOCH,
        coalescing=coalescing,
        wall=lambda: wall[0],
        cpu=lambda: cpu[0],
    )
    pipeline.subscribe(seen)
    pipeline.apply(added(hr_installing("bp-cilium"), T0_EPOCH))
    pipeline.apply(live(HR, T0_EPOCH))
    return pipeline


def sustained_change(
    busy: float,
    *,
    seconds: float = 10.0,
    every: float = 1 / 64,
    coalescing: Coalescing = Coalescing(interval=0.0, min_gap=1 / 8, duty=0.5, window=1.0),  # noqa: B008 - frozen
) -> list[float]:
    """Wall times of the model runs while a release changes every `every` wall seconds and the
    thread is `busy` (a share of a core: taking the changes in, running the model, drawing),
    on fake clocks (source time is wall time), by default under a 1/8 s gap (binary fractions:
    no rounding) and a 50 % duty."""
    wall, cpu = [0.0], [0.0]
    pipeline = listed_on_fake_clocks(coalescing, wall, cpu, Recorder())
    runs: list[float] = []
    last = pipeline.latest
    for i in range(1, round(seconds / every)):
        wall[0] = i * every
        cpu[0] += busy * every
        obj = hr_ready("bp-cilium") if i % 2 else hr_installing("bp-cilium")
        pipeline.apply(modified(obj, T0_EPOCH + wall[0]))
        if pipeline.latest is not last:
            runs.append(wall[0])
            last = pipeline.latest
    return runs


def test_a_loop_with_time_to_spare_runs_the_model_every_min_gap():
    runs = sustained_change(busy=0.3)
    assert runs == [k / 8 for k in range(1, 80)]  # 10 s at one run per 1/8 s


def test_a_saturated_loop_runs_the_model_once_per_window():
    """An event storm: the thread is busy all the time, so the 0.5 s saved go first (the first
    second at the full rate), then the runs come once a second (the window), not eight times."""
    runs = sustained_change(busy=1.0)
    gaps = [b - a for a, b in pairwise(runs)]
    assert gaps == [1 / 8] * 6 + [1.0] * 9  # 16 runs, of the 79 a spare loop gets
    assert sustained_change(busy=0.45, seconds=30) == [k / 8 for k in range(1, 240)]


def test_a_live_headless_run_spaces_its_model_runs_out_in_an_event_storm_a_replay_does_not():
    """Headless over a live cluster: every half second of changes while the loop has time to
    spare; in a storm, once a second (the window). A recording's runs follow its own time,
    however busy the loop."""
    every_half_second = [k / 2 for k in range(1, 20)]
    assert sustained_change(busy=0.2, coalescing=HEADLESS_LIVE) == every_half_second
    storm = sustained_change(busy=1.0, coalescing=HEADLESS_LIVE)
    assert [b - a for a, b in pairwise(storm)] == [1.0] * 8
    assert storm[0] == 1.0  # the storm spent the quarter second saved in its first quarter
    assert sustained_change(busy=1.0, coalescing=HEADLESS) == every_half_second
    assert headless_rules(live=True, time_scale=30) == replace(HEADLESS_LIVE, interval=15.0)
    assert headless_rules(live=False) == HEADLESS


async def test_interactive_rules_hold_a_change_back_while_the_loop_is_in_debt():
    """The TUI's settle timer waits for the budget too: 0.5 CPU s spent while listing, against a
    0.3 s window at full duty, leave 0.2 s owed before the next run, beyond settle and min_gap."""
    cpu = [0.0]
    coalescing = replace(interactive(), duty=1.0, window=0.3)
    pipeline = Pipeline(started_at=T0_EPOCH, coalescing=coalescing, cpu=lambda: cpu[0])
    seen = Recorder()
    pipeline.subscribe(seen)
    pipeline.apply(added(hr_installing("bp-cilium"), T0_EPOCH))
    cpu[0] += 0.5  # the lists
    pipeline.apply(live(HR, T0_EPOCH))
    listed_at = time.monotonic()
    seen.changed.clear()
    pipeline.apply(modified(hr_ready("bp-cilium"), T0_EPOCH + 1))
    await asyncio.wait_for(seen.changed.wait(), 5)
    assert time.monotonic() - listed_at >= 0.2 - 0.005  # not settle's 0.05 or min_gap's 0.125
    assert seen.states() == {"bp-cilium": "ready"}


def test_what_the_thread_spent_since_the_last_run_counts_before_the_next():
    """Drawing a snapshot, taking items in: charged with the next run, and counted in the wait
    before it. 0.15 CPU s spent after the first run under a 10 % duty (0.1 s saved) leave
    0.05 s owed when the next change comes, at 0.45 s: paid at 0.95 s, though the model itself
    cost nothing."""
    wall, cpu = [0.0], [0.0]
    seen = Recorder()
    pipeline = listed_on_fake_clocks(
        Coalescing(interval=0.0, min_gap=0.1, duty=0.1, window=1.0), wall, cpu, seen
    )
    cpu[0] += 0.15  # the view draws the first snapshot
    for at in (0.45, 0.6, 0.9):
        wall[0] = at
        pipeline.apply(modified(hr_ready("bp-cilium"), T0_EPOCH + at))
    assert len(seen.updates) == 1
    wall[0] = 0.96
    pipeline.apply(modified(hr_ready("bp-cilium"), T0_EPOCH + wall[0]))
    assert len(seen.updates) == 2
    assert seen.states() == {"bp-cilium": "ready"}
