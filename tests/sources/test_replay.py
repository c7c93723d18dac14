"""Replay re-emits a recording with its original times, paced (idle stretches compressed),
pausable, steppable and seekable; the navigator rebuilds the store a straight replay reaches."""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from pathlib import Path

import pytest

from sovwatch import navigation
from sovwatch.navigation import Navigator, Seek
from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.sources.recording import Recorder, RecordingReader
from sovwatch.sources.replay import INSTANT, ReplayControl, Tape, frames, replay
from sovwatch.sources.slimming import slim
from sovwatch.store.store import Store
from tests.demo_recordings import first_failure

T0 = 1_795_781_071.0


def _pod(name: str, phase: str) -> dict:
    """A pod as a source emits it (slim)."""
    return slim(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "loki"},
            "spec": {"containers": [{"name": "loki", "image": "grafana/loki:3.0.0"}]},
            "status": {"phase": phase},
        }
    )


ITEMS = [
    StreamHealth("pods", HealthState.LIVE, T0),
    WatchEvent("pods", EventType.ADDED, _pod("loki-0", "Pending"), T0 + 0.1),
    WatchEvent("pods", EventType.MODIFIED, _pod("loki-0", "Running"), T0 + 0.2),
    WatchEvent("pods", EventType.ADDED, _pod("loki-1", "Pending"), T0 + 0.4),
]


async def _collect(source, out: list) -> None:
    async for item in source:
        out.append(item)


async def test_instant_replay_emits_everything_in_order_with_original_times():
    control = ReplayControl(speed=INSTANT)
    out: list = []
    await _collect(replay(ITEMS, control=control), out)
    assert out == ITEMS
    assert control.finished
    assert control.played == 4
    assert control.damage is None
    assert control.now() == T0 + 0.4


async def test_paced_replay_follows_recording_time():
    control = ReplayControl(speed=2.0)
    seen: list[tuple[float, float]] = []
    start = time.monotonic()
    async for _item in replay(ITEMS, control=control):
        seen.append((time.monotonic() - start, control.now()))
    # 0.4 s of recording at 2x takes at least 0.2 s; the clock reads each item's own time
    assert seen[-1][0] >= 0.19
    assert [round(clock - T0, 1) for _, clock in seen] == [0.0, 0.1, 0.2, 0.4]


async def test_pause_holds_step_releases_one_resume_plays_on():
    control = ReplayControl(speed=INSTANT, paused=True)
    async with aclosing(replay(ITEMS, control=control)) as items:
        first = asyncio.ensure_future(anext(items))
        await asyncio.sleep(0.05)
        assert not first.done()  # paused before the first item
        control.step()
        assert await asyncio.wait_for(first, 2) == ITEMS[0]
        second = asyncio.ensure_future(anext(items))
        control.step()
        assert await asyncio.wait_for(second, 2) == ITEMS[1]
        third = asyncio.ensure_future(anext(items))
        await asyncio.sleep(0.05)
        assert not third.done()  # paused again after the step
        held = control.now()
        await asyncio.sleep(0.05)
        assert control.now() == held  # and the clock does not move while paused
        control.resume()
        assert await asyncio.wait_for(third, 2) == ITEMS[2]
        assert [item async for item in items] == ITEMS[3:]
    assert control.finished


async def test_speed_change_applies_to_a_wait_in_progress():
    slow = [ITEMS[0], WatchEvent("pods", EventType.ADDED, _pod("loki-2", "Pending"), T0 + 60)]
    control = ReplayControl(speed=1.0, idle_limit=None)
    async with aclosing(replay(slow, control=control)) as items:
        assert await asyncio.wait_for(anext(items), 2) == slow[0]
        second = asyncio.ensure_future(anext(items))
        await asyncio.sleep(0.05)  # let the replay start its wait
        assert not second.done()  # the next item is a minute away at 1x
        control.set_speed(INSTANT)
        assert await asyncio.wait_for(second, 2) == slow[1]


async def test_damaged_recording_reports_where_it_broke(tmp_path: Path):
    path = tmp_path / "run.ndjson"
    with Recorder(path, context="demo", server="http://127.0.0.1:1", started=T0) as rec:
        for item in ITEMS:
            rec.write(item)
    path.write_text(path.read_text()[:-10])
    control = ReplayControl(speed=INSTANT)
    out: list = []
    with RecordingReader(path) as reader:
        await _collect(replay(reader, control=control), out)
    assert out == ITEMS[:3]
    assert control.finished
    assert control.damage is not None
    assert control.damage.line == 5


def _helm_release(name: str) -> dict:
    return slim(
        {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": "flux-system", "generation": 1},
            "spec": {"chart": {"spec": {"chart": name.removeprefix("bp-")}}},
        }
    )


async def _gap_takes(idle_limit: float | None) -> tuple[float, float]:
    """Wall seconds between two items a minute apart at 100x, and the clock at the second."""
    items = [ITEMS[1], WatchEvent("pods", EventType.ADDED, _pod("loki-2", "Pending"), T0 + 60.1)]
    control = ReplayControl(speed=100.0, idle_limit=idle_limit)
    arrived: list[float] = []
    async for _item in replay(items, control=control):
        arrived.append(time.monotonic())
    return arrived[1] - arrived[0], control.now()


