"""The reflector on a healthy server: first sync, live changes, scope, bookmarks, API versions.

Faults (closed streams, 410, stalls, 403, 429, 500, restarts) are in test_watch_faults.py; the
request-rate bounds in test_backoff_bounds.py.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from sovsim.server import Emulator
from sovwatch.kube.resources import WATCHED
from sovwatch.sources.events import EventType, HealthState
from tests.emulator.helpers import install_flux_crds
from tests.sources.engine_harness import BY_KEY, is_list, is_watch, requests_for
from tests.sources.engine_objects import (
    HR,
    deployment,
    helmrelease,
    kustomization,
    namespace,
    pod,
    pvc,
    source,
    warning_event,
)
from tests.timings import FAST


def _populate(emu: Emulator) -> None:
    for name in ("cert-manager", "ingress-nginx", "loki"):
        emu.store.put(helmrelease(name))
    emu.store.put(helmrelease("harbor", ready=False))
    for i in range(3):
        emu.store.put(pod(f"cert-manager-7d4b9c6f5-{i}x2kq"))
    emu.store.put(pvc("storage-loki-0"))
    emu.store.put(warning_event("loki-0.17f3a2b4c5d6e7f8", "loki-0"))
    emu.store.put(deployment("cert-manager"))


async def test_first_sync_matches_the_cluster_and_every_stream_goes_live(flux_emulator, harness):
    _populate(flux_emulator)
    h = await harness(flux_emulator).start()
    await h.until_all_live()
    h.assert_matches_truth()
    for resource in WATCHED:
        states = [x.state for x in h.healths(resource.key)]
        assert states == [HealthState.CONNECTING, HealthState.LIVE], resource.key
    assert h.store.health[HR].detail == "helm.toolkit.fluxcd.io/v2"
    # Objects are stored slim: no managedFields, no chart values, no env values.
    stored = h.store.get("HelmRelease", "flux-system", "harbor")
    assert "managedFields" not in stored["metadata"]
    assert "values" not in stored["spec"]
    container = h.store.get("Pod", "cert-manager", "cert-manager-7d4b9c6f5-0x2kq")["spec"][
        "containers"
    ][0]
    assert "env" not in container


async def test_exactly_one_watch_per_resource_and_never_secrets(flux_emulator, harness):
    h = await harness(flux_emulator).start()
    await h.until_all_live()
    await h.put_and_see(pod("probe-0"))
    open_watches = [r for r in flux_emulator.request_log if r.watch and r.duration is None]
    watched_paths = sorted(r.path for r in open_watches)
    assert len(watched_paths) == len(set(watched_paths)) == len(WATCHED)
    for resource in WATCHED:
        assert len([r for r in requests_for(flux_emulator, resource.key) if is_watch(r)]) == 1
    assert not [r for r in flux_emulator.request_log if "secrets" in r.path]


async def test_changes_arrive_as_watch_events(flux_emulator, harness):
    _populate(flux_emulator)
    h = await harness(flux_emulator).start([HR, "pods"])
    await h.until_all_live([HR, "pods"])
    await h.put_and_see(helmrelease("harbor", ready=True))
    flux_emulator.store.delete("pods", "cert-manager", "cert-manager-7d4b9c6f5-1x2kq")
    await h.put_and_see(pod("cert-manager-7d4b9c6f5-9zzzz"))
    types = [(e.type, e.obj["metadata"]["name"]) for e in h.events("pods")[3:]]
    assert types == [
        (EventType.DELETED, "cert-manager-7d4b9c6f5-1x2kq"),
        (EventType.ADDED, "cert-manager-7d4b9c6f5-9zzzz"),
    ]
    assert h.events(HR)[-1].type is EventType.MODIFIED
    h.assert_matches_truth([HR, "pods"])
    # One list each: changes came over the watch, not by polling.
    assert len([r for r in requests_for(flux_emulator, "pods") if is_list(r)]) == 1


async def test_namespace_scope(flux_emulator, harness):
    flux_emulator.store.put(pod("loki-0", "loki"))
    flux_emulator.store.put(pod("cert-manager-0", "cert-manager"))
    h = await harness(flux_emulator).start(
        ["pods", "volumeattachments.storage.k8s.io"], namespace="loki"
    )
    await h.until_all_live(["pods", "volumeattachments.storage.k8s.io"])
    await h.put_and_see(pod("loki-1", "loki"))
    assert {p["metadata"]["name"] for p in h.store.objects("Pod")} == {"loki-0", "loki-1"}
    h.assert_matches_truth(["pods"], namespace="loki")
    paths = {r.path for r in flux_emulator.request_log if r.path.endswith(("/pods", "attachments"))}
    assert paths == {
        "/api/v1/namespaces/loki/pods",
        "/apis/storage.k8s.io/v1/volumeattachments",  # cluster-scoped: no namespace in the path
    }


@pytest.mark.parametrize("server_lists", ["paginated"], indirect=True)
async def test_list_is_paginated(flux_emulator, harness):
    for i in range(7):
        flux_emulator.store.put(pod(f"web-{i}"))
    settings = dataclasses.replace(FAST, list_page_size=3)
    h = await harness(flux_emulator).start(["pods"], settings=settings)
    await h.until_all_live(["pods"])
    lists = [r for r in requests_for(flux_emulator, "pods") if is_list(r)]
    assert [r.query.get("limit") for r in lists] == ["3", "3", "3"]
    assert "continue" not in lists[0].query
    assert all("continue" in r.query for r in lists[1:])
    h.assert_matches_truth(["pods"])


async def test_watch_resumes_from_the_bookmark_resource_version(flux_emulator, harness):
    h = await harness(flux_emulator).start(["pods"])
    await h.until_all_live(["pods"])
    # Other resources move the global resourceVersion; only bookmarks tell the pods watch.
    for i in range(3):
        flux_emulator.store.put(namespace(f"tenant-{i}"))
    newest = str(flux_emulator.store.resource_version)
    watches = lambda: [r for r in requests_for(flux_emulator, "pods") if is_watch(r)]  # noqa: E731
    first = watches()[0]
    assert first.query["allowWatchBookmarks"] == "true"
    assert 30 <= int(first.query["timeoutSeconds"]) <= 60
    await asyncio.sleep(
        3 * flux_emulator.bookmark_interval
    )  # at least two bookmarks go out meanwhile
    flux_emulator.faults.close_watches("pods")
    await h.until(lambda: len(watches()) > 1, "a re-watch")
    assert watches()[-1].query["resourceVersion"] == newest
    assert len([r for r in requests_for(flux_emulator, "pods") if is_list(r)]) == 1


def _flux_object(key: str, version: str, name: str) -> dict:
    kind = BY_KEY[key].kind
    if kind == "HelmRelease":
        obj = helmrelease(name)
        obj["apiVersion"] = f"helm.toolkit.fluxcd.io/{version}"
        return obj
    if kind == "Kustomization":
        return kustomization(name, version)
    return source(kind, name, version)


KS = "kustomizations.kustomize.toolkit.fluxcd.io"
SOURCES = [
    f"{plural}.source.toolkit.fluxcd.io"
    for plural in ("helmrepositories", "ocirepositories", "helmcharts", "gitrepositories")
]
VERSIONS = {
    "hr-v2": (HR, ("v2", "v2beta2"), "v2"),
    "hr-v2beta2-only": (HR, ("v2beta2",), "v2beta2"),
    "hr-v2beta1-only": (HR, ("v2beta1",), "v2beta1"),
    "ks-v1": (KS, ("v1", "v1beta2"), "v1"),
    "ks-v1beta2-only": (KS, ("v1beta2",), "v1beta2"),
    **{f"{key.split('.')[0]}-v1": (key, ("v1", "v1beta2"), "v1") for key in SOURCES},
    **{f"{key.split('.')[0]}-v1beta2-only": (key, ("v1beta2",), "v1beta2") for key in SOURCES},
}


@pytest.mark.parametrize(("key", "served", "expected"), VERSIONS.values(), ids=VERSIONS)
async def test_flux_version_preference(emulator: Emulator, harness, key, served, expected):
    """The most preferred served version is watched; objects flow through it."""
    install_flux_crds(emulator.store, only=key, served={key: served})
    emulator.store.put(_flux_object(key, served[0], "cert-manager"))
    h = await harness(emulator).start([key])
    live = await h.until_state(key, HealthState.LIVE)
    resource = BY_KEY[key]
    assert live.detail == resource.api_version(expected)
    await h.put_and_see(_flux_object(key, served[0], "ingress-nginx"))  # over the watch
    assert {r.path for r in requests_for(emulator, key)} == {
        f"/apis/{resource.group}/{expected}/{resource.plural}"
    }
    assert {e.obj["apiVersion"] for e in h.events(key)} == {resource.api_version(expected)}
    h.assert_matches_truth([key])


async def test_each_source_kind_gets_its_own_version(emulator: Emulator, harness):
    """Within one group, HelmRepository served at v1 and OCIRepository only at v1beta2 (as in
    Flux 2.2): each is watched at the version that serves it."""
    helmrepos, ocirepos = SOURCES[0], SOURCES[1]
    install_flux_crds(emulator.store, only=helmrepos, served={helmrepos: ("v1", "v1beta2")})
    install_flux_crds(emulator.store, only=ocirepos, served={ocirepos: ("v1beta2",)})
    h = await harness(emulator).start([helmrepos, ocirepos])
    await h.until_all_live([helmrepos, ocirepos])
    assert h.store.health[helmrepos].detail == "source.toolkit.fluxcd.io/v1"
    assert h.store.health[ocirepos].detail == "source.toolkit.fluxcd.io/v1beta2"
    await h.put_and_see(source("HelmRepository", "jetstack"))
    await h.put_and_see(source("OCIRepository", "sovereign-manifests", "v1beta2"))
    h.assert_matches_truth([helmrepos, ocirepos])


async def test_crd_appearing_mid_run_goes_from_absent_to_live(emulator: Emulator, harness):
    h = await harness(emulator).start([HR, "pods"])
    absent = await h.until_state(HR, HealthState.ABSENT)
    assert HR in absent.detail
    await h.until_state("pods", HealthState.LIVE)
    install_flux_crds(emulator.store, only=HR)
    await h.until_state(HR, HealthState.LIVE)
    await h.put_and_see(helmrelease("cert-manager"))
    h.assert_matches_truth([HR, "pods"])


async def test_crd_deleted_mid_run_deletes_its_objects_goes_absent_and_comes_back(
    flux_emulator, harness
):
    flux_emulator.store.put(helmrelease("cert-manager"))
    h = await harness(flux_emulator).start([HR])
    await h.until_state(HR, HealthState.LIVE)
    flux_emulator.store.delete("customresourcedefinitions.apiextensions.k8s.io", "", HR)
    absent = await h.until_state(HR, HealthState.ABSENT)
    assert "not served" in absent.detail
    deleted = [e for e in h.events(HR) if e.type is EventType.DELETED]
    assert [e.obj["metadata"]["name"] for e in deleted] == ["cert-manager"]
    assert deleted[0].obj["status"]["conditions"][0]["reason"] == "InstallSucceeded"
    assert h.store.count("HelmRelease") == 0
    install_flux_crds(flux_emulator.store, only=HR)
    await h.until_state(HR, HealthState.LIVE)
    await h.put_and_see(helmrelease("cert-manager"))
    h.assert_matches_truth([HR])
