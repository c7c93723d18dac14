"""List and get: shapes, 404s, pagination, label and field selectors, the events.k8s.io view."""

from __future__ import annotations

import pytest

from .helpers import HR_KEY, core_event, helmrelease, install_flux_crds, pod


async def test_list_shape_and_objects_carry_kind(emulator, api):
    emulator.store.put(pod("cert-manager-6d9c-x2x"))
    emulator.store.put(pod("coredns-7c65-abcde", "kube-system"))
    async with api.get("/api/v1/pods") as resp:
        body = await resp.json()
    assert body["kind"] == "PodList"
    assert body["apiVersion"] == "v1"
    assert body["metadata"]["resourceVersion"] == str(emulator.store.resource_version)
    assert [p["metadata"]["name"] for p in body["items"]] == [
        "cert-manager-6d9c-x2x",
        "coredns-7c65-abcde",
    ]
    assert all(p["kind"] == "Pod" and p["apiVersion"] == "v1" for p in body["items"])
    async with api.get("/api/v1/namespaces/kube-system/pods") as resp:
        assert [p["metadata"]["name"] for p in (await resp.json())["items"]] == [
            "coredns-7c65-abcde"
        ]


async def test_crd_list_rewrites_api_version_to_requested_version(emulator, api):
    install_flux_crds(emulator.store)
    emulator.store.put(crd := helmrelease("cilium", "kube-system"))  # noqa: F841
    from sovsim.objects import crd_object, resource_type

    emulator.store.put(crd_object(resource_type(HR_KEY), served=["v2", "v2beta2"]))
    async with api.get(
        "/apis/helm.toolkit.fluxcd.io/v2beta2/namespaces/kube-system/helmreleases"
    ) as resp:
        body = await resp.json()
    assert body["kind"] == "HelmReleaseList"
    assert body["apiVersion"] == "helm.toolkit.fluxcd.io/v2beta2"
    assert body["items"][0]["apiVersion"] == "helm.toolkit.fluxcd.io/v2beta2"
    assert body["items"][0]["kind"] == "HelmRelease"