async def test_an_idle_gap_plays_in_the_idle_limit_real_gaps_keep_it():
    compressed, clock = await _gap_takes(0.05)
    assert compressed < 0.5  # 0.6 s at 100x, compressed to 0.05 s (loaded machines are slow)
    assert clock == T0 + 60.1  # the clock still reads the recording's time
    real, clock = await _gap_takes(None)
    assert real >= 0.59
    assert clock == T0 + 60.1


async def test_the_lead_in_before_the_first_helmrelease_plays_at_once():
    items = [
        StreamHealth("pods", HealthState.LIVE, T0),
        WatchEvent("pods", EventType.ADDED, _pod("cilium-0", "Pending"), T0 + 0.5),
        WatchEvent("helmreleases", EventType.ADDED, _helm_release("bp-cilium"), T0 + 300),
        WatchEvent("pods", EventType.MODIFIED, _pod("cilium-0", "Running"), T0 + 400),
    ]
    tape = Tape.of(items)
    assert tape.lead_in == 2
    control = ReplayControl(speed=1.0)
    out: list = []
    start = time.monotonic()
    async for item in replay(tape, control=control):
        out.append((item, round(time.monotonic() - start, 1), control.now()))
    # five minutes of recording at 1x without waiting for them, then the last gap (100 s) in
    # about a second, the clock reading each item's time
    assert [item for item, _, _ in out] == items
    assert [wall for _, wall, _ in out[:3]] == [0.0, 0.0, 0.0]
    assert 0.9 <= out[3][1] < 3
    clocks = [T0, T0 + 0.5, T0 + 300, T0 + 400]
    assert [clock for _, _, clock in out] == pytest.approx(clocks, abs=0.05)


def test_frames_follow_the_pace_and_read_the_clock_between_items():
    items = [
        WatchEvent("pods", EventType.ADDED, _pod(f"p-{i}", "Pending"), T0 + t)
        for i, t in enumerate((0.0, 0.1, 60.0, 60.2))
    ]
    cut = frames(Tape.of(items), speed=1.0, idle_limit=1.0, every=0.25)
    # played at 0, 0.1, 1.1 (the minute compressed to a second) and 1.3 seconds
    assert [f.at for f in cut] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
    assert [len(f.items) for f in cut] == [1, 1, 0, 0, 0, 1, 1]
    assert [i for f in cut for i in f.items] == items
    assert cut[2].clock == pytest.approx(T0 + 0.1 + 0.4 * 59.9)  # the clock runs through the gap
    assert cut[-1].clock == T0 + 60.2
    real = frames(Tape.of(items), speed=10.0, idle_limit=None, every=0.25)
    assert real[-1].at == pytest.approx(6.0, abs=0.25)  # 60.2 s at 10x


async def test_seek_goes_on_from_the_new_position_and_after_the_end():
    control = ReplayControl(speed=INSTANT, paused=True)
    tape = Tape.of(ITEMS)
    source = replay(tape, control=control)
    control.seek(2, tape.times[1])
    control.step()
    assert await asyncio.wait_for(anext(source), 2) == ITEMS[2]
    control.seek(0, tape.start)
    control.resume()
    out: list = []
    await asyncio.wait_for(_collect(source, out), 2)
    assert control.position == 4
    assert out == ITEMS  # from the start again, to the end
    assert control.finished
    control.seek(1, tape.times[0])  # played to the end: a new source plays on from the seek
    assert not control.finished
    again: list = []
    await _collect(replay(tape, control=control), again)
    assert again == ITEMS[1:]


def _contents(store: Store) -> tuple:
    kinds = sorted(store.kinds())
    return (
        store.revision,
        {k: sorted(map(repr, store.objects(k))) for k in kinds},
        dict(store.health),
        dict(store.first_seen),
    )


def test_store_at_any_position_is_the_straight_replay_s_store(stuck_recording, monkeypatch):
    monkeypatch.setattr(navigation, "CHECKPOINT_EVERY", 300)  # several checkpoints in `stuck`
    with RecordingReader(stuck_recording) as reader:
        tape = Tape.of(reader)
    navigator = Navigator(tape, ReplayControl())
    positions = [0, 1, 299, 300, 301, 1000, len(tape) // 2, len(tape)]
    built = {p: _contents(navigator.store_at(p)) for p in reversed(positions)}  # back first
    straight = Store()
    for played, item in enumerate(tape.items, start=1):
        straight.apply(item)
        if played in built:
            assert built[played] == _contents(straight), played
    assert built[0] == _contents(Store())
    assert len(tape) > 1200  # several checkpoints
    assert set(navigator._stores.checkpoints) == set(range(0, len(tape), 300))


def test_next_failure_is_the_first_release_the_plain_replay_sees_fail(stuck_recording):
    with RecordingReader(stuck_recording) as reader:
        tape = Tape.of(reader)
    control = ReplayControl()
    landing = Navigator(tape, control).land(Seek.FAILURE, tape.start)
    assert landing is not None
    assert landing.release == ("HelmRelease", "flux-system", first_failure(stuck_recording))
    assert landing.at == tape.times[landing.position - 1]
    control.seek(landing.position, landing.at)
    later = Navigator(tape, control).land(Seek.FAILURE, landing.at)
    assert later is not None
    assert later.position > landing.position
    assert later.release != landing.release
