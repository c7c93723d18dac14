"""Watch semantics over real HTTP: initial ADDED, replay from an RV, 410 in-stream, bookmarks,
timeouts, boolean query values, selector transitions, the events view, CRD removal, big objects."""

from __future__ import annotations

import asyncio
import json

import pytest

from sovsim.objects import Change

from .helpers import HR_KEY, EventReader, core_event, helmrelease, install_flux_crds, pod


def summary(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["type"], e["object"]["metadata"].get("name", "")) for e in events]


async def test_watch_without_rv_sends_current_objects_then_live_changes(emulator, api):
    emulator.store.put(pod("web-0"))
    async with api.get("/api/v1/pods", params={"watch": "true"}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/json")
        reader = EventReader(resp)
        assert summary([await reader.next()]) == [("ADDED", "web-0")]
        changed = pod("web-0", ready=False)
        stored = emulator.store.put(changed)
        event = await reader.next()
    assert event["type"] == "MODIFIED"
    assert event["object"]["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    assert event["object"]["kind"] == "Pod"


async def test_watch_from_rv_replays_only_later_changes(emulator, api):
    emulator.store.put(pod("web-0"))
    rv = emulator.store.resource_version
    emulator.store.put(pod("web-1"))
    emulator.store.put(pod("web-0", ready=False))
    emulator.store.delete("pods", "cert-manager", "web-1")
    async with api.get("/api/v1/pods", params={"watch": "1", "resourceVersion": str(rv)}) as resp:
        events = await EventReader(resp).take(3)
    assert summary(events) == [("ADDED", "web-1"), ("MODIFIED", "web-0"), ("DELETED", "web-1")]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs)
    assert rvs[0] > rv


async def test_expired_rv_gets_in_stream_410_then_close(emulator, api):
    emulator.store.put(pod("web-0"))
    old = emulator.store.resource_version
    emulator.store.put(pod("web-1"))
    emulator.store.compact()
    async with api.get(
        "/api/v1/pods", params={"watch": "true", "resourceVersion": str(old)}
    ) as resp:
        assert resp.status == 200
        events = await EventReader(resp).until_eof()
    assert len(events) == 1
    [error] = events
    assert error["type"] == "ERROR"
    status = error["object"]
    assert status["kind"] == "Status"
    assert status["code"] == 410
    assert status["reason"] == "Expired"
    assert (
        status["message"]
        == f"too old resource version: {old} ({emulator.store.oldest_resource_version})"
    )


async def test_list_rv_stays_watchable_after_compaction(emulator, api):
    emulator.store.put(pod("web-0"))
    async with api.get("/api/v1/pods") as resp:
        list_rv = (await resp.json())["metadata"]["resourceVersion"]
    emulator.store.compact()
    params = {"watch": "true", "resourceVersion": list_rv, "timeoutSeconds": "0.3"}
    async with api.get("/api/v1/pods", params=params) as resp:
        emulator.store.put(pod("web-1"))
        events = await EventReader(resp).until_eof()
    assert summary(events) == [("ADDED", "web-1")]


async def test_bookmarks_carry_the_current_rv(emulator, api):
    emulator.store.put(pod("web-0"))
    params = {
        "watch": "true",
        "resourceVersion": str(emulator.store.resource_version),
        "allowWatchBookmarks": "true",
    }
    async with api.get("/api/v1/pods", params=params) as resp:
        reader = EventReader(resp)
        emulator.store.put(pod("web-0", ready=False))
        assert (await reader.next())["type"] == "MODIFIED"
        # A change elsewhere moves the store RV on; the bookmark carries it.
        emulator.store.put(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "kyverno"},
            }
        )
        bookmark = await reader.next()
    assert bookmark == {
        "type": "BOOKMARK",
        "object": {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": str(emulator.store.resource_version)},
        },
    }


async def test_timeout_seconds_ends_stream_and_no_bookmarks_unless_asked(emulator, api):
    emulator.store.put(pod("web-0"))
    params = {
        "watch": "true",
        "resourceVersion": str(emulator.store.resource_version),
        "timeoutSeconds": "1",
    }
    async with api.get("/api/v1/pods", params=params) as resp:
        events = await EventReader(resp).until_eof(within=3)
    assert events == [], "bookmark_interval is 0.2 s but bookmarks were not requested"


