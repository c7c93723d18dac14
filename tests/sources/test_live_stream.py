"""The merged live stream: all reflectors in one iterator, and nothing left behind when closed."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

from sovwatch.kube import api, config
from sovwatch.kube.resources import WATCHED
from sovwatch.sources import live
from sovwatch.sources.events import HealthState, StreamHealth, WatchEvent
from tests.sources.engine_harness import is_watch, requests_for
from tests.sources.engine_objects import HR, helmrelease, pod
from tests.timings import FAST


async def test_closing_the_stream_cancels_every_watch_and_closes_the_session(
    flux_emulator, tmp_path
):
    flux_emulator.store.put(pod("web-0"))
    flux_emulator.store.put(helmrelease("cert-manager"))
    kubeconfig = flux_emulator.write_kubeconfig(tmp_path / "kubeconfig")
    connection = await config.load_connection((kubeconfig,), settings=FAST)
    client = await api.connect(connection, settings=FAST)
    live_streams: set[str] = set()
    events: list[WatchEvent] = []
    async with aclosing(live.stream(client, settings=FAST)) as items:
        async for item in items:
            if isinstance(item, StreamHealth) and item.state is HealthState.LIVE:
                live_streams.add(item.resource)
            elif isinstance(item, WatchEvent):
                events.append(item)
            if len(live_streams) == len(WATCHED):
                break
    assert {e.obj["metadata"]["name"] for e in events} == {"web-0", "cert-manager"}
    assert client.closed
    leftover = [t for t in asyncio.all_tasks() if t.get_name().startswith("sovwatch-watch-")]
    assert leftover == []
    # The server sees every watch connection end (its handler finishes when the client leaves).
    watches = [r for r in flux_emulator.request_log if is_watch(r)]
    assert len(watches) == len(WATCHED)
    for _ in range(250):  # at most 5 s
        if all(r.duration is not None for r in watches):
            break
        await asyncio.sleep(0.02)
    assert all(r.duration is not None for r in watches)


async def test_a_forbidden_and_an_absent_resource_do_not_hold_up_the_others(emulator, harness):
    emulator.faults.forbid("pods")
    h = await harness(emulator).start()
    await h.until(
        lambda: all(h.store.health.get(r.key) and h.store.health[r.key].settled for r in WATCHED),
        "every stream settled",
    )
    assert h.state("pods") is HealthState.FORBIDDEN
    assert h.state(HR) is HealthState.ABSENT
    assert h.state("deployments.apps") is HealthState.LIVE

    def deployment_watches() -> list:
        return [r for r in requests_for(emulator, "deployments.apps") if is_watch(r)]

    await h.until(lambda: deployment_watches(), "the deployments watch")
    assert len(deployment_watches()) == 1
    assert [r.status for r in requests_for(emulator, "pods")] == [403]