async def test_get_and_not_found(emulator, api):
    install_flux_crds(emulator.store)
    emulator.store.put(helmrelease("cert-manager"))
    async with api.get(
        "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases/cert-manager"
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["metadata"]["name"] == "cert-manager"
    async with api.get(
        "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases/nope"
    ) as resp:
        assert resp.status == 404
        body = await resp.json()
    assert body["message"] == 'helmreleases.helm.toolkit.fluxcd.io "nope" not found'
    assert body["details"] == {
        "name": "nope",
        "group": "helm.toolkit.fluxcd.io",
        "kind": "helmreleases",
    }
    async with api.get("/api/v1/namespaces/default/pods/x") as resp:
        assert (await resp.json())["message"] == 'pods "x" not found'


async def test_pagination_walks_every_object_once(emulator, api):
    names = [f"web-{i:02d}" for i in range(7)]
    for name in names:
        emulator.store.put(pod(name))
    seen, token, pages, rvs = [], None, 0, set()
    while True:
        params = {"limit": "3", **({"continue": token} if token else {})}
        async with api.get("/api/v1/pods", params=params) as resp:
            body = await resp.json()
        pages += 1
        seen += [p["metadata"]["name"] for p in body["items"]]
        rvs.add(body["metadata"]["resourceVersion"])
        token = body["metadata"].get("continue")
        if not token:
            break
        assert body["metadata"]["remainingItemCount"] == len(names) - len(seen)
    assert seen == names
    assert pages == 3
    assert len(rvs) == 1, "every page reports the first page's resourceVersion"


async def _walk(api, path: str, limit: int, **params) -> tuple[list[tuple[str, str]], list[dict]]:
    """Every (namespace, name) a paginated list returns, and each page's metadata."""
    seen, metas, token = [], [], None
    while True:
        query = {"limit": str(limit), **params, **({"continue": token} if token else {})}
        async with api.get(path, params=query) as resp:
            body = await resp.json()
        seen += [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in body["items"]]
        metas.append(body["metadata"])
        token = body["metadata"].get("continue")
        if not token:
            return seen, metas


async def test_pagination_across_namespaces_that_prefix_each_other(emulator, api):
    # "cert-manager-csi" sorts after "cert-manager" as a namespace, but "cert-manager-csi/a"
    # sorts before "cert-manager/z" as a string: pages must resume by (namespace, name).
    placed = [("cert-manager", "z"), ("cert-manager-csi", "a"), ("cert-manager", "b")]
    placed += [("cert", "m"), ("cert-manager-csi", "c")]
    for namespace, name in placed:
        emulator.store.put(pod(name, namespace))
    seen, metas = await _walk(api, "/api/v1/pods", 1)
    assert seen == sorted(placed)
    assert [m.get("remainingItemCount") for m in metas] == [4, 3, 2, 1, None]
    seen, _ = await _walk(api, "/api/v1/namespaces/cert-manager/pods", 1)
    assert seen == [("cert-manager", "b"), ("cert-manager", "z")]


async def test_paginated_list_with_a_selector_gives_no_remaining_count(emulator, api):
    for name, labels in (("a", {"app": "web"}), ("b", {"app": "db"}), ("c", {"app": "web"})):
        emulator.store.put(pod(name, labels=labels))
    seen, metas = await _walk(api, "/api/v1/pods", 1, labelSelector="app=web")
    assert [name for _, name in seen] == ["a", "c"]
    assert all("remainingItemCount" not in m for m in metas)


async def test_objects_deleted_and_added_between_pages(emulator, api):
    for name in ("a", "b", "c", "d"):
        emulator.store.put(pod(name))
    async with api.get("/api/v1/pods", params={"limit": "2"}) as resp:
        first = await resp.json()
    emulator.store.delete("pods", "cert-manager", "c")
    emulator.store.put(pod("bb"))
    emulator.store.put(pod("0"))  # before the resume point: not seen by this list
    params = {"limit": "5", "continue": first["metadata"]["continue"]}
    async with api.get("/api/v1/pods", params=params) as resp:
        rest = await resp.json()
    assert [p["metadata"]["name"] for p in first["items"] + rest["items"]] == ["a", "b", "bb", "d"]


async def test_invalid_and_expired_continue_tokens(emulator, api):
    for name in ("a", "b", "c"):
        emulator.store.put(pod(name))
    async with api.get("/api/v1/pods", params={"continue": "%%%"}) as resp:
        assert resp.status == 400
    async with api.get("/api/v1/pods", params={"limit": "1"}) as resp:
        token = (await resp.json())["metadata"]["continue"]
    emulator.store.put(pod("d"))
    emulator.store.compact()
    async with api.get("/api/v1/pods", params={"limit": "1", "continue": token}) as resp:
        assert resp.status == 410
        assert (await resp.json())["reason"] == "Expired"


LABELLED = {
    "a": {"app": "web", "tier": "front"},
    "b": {"app": "web", "tier": "back"},
    "c": {"app": "db"},
    "d": {},
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d"]),
        ("app in (web, db)", ["a", "b", "c"]),
        ("tier notin (front)", ["b", "c", "d"]),
        ("tier", ["a", "b"]),
        ("!tier", ["c", "d"]),
        ("app=web,tier=back", ["b"]),
        ("app in (web),!tier", []),
    ],
    ids=["eq", "double-eq", "neq", "in", "notin", "exists", "not-exists", "and", "in-and-not"],
)
async def test_label_selectors(emulator, api, selector, expected):
    for name, labels in LABELLED.items():
        emulator.store.put(pod(name, labels=labels))
    async with api.get("/api/v1/pods", params={"labelSelector": selector}) as resp:
        assert resp.status == 200
        assert [p["metadata"]["name"] for p in (await resp.json())["items"]] == expected


async def test_malformed_label_selector_is_400(api):
    async with api.get("/api/v1/pods", params={"labelSelector": "app in (web"}) as resp:
        assert resp.status == 400
        assert "unable to parse requirement" in (await resp.json())["message"]