@pytest.mark.parametrize(
    ("value", "is_watch"),
    [
        ("true", True),
        ("True", True),
        ("1", True),
        ("yes", True),
        ("0", False),
        ("false", False),
        ("False", False),
    ],
)
async def test_watch_query_value(emulator, api, value, is_watch):
    emulator.store.put(pod("web-0"))
    async with api.get("/api/v1/pods", params={"watch": value, "timeoutSeconds": "0.2"}) as resp:
        text = await resp.text()
    first = text.splitlines()[0]
    if is_watch:
        assert first.startswith('{"type":"ADDED"')
    else:
        assert json.loads(text)["kind"] == "PodList"


async def test_label_selector_transitions_become_added_and_deleted(emulator, api):
    emulator.store.put(pod("web-0", labels={"app": "web"}))
    emulator.store.put(pod("db-0", labels={"app": "db"}))
    async with api.get(
        "/api/v1/namespaces/cert-manager/pods", params={"watch": "true", "labelSelector": "app=web"}
    ) as resp:
        reader = EventReader(resp)
        assert summary([await reader.next()]) == [("ADDED", "web-0")]
        emulator.store.put(pod("other-ns", "kube-system", labels={"app": "web"}))
        emulator.store.put(pod("db-0", labels={"app": "web"}))
        emulator.store.put(pod("web-0", labels={"app": "retired"}))
        emulator.store.put(pod("web-0", labels={"app": "retired"}, ready=False))
        emulator.store.put(pod("db-0", labels={"app": "web"}, ready=False))
        events = await reader.take(3)
    assert summary(events) == [("ADDED", "db-0"), ("DELETED", "web-0"), ("MODIFIED", "db-0")]


async def test_events_view_watch_has_same_names_and_rvs(emulator, api):
    async with api.get("/apis/events.k8s.io/v1/events", params={"watch": "true"}) as resp:
        reader = EventReader(resp)
        stored = emulator.store.put(
            core_event(
                "web-0.1",
                reason="Unhealthy",
                message="Readiness probe failed: HTTP probe failed with statuscode: 503",
            )
        )
        event = await reader.next()
    assert event["type"] == "ADDED"
    assert event["object"]["apiVersion"] == "events.k8s.io/v1"
    assert event["object"]["note"] == stored["message"]
    assert event["object"]["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]


async def test_crd_deletion_ends_watches_on_its_resource(emulator, api):
    install_flux_crds(emulator.store)
    emulator.store.put(helmrelease("cert-manager"))
    async with api.get(
        "/apis/helm.toolkit.fluxcd.io/v2/helmreleases", params={"watch": "true"}
    ) as resp:
        reader = EventReader(resp)
        assert summary([await reader.next()]) == [("ADDED", "cert-manager")]
        emulator.store.delete("customresourcedefinitions.apiextensions.k8s.io", "", HR_KEY)
        rest = await reader.until_eof()
    assert summary(rest) == [("DELETED", "cert-manager")]


async def test_two_megabyte_object_over_a_watch(emulator, api):
    big = pod("web-0")
    big["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": "x" * (2 * 1024 * 1024)
    }
    async with api.get("/api/v1/pods", params={"watch": "true"}) as resp:
        reader = EventReader(resp)
        emulator.store.put(big)
        event = await reader.next()
    assert (
        len(
            event["object"]["metadata"]["annotations"][
                "kubectl.kubernetes.io/last-applied-configuration"
            ]
        )
        == 2 * 1024 * 1024
    )


def test_change_prev_is_the_object_before(emulator):
    seen: list[Change] = []
    emulator.store.listeners.append(seen.append)
    emulator.store.put(pod("web-0", ready=True))
    emulator.store.put(pod("web-0", ready=False))
    assert seen[0].prev is None
    assert seen[1].prev["status"]["containerStatuses"][0]["ready"] is True


async def test_client_disconnect_releases_the_stream(emulator, api):
    async with api.get("/api/v1/pods", params={"watch": "true"}):
        for _ in range(50):
            if emulator.open_watches():
                break
            await asyncio.sleep(0.01)
        assert emulator.open_watches() == ["pods"]
    for _ in range(100):  # the server notices the closed connection and drops the subscription
        if not emulator.open_watches():
            break
        await asyncio.sleep(0.02)
    assert emulator.open_watches() == []
    assert not emulator.store._subscribers.get("pods")
