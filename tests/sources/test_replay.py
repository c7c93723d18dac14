"""Replay re-emits a recording with its original times, paced, pausable and steppable."""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from pathlib import Path

from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.sources.recording import Recorder, RecordingReader
from sovwatch.sources.replay import INSTANT, ReplayControl, replay
from sovwatch.sources.slimming import slim

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
    control = ReplayControl(speed=1.0)
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
