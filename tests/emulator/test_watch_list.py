"""Streamed lists (watch-list, KEP-3157) over real HTTP: served by a server with the WatchList
feature, refused exactly as kube-apiserver's option validation refuses them by one without it."""

from __future__ import annotations

import aiohttp
import pytest

from sovsim.server import Emulator
from sovsim.watch import CHUNK_EVENTS

from .helpers import EventReader, pod

WATCH_LIST = {
    "watch": "true",
    "sendInitialEvents": "true",
    "resourceVersionMatch": "NotOlderThan",
    "allowWatchBookmarks": "true",
}
GATE_OFF = (
    "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is "
    "enabled"
)


async def test_initial_events_then_the_annotated_bookmark_then_changes(emulator, api):
    for name in ("web-0", "web-1", "web-2"):
        emulator.store.put(pod(name))
    at = str(emulator.store.resource_version)
    async with api.get("/api/v1/pods", params=WATCH_LIST) as resp:
        assert resp.status == 200
        reader = EventReader(resp)
        initial = await reader.take(4)
        stored = emulator.store.put(pod("web-3"))
        change = await reader.next()
    assert [(e["type"], e["object"]["metadata"].get("name")) for e in initial[:3]] == [
        ("ADDED", "web-0"),
        ("ADDED", "web-1"),
        ("ADDED", "web-2"),
    ]
    assert initial[3] == {
        "type": "BOOKMARK",
        "object": {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                "resourceVersion": at,
                "annotations": {"k8s.io/initial-events-end": "true"},
            },
        },
    }
    assert change["type"] == "ADDED"
    assert change["object"]["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]


async def test_initial_events_come_in_chunks_as_an_apiserver_flushes_them(emulator, api):
    """Not the whole list in one chunk: a client can start on the first objects while the rest
    are encoded (the HTTP chunk boundaries are what the server wrote, whatever TCP did)."""
    n = 2 * CHUNK_EVENTS + 1
    for i in range(n):
        emulator.store.put(pod(f"web-{i}"))
    params = {**WATCH_LIST, "timeoutSeconds": "1"}
    sizes, lines = [], 0
    async with api.get("/api/v1/pods", params=params) as resp:
        async for data, end_of_chunk in resp.content.iter_chunks():
            lines += data.count(b"\n")
            if end_of_chunk and data:
                sizes.append(lines)
                lines = 0
    # 201 ADDED and the bookmark: 100, 100, then the last object with the bookmark (then the
    # periodic bookmarks until the timeout)
    assert sizes[:3] == [CHUNK_EVENTS, CHUNK_EVENTS, 2]


async def test_no_bookmark_unless_asked_for(emulator, api):
    emulator.store.put(pod("web-0"))
    params = {**WATCH_LIST, "allowWatchBookmarks": "false", "timeoutSeconds": "1"}
    async with api.get("/api/v1/pods", params=params) as resp:
        events = await EventReader(resp).until_eof()
    assert [e["type"] for e in events] == ["ADDED"]


async def test_an_older_server_refuses_it_422_invalid(api_old):
    async with api_old.get("/api/v1/pods", params=WATCH_LIST) as resp:
        assert resp.status == 422
        body = await resp.json()
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: {GATE_OFF}',
        "reason": "Invalid",
        "details": {
            "group": "meta.k8s.io",
            "kind": "ListOptions",
            "causes": [
                {"reason": "FieldValueForbidden", "message": GATE_OFF, "field": "sendInitialEvents"}
            ],
        },
        "code": 422,
    }


async def test_an_older_server_still_serves_plain_watches_and_lists(api_old):
    async with api_old.get("/api/v1/pods", params={"watch": "true", "timeoutSeconds": "1"}) as r:
        assert r.status == 200
    async with api_old.get("/api/v1/pods", params={"limit": "500"}) as r:
        assert r.status == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"watch": "true", "sendInitialEvents": "true"},
            "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
            "resourceVersionMatch to NotOlderThan",
        ),
        (
            {"watch": "true", "resourceVersionMatch": "NotOlderThan"},
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless "
            "sendInitialEvents is provided",
        ),
        (
            {"sendInitialEvents": "true"},
            "sendInitialEvents: Forbidden: sendInitialEvents is supported only with watch",
        ),
    ],
)
async def test_invalid_combinations_are_422(emulator, api, params, message):
    async with api.get("/api/v1/pods", params=params) as resp:
        assert resp.status == 422
        body = await resp.json()
    assert body["message"] == f'ListOptions.meta.k8s.io "" is invalid: {message}'


@pytest.fixture
async def api_old():
    """A session on an emulator started as an older server (no streamed lists)."""
    async with (
        Emulator(watch_list=False) as emu,
        aiohttp.ClientSession(
            base_url=emu.url, headers={"Authorization": f"Bearer {emu.token}"}
        ) as session,
    ):
        yield session