@pytest.mark.parametrize(
    ("path", "selector", "expected"),
    [
        ("/api/v1/pods", "metadata.name=a", ["a"]),
        ("/api/v1/pods", "metadata.namespace!=cert-manager", ["z"]),
        ("/api/v1/pods", "spec.nodeName=sov-node-2", ["z"]),
        ("/api/v1/events", "involvedObject.name=web-1", ["e2"]),
        ("/api/v1/events", "involvedObject.kind=Pod,type=Warning", ["e1"]),
        ("/api/v1/events", "reason=Unhealthy", ["e1"]),
        ("/apis/events.k8s.io/v1/events", "regarding.name=web-1", ["e2"]),
    ],
    ids=[
        "name",
        "namespace-neq",
        "pod-node",
        "involved-name",
        "involved-kind-and-type",
        "reason",
        "regarding",
    ],
)
async def test_field_selectors(emulator, api, path, selector, expected):
    emulator.store.put(pod("a"))
    emulator.store.put(pod("z", "kube-system", node="sov-node-2"))
    emulator.store.put(
        core_event(
            "e1",
            reason="Unhealthy",
            message="Readiness probe failed: HTTP probe failed with statuscode: 503",
        )
    )
    emulator.store.put(
        core_event(
            "e2",
            reason="Pulled",
            message='Container image "x" already present on machine',
            type_="Normal",
            obj_name="web-1",
        )
    )
    async with api.get(path, params={"fieldSelector": selector}) as resp:
        assert resp.status == 200, await resp.text()
        assert [o["metadata"]["name"] for o in (await resp.json())["items"]] == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/v1/pods", "field label not supported: spec.foo"),
        (
            "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
            '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
    ],
)
async def test_unsupported_field_is_400(emulator, api, path, message):
    install_flux_crds(emulator.store)
    async with api.get(path, params={"fieldSelector": "spec.foo=bar"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["message"] == message


async def test_events_k8s_io_is_a_view_of_core_events(emulator, api):
    stored = emulator.store.put(
        core_event(
            "web-0.17f3a",
            reason="BackOff",
            message="Back-off restarting failed container main in pod web-0_cert-manager(1234)",
            count=5,
        )
    )
    async with api.get("/apis/events.k8s.io/v1/namespaces/cert-manager/events") as resp:
        body = await resp.json()
    assert body["kind"] == "EventList"
    assert body["apiVersion"] == "events.k8s.io/v1"
    [event] = body["items"]
    assert event["apiVersion"] == "events.k8s.io/v1"
    assert event["metadata"]["name"] == "web-0.17f3a"
    assert event["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    assert event["regarding"] == stored["involvedObject"]
    assert event["note"] == stored["message"]
    assert event["reportingController"] == "kubelet"
    assert event["deprecatedCount"] == 5
    assert event["deprecatedFirstTimestamp"] == "2026-11-27T10:00:00Z"
    assert event["deprecatedLastTimestamp"] == "2026-11-27T10:02:00Z"
    assert event["deprecatedSource"] == {"component": "kubelet", "host": "sov-node-1"}
    assert "eventTime" in event
    assert event["eventTime"] is None
    assert "message" not in event
    assert "involvedObject" not in event


async def test_events_view_carries_series(emulator, api):
    ev = core_event("web-0.series", reason="Unhealthy", message="Liveness probe failed")
    ev["series"] = {"count": 12, "lastObservedTime": "2026-11-27T10:05:00.123456Z"}
    ev["eventTime"] = "2026-11-27T10:00:00.000000Z"
    emulator.store.put(ev)
    async with api.get(
        "/apis/events.k8s.io/v1/namespaces/cert-manager/events/web-0.series"
    ) as resp:
        event = await resp.json()
    assert event["series"] == {"count": 12, "lastObservedTime": "2026-11-27T10:05:00.123456Z"}
    assert event["eventTime"] == "2026-11-27T10:00:00.000000Z"
