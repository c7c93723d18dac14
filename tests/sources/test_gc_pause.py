"""`live.stream(pause_gc=...)`: the cyclic garbage collector is off while the first lists load,
and back on (with the first picture frozen, at the steady thresholds) once every stream has
listed, or when time is up."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing

import pytest

from sovwatch.kube import api, config
from sovwatch.kube.resources import WATCHED
from sovwatch.sources import live
from sovwatch.sources.events import StreamHealth, WatchEvent
from tests.sources.engine_objects import pod
from tests.timings import FAST

PODS = [r for r in WATCHED if r.key == "pods"]
CPYTHON_THRESHOLDS = (700, 10, 10)


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    """Each test starts from CPython's thresholds (an earlier test's session in this process may
    have set the steady ones); whatever a test does, the rest of the run gets the collector as it
    was."""
    was, thresholds = gc.isenabled(), gc.get_threshold()
    gc.set_threshold(*CPYTHON_THRESHOLDS)
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    if was:
        gc.enable()


async def _client(emulator, tmp_path) -> api.ApiClient:
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    connection = await config.load_connection((kubeconfig,), settings=FAST)
    return await api.connect(connection, settings=FAST)


def _items(client, pause_gc: float) -> AsyncIterator:
    return live.stream(client, settings=FAST, resources=PODS, pause_gc=pause_gc)


async def test_off_while_listing_then_on_with_the_first_picture_frozen(emulator, tmp_path):
    """Off for the lists and while the consumer takes the item saying every stream listed (its
    first model run over everything); on, the picture frozen, when it asks for the next."""
    for i in range(3):
        emulator.store.put(pod(f"web-{i}"))
    client = await _client(emulator, tmp_path)
    during = []
    async with aclosing(_items(client, 30.0)) as items:
        async for item in items:
            if isinstance(item, WatchEvent):
                during.append(gc.isenabled())
            elif isinstance(item, StreamHealth) and item.settled:
                during.append(gc.isenabled())
                break
        emulator.store.put(pod("web-3"))
        while not isinstance(await anext(items), WatchEvent):
            pass
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == live.STEADY_GC_THRESHOLDS
    assert during == [False, False, False, False]


async def test_on_again_when_time_is_up_though_a_stream_never_lists(emulator, tmp_path):
    client = await _client(emulator, tmp_path)
    emulator.faults.fail_next(10_000, 500)  # the pods stream retries, never settled
    seen = []
    async with aclosing(_items(client, 0.3)) as items:
        async for _ in items:
            seen.append(gc.isenabled())
            if gc.isenabled():
                break
    assert seen[0] is False
    assert seen[-1] is True
    assert gc.get_freeze_count() > 0


async def test_left_alone_without_pause_gc(emulator, tmp_path):
    emulator.store.put(pod("web-0"))
    client = await _client(emulator, tmp_path)
    async with aclosing(_items(client, 0.0)) as items:
        async for item in items:
            assert gc.isenabled()
            if isinstance(item, StreamHealth) and item.settled:
                break
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == CPYTHON_THRESHOLDS
