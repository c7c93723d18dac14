"""`demo --fleet` and `sim --fleet`: the plan of simulated Sovereigns, their one kubeconfig, the
flaky one's API server going away and coming back (real HTTP to real emulators)."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import aiohttp
import yaml

from sovwatch import demo
from sovwatch.invocation import Invocation
from sovwatch.kube import api, config
from sovwatch.settings import WatchSettings


def test_the_plan_mixes_scenarios_seeds_and_one_flaky_member():
    plan = demo.fleet_plan(12, seed=5)
    assert [s.context for s in plan][:3] == ["sov-fra1", "sov-ams1", "sov-par1"]
    assert len({s.context for s in plan}) == 12
    assert [s.seed for s in plan] == list(range(5, 17))
    assert [s.context for s in plan if s.scenario == "stuck"] == [
        "sov-par1",
        "sov-waw1",
        "sov-zrh1",
    ]
    assert sum(s.scenario == "bootstrap-kit" for s in plan) == 9
    flaky = [s for s in plan if s.flaky]
    assert len(flaky) == 1
    assert flaky[0].scenario == "bootstrap-kit"
    assert len({s.head_start for s in plan}) > 6  # at different stages
    assert all(0 <= s.head_start <= demo.HEAD_START for s in plan)
    assert demo.fleet_plan(12, seed=5) == plan  # reproducible


def test_large_fleets_keep_names_unique_and_small_ones_have_no_flaky_member():
    assert len({s.context for s in demo.fleet_plan(50, seed=0)}) == 50
    assert not any(s.flaky for s in demo.fleet_plan(2, seed=0))
    assert [s.scenario for s in demo.fleet_plan(1, seed=0)] == ["bootstrap-kit"]


async def _version(url: str, token: str) -> int | None:
    """The status of GET /version, or None when nothing answers."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url}/version", headers=headers) as response,
        ):
            return response.status
    except aiohttp.ClientConnectionError:
        return None


async def _until(url: str, token: str, wanted: int | None, deadline: float) -> None:
    while await _version(url, token) != wanted:
        assert time.monotonic() < deadline, f"{url} never answered {wanted}"
        await asyncio.sleep(0.02)


async def test_the_demo_fleet_is_one_kubeconfig_each_context_a_working_cluster():
    invocation = Invocation(command="demo", fleet=3, speed=30.0)
    async with AsyncExitStack() as stack:
        cluster = await demo.start_demo_cluster(invocation, stack)
        assert cluster.contexts == ("sov-fra1", "sov-ams1", "sov-par1")
        document = yaml.safe_load(cluster.kubeconfig.read_text())
        assert document["current-context"] == "sov-fra1"
        servers = set()
        for context in cluster.contexts:
            connection = await config.load_connection(
                (cluster.kubeconfig,), context=context, settings=WatchSettings(), environ={}
            )
            client = await api.connect(connection, settings=WatchSettings())
            stack.push_async_callback(client.close)
            servers.add(connection.server)
        assert len(servers) == 3
    assert not cluster.kubeconfig.exists()  # the private directory goes with the demo


async def test_the_flaky_member_goes_away_and_comes_back_on_its_port():
    from sovsim.server import Emulator

    async with Emulator() as emulator:
        url, token = emulator.url, emulator.token
        flapping = asyncio.create_task(demo.flap(emulator, up=0.3, down=0.3))
        try:
            deadline = time.monotonic() + 20
            assert await _version(url, token) == 200
            await _until(url, token, None, deadline)  # connection refused
            await _until(url, token, 200, deadline)  # back, same URL
            await _until(url, token, None, deadline)  # and again
        finally:
            flapping.cancel()
