"""Paginated listing against the emulator: pages in order, the next one asked for ahead, nothing
left running when the caller stops early, an expired continue token raised as 410 Gone."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from sovsim.kubeconfigs import write_private
from sovsim.server import Emulator
from sovwatch.kube import api, config, errors
from sovwatch.kube.resources import WATCHED
from sovwatch.sources.listing import list_pages
from tests.sources.engine_objects import pod
from tests.timings import FAST

PODS = next(r for r in WATCHED if r.key == "pods")
SETTINGS = dataclasses.replace(FAST, list_page_size=3)


@pytest.fixture
async def client(emulator: Emulator, tmp_path: Path) -> AsyncIterator[api.ApiClient]:
    for i in range(7):
        emulator.store.put(pod(f"web-{i}"))
    path = write_private(tmp_path / "kubeconfig", emulator.kubeconfig())
    connection = await config.load_connection((path,), settings=SETTINGS)
    client = await api.connect(connection, settings=SETTINGS)
    yield client
    await client.close()


def _lists(emulator: Emulator) -> list[dict[str, str]]:
    return [r.query for r in emulator.request_log if r.path == "/api/v1/pods" and not r.watch]


def _pages(client: api.ApiClient) -> AsyncIterator[tuple[list[dict], str]]:
    return list_pages(client, PODS, "v1", namespace=None, settings=SETTINGS)


async def test_pages_arrive_in_order_and_the_next_is_asked_for_ahead(emulator, client):
    names, rvs = [], set()
    async with aclosing(_pages(client)) as pages:
        async for items, rv in pages:
            if not names:  # the first page is in hand: its successor is already on its way
                for _ in range(500):  # at once when not loaded, at most 10 s
                    if len(_lists(emulator)) >= 2:
                        break
                    await asyncio.sleep(0.02)
                assert len(_lists(emulator)) == 2
            names.append([o["metadata"]["name"] for o in items])
            rvs.add(rv)
            assert all(o["kind"] == "Pod" and o["apiVersion"] == "v1" for o in items)
    assert names == [["web-0", "web-1", "web-2"], ["web-3", "web-4", "web-5"], ["web-6"]]
    assert rvs == {str(emulator.store.resource_version)}
    assert [q.get("continue") is None for q in _lists(emulator)] == [True, False, False]


async def test_stopping_after_the_first_page_leaves_no_request_running(emulator, client):
    async with aclosing(_pages(client)) as pages:
        async for items, _ in pages:
            assert len(items) == 3
            break
    requests = [t for t in asyncio.all_tasks() if "get_json" in t.get_coro().__qualname__]
    assert requests == []


async def test_a_continue_token_expiring_mid_list_is_410_gone(emulator, client):
    seen: list[str] = []

    async def consume() -> None:
        async with aclosing(_pages(client)) as pages:
            async for items, _ in pages:
                if not seen:
                    emulator.store.put(pod("web-7"))
                    emulator.faults.compact()
                seen.extend(o["metadata"]["name"] for o in items)

    with pytest.raises(errors.APIGoneError):
        await consume()
    assert "web-6" not in seen
