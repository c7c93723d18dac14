"""The serialization cache: every response shows the object as stored now, in the shape asked for."""

from __future__ import annotations

import json

import pytest

from sovsim.encoding import EncodedObjects
from sovsim.objects import ObjectStore, crd_object, resource_type

from .helpers import HR_KEY, EventReader, core_event, helmrelease, install_flux_crds, pod


@pytest.mark.parametrize("owned", [False, True], ids=["copied", "owned"])
async def test_list_and_get_show_each_change_after_being_served(emulator, api, owned):
    emulator.store.put(pod("web-0", ready=False))
    async with api.get("/api/v1/pods") as resp:
        assert (await resp.json())["items"][0]["status"]["containerStatuses"][0]["ready"] is False
    emulator.store.put(pod("web-0", ready=True), owned=owned)
    rv = str(emulator.store.resource_version)
    async with api.get("/api/v1/pods") as resp:
        listed = (await resp.json())["items"][0]
    async with api.get("/api/v1/namespaces/cert-manager/pods/web-0") as resp:
        got = await resp.json()
    for obj in (listed, got):
        assert obj["metadata"]["resourceVersion"] == rv
        assert obj["status"]["containerStatuses"][0]["ready"] is True


async def test_one_stored_object_served_in_every_version_and_view(emulator, api):
    install_flux_crds(emulator.store)
    emulator.store.put(crd_object(resource_type(HR_KEY), served=["v2", "v2beta2"]))
    emulator.store.put(helmrelease("cilium", "kube-system"))
    emulator.store.put(
        core_event("web-0.17f3a", reason="BackOff", message="Back-off restarting failed container")
    )
    versions = {}
    for version in ("v2", "v2beta2", "v2"):
        async with api.get(f"/apis/helm.toolkit.fluxcd.io/{version}/helmreleases") as resp:
            versions[version] = (await resp.json())["items"][0]["apiVersion"]
    assert versions == {
        "v2": "helm.toolkit.fluxcd.io/v2",
        "v2beta2": "helm.toolkit.fluxcd.io/v2beta2",
    }
    async with api.get("/api/v1/events") as resp:
        core = (await resp.json())["items"][0]
    async with api.get("/apis/events.k8s.io/v1/events") as resp:
        view = (await resp.json())["items"][0]
    note = "Back-off restarting failed container"
    assert (core["apiVersion"], core["message"]) == ("v1", note)
    assert (view["apiVersion"], view["note"]) == ("events.k8s.io/v1", note)
    assert "message" not in view


async def test_watch_from_zero_after_a_list_sends_the_listed_objects(emulator, api):
    for i in range(3):
        emulator.store.put(pod(f"web-{i}"))
    async with api.get("/api/v1/pods") as resp:
        listed = (await resp.json())["items"]
    params = {"watch": "true", "timeoutSeconds": "0.3"}
    async with api.get("/api/v1/pods", params=params) as resp:
        events = await EventReader(resp).until_eof()
    assert [e["type"] for e in events] == ["ADDED"] * 3
    assert [e["object"] for e in events] == listed


def test_the_cache_holds_only_current_listed_objects():
    store = ObjectStore()
    cache = EncodedObjects()
    store.listeners.append(cache.forget)
    pods = resource_type("pods")
    for name in ("web-0", "web-1"):
        stored = store.put(pod(name), owned=True)
        assert json.loads(cache.encoded(pods, "v1", stored))["metadata"]["name"] == name
    assert len(cache) == 2
    store.put(pod("web-1", ready=False), owned=True)  # changed: its old JSON is dropped
    assert len(cache) == 1
    store.delete("pods", "cert-manager", "web-0")
    assert len(cache) == 0
    streamed = store.put(pod("web-2"), owned=True)
    as_watched = json.loads(cache.encoded(pods, "v1", streamed, keep=False))
    assert as_watched["metadata"]["name"] == "web-2"
    assert len(cache) == 0  # a watch event alone does not fill the cache


def test_without_the_cache_every_request_encodes_the_current_object():
    store = ObjectStore()
    cache = EncodedObjects(cache=False)
    pods = resource_type("pods")
    stored = store.put(pod("web-0"), owned=True)
    first = cache.encoded(pods, "v1", stored)
    again = cache.encoded(pods, "v1", stored)
    assert first == again  # the same JSON,
    assert first is not again  # encoded anew
    assert json.loads(cache.list_body(pods, "v1", {}, [stored]))["items"] == [json.loads(first)]
    assert len(cache) == 0
