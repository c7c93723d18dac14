"""Each fault hook, in-process and through the HTTP control endpoint, plus restart on the same port."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from .helpers import HR_KEY, EventReader, helmrelease, install_flux_crds, pod

QUIET = 0.6
"""How long a stalled stream must stay silent: three bookmark intervals of the fixture."""


async def test_close_watches_ends_only_the_named_resource(emulator, api):
    install_flux_crds(emulator.store)
    async with (
        api.get("/api/v1/pods", params={"watch": "true"}) as pods,
        api.get("/apis/helm.toolkit.fluxcd.io/v2/helmreleases", params={"watch": "true"}) as hrs,
    ):
        # The emulator registers a watch before it answers with headers: both streams are open.
        assert emulator.faults.close_watches("pods") == 1
        assert await EventReader(pods).until_eof() == []
        emulator.store.put(helmrelease("cert-manager"))
        assert (await EventReader(hrs).next())["type"] == "ADDED"


async def test_compact_and_close_forces_410_on_resume(emulator, api):
    emulator.store.put(pod("web-0"))
    async with api.get("/api/v1/pods", params={"watch": "true"}) as resp:
        reader = EventReader(resp)
        last_rv = (await reader.next())["object"]["metadata"]["resourceVersion"]
        emulator.store.put(pod("web-1"))
        await reader.next()
        emulator.faults.compact()
        emulator.faults.close_watches()
        await reader.until_eof()
    async with api.get(
        "/api/v1/pods", params={"watch": "true", "resourceVersion": last_rv}
    ) as resp:
        [error] = await EventReader(resp).until_eof()
    assert error["object"]["code"] == 410


async def test_stall_sends_nothing_not_even_bookmarks_until_unstall(emulator, api):
    params = {
        "watch": "true",
        "resourceVersion": str(emulator.store.resource_version),
        "allowWatchBookmarks": "1",
    }
    async with api.get("/api/v1/pods", params=params) as resp:
        reader = EventReader(resp)
        assert (await reader.next())["type"] == "BOOKMARK"
        emulator.faults.stall("pods")
        emulator.store.put(pod("web-0"))
        with pytest.raises(TimeoutError):
            await reader.line(within=QUIET)
        assert not resp.content.at_eof()
        emulator.faults.unstall()
        event = await reader.next()
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "web-0")


async def test_stall_of_another_resource_leaves_stream_alone(emulator, api):
    async with api.get("/api/v1/pods", params={"watch": "true"}) as resp:
        emulator.faults.stall(HR_KEY)
        emulator.store.put(pod("web-0"))
        assert (await EventReader(resp).next())["type"] == "ADDED"


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
            {},
            'helmreleases.helm.toolkit.fluxcd.io is forbidden: User "sovwatch-sim-admin" cannot list resource "helmreleases" in API group "helm.toolkit.fluxcd.io" at the cluster scope',
        ),
        (
            "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases",
            {"watch": "true"},
            'helmreleases.helm.toolkit.fluxcd.io is forbidden: User "sovwatch-sim-admin" cannot watch resource "helmreleases" in API group "helm.toolkit.fluxcd.io" in the namespace "flux-system"',
        ),
        (
            "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases/cilium",
            {},
            'helmreleases.helm.toolkit.fluxcd.io "cilium" is forbidden: User "sovwatch-sim-admin" cannot get resource "helmreleases" in API group "helm.toolkit.fluxcd.io" in the namespace "flux-system"',
        ),
    ],
    ids=["list-cluster", "watch-namespace", "get"],
)
async def test_forbid_answers_403_with_rbac_message(emulator, api, path, params, message):
    install_flux_crds(emulator.store)
    emulator.faults.forbid(HR_KEY)
    async with api.get(path, params=params) as resp:
        assert resp.status == 403
        body = await resp.json()
    assert body["reason"] == "Forbidden"
    assert body["message"] == message
    async with api.get("/api/v1/pods") as resp:
        assert resp.status == 200, "other resources stay allowed"
    emulator.faults.allow(HR_KEY)
    async with api.get("/apis/helm.toolkit.fluxcd.io/v2/helmreleases") as resp:
        assert resp.status == 200


def test_forbid_of_core_resource_names_empty_group(emulator):
    from sovsim.objects import resource_type
    from sovsim.status import forbidden

    resp = forbidden(resource_type("pods"), user="u", verb="list", namespace=None, name=None)
    assert (
        json.loads(resp.text)["message"]
        == 'pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope'
    )


@pytest.mark.parametrize(("status", "reason"), [(429, "TooManyRequests"), (500, "InternalError")])
async def test_fail_next_n_requests(emulator, api, status, reason):
    emulator.faults.fail_next(2, status=status, retry_after=1.5 if status == 429 else None)
    for _ in range(2):
        async with api.get("/api/v1/pods") as resp:
            assert resp.status == status
            assert (await resp.json())["reason"] == reason
            assert resp.headers.get("Retry-After") == ("1.5" if status == 429 else None)
    async with api.get("/api/v1/pods") as resp:
        assert resp.status == 200


def test_fail_next_rejects_other_statuses(emulator):
    with pytest.raises(ValueError, match="429 or 500"):
        emulator.faults.fail_next(1, status=404)


def test_unknown_resource_name_is_rejected(emulator):
    with pytest.raises(KeyError):
        emulator.faults.stall(
            "helmreleases"
        )  # needs the group: helmreleases.helm.toolkit.fluxcd.io


async def test_malformed_line_then_stream_continues(emulator, api):
    async with api.get("/api/v1/pods", params={"watch": "true"}) as resp:
        reader = EventReader(resp)
        assert emulator.faults.malformed_line("pods") == 1
        line = await reader.line()
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
        emulator.store.put(pod("web-0"))
        assert (await reader.next())["type"] == "ADDED"


async def test_restart_keeps_port_and_store_and_ends_watches(emulator, api):
    emulator.store.put(pod("web-0"))
    port, rv = emulator.port, emulator.store.resource_version
    async with api.get(
        "/api/v1/pods", params={"watch": "true", "resourceVersion": str(rv)}
    ) as resp:
        await emulator.restart()
        try:
            leftover = await EventReader(resp).until_eof()
        except aiohttp.ClientPayloadError:
            leftover = []
        assert leftover == []
    assert emulator.port == port
    async with api.get("/api/v1/pods") as resp:
        body = await resp.json()
    assert body["metadata"]["resourceVersion"] == str(rv)
    assert [p["metadata"]["name"] for p in body["items"]] == ["web-0"]


async def test_control_endpoint(emulator, api):
    async with api.post(
        "/_sim/faults/fail_next", json={"n": 1, "status": 429, "retry_after": 2}
    ) as resp:
        assert resp.status == 200
        assert await resp.json() == {"result": None}
    async with api.get("/api/v1/pods") as resp:
        assert (resp.status, resp.headers["Retry-After"]) == (429, "2")
    async with api.post("/_sim/faults/forbid", json={"resource": "nope"}) as resp:
        assert resp.status == 400
    async with api.post("/_sim/faults/format_disk") as resp:
        assert resp.status == 404
    async with (
        aiohttp.ClientSession() as anonymous,
        anonymous.post(emulator.url + "/_sim/faults/compact") as resp,
    ):
        assert resp.status == 401
    async with api.get("/api/v1/pods", params={"watch": "true"}) as watch:
        async with api.post("/_sim/faults/close_watches", json={"resource": "pods"}) as resp:
            assert await resp.json() == {"result": 1}
        assert await EventReader(watch).until_eof() == []


async def test_control_endpoint_restart(emulator, api):
    emulator.store.put(pod("web-0"))
    port = emulator.port
    async with api.get("/api/v1/pods", params={"watch": "true"}) as watch:
        reader = EventReader(watch)
        assert (await reader.next())["type"] == "ADDED"
        async with api.post("/_sim/faults/restart") as resp:
            assert resp.status == 200
        try:
            assert await reader.until_eof() == [], "the restart ends open watches"
        except aiohttp.ClientPayloadError:
            pass
    assert emulator.port == port
    async with aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {emulator.token}"}
    ) as fresh:
        for _ in range(100):  # out-of-process callers retry while the server comes back
            try:
                async with fresh.get(emulator.url + "/api/v1/pods") as resp:
                    names = [p["metadata"]["name"] for p in (await resp.json())["items"]]
                break
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.02)
    assert names == ["web-0"]
