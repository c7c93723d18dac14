"""Discovery documents over real HTTP, including a Flux group appearing and disappearing with its CRD."""

from __future__ import annotations

import pytest

from sovsim.objects import crd_object, resource_type

from .helpers import HR_KEY


@pytest.mark.parametrize("path", ["/version", "/version/"])
async def test_version_with_and_without_trailing_slash(api, path):
    async with api.get(path) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["major"] == "1"
    assert body["gitVersion"].startswith("v1.")


async def test_core_discovery(api):
    async with api.get("/api") as resp:
        assert (await resp.json())["versions"] == ["v1"]
    async with api.get("/api/v1") as resp:
        body = await resp.json()
    assert body["kind"] == "APIResourceList"
    assert body["groupVersion"] == "v1"
    by_name = {r["name"]: r for r in body["resources"]}
    assert by_name["pods"]["kind"] == "Pod"
    assert by_name["pods"]["namespaced"] is True
    assert by_name["pods"]["singularName"] == "pod"
    assert "watch" in by_name["pods"]["verbs"]
    assert by_name["persistentvolumeclaims"]["shortNames"] == ["pvc"]
    assert by_name["namespaces"]["namespaced"] is False


async def test_builtin_groups_listed_with_preferred_version(api):
    async with api.get("/apis") as resp:
        body = await resp.json()
    assert body["kind"] == "APIGroupList"
    groups = {g["name"]: g for g in body["groups"]}
    assert {"apps", "storage.k8s.io", "events.k8s.io", "apiextensions.k8s.io"} <= set(groups)
    assert groups["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert "helm.toolkit.fluxcd.io" not in groups


async def test_crd_group_appears_and_disappears_with_its_crd(emulator, api):
    hr = resource_type(HR_KEY)
    async with api.get("/apis/helm.toolkit.fluxcd.io/v2") as resp:
        assert resp.status == 404
        assert (await resp.json())["reason"] == "NotFound"

    emulator.store.put(crd_object(hr, served=["v2", "v2beta2", "v2beta1"]))
    async with api.get("/apis") as resp:
        groups = {g["name"]: g for g in (await resp.json())["groups"]}
    flux = groups["helm.toolkit.fluxcd.io"]
    assert flux["preferredVersion"]["version"] == "v2"
    assert [v["version"] for v in flux["versions"]] == ["v2", "v2beta2", "v2beta1"]
    async with api.get("/apis/helm.toolkit.fluxcd.io/v2") as resp:
        body = await resp.json()
    assert body["groupVersion"] == "helm.toolkit.fluxcd.io/v2"
    assert body["resources"][0]["name"] == "helmreleases"
    assert body["resources"][0]["shortNames"] == ["hr"]
    assert body["resources"][0]["kind"] == "HelmRelease"

    emulator.store.delete("customresourcedefinitions.apiextensions.k8s.io", "", HR_KEY)
    async with api.get("/apis") as resp:
        assert "helm.toolkit.fluxcd.io" not in {g["name"] for g in (await resp.json())["groups"]}
    async with api.get("/apis/helm.toolkit.fluxcd.io/v2/helmreleases") as resp:
        assert resp.status == 404


async def test_only_served_versions_are_reachable(emulator, api):
    emulator.store.put(crd_object(resource_type(HR_KEY), served=["v2"]))
    async with api.get("/apis/helm.toolkit.fluxcd.io/v2beta1/helmreleases") as resp:
        assert resp.status == 404
    async with api.get("/apis/helm.toolkit.fluxcd.io/v2/helmreleases") as resp:
        assert resp.status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/apis/nope.example.com/v1",
        "/api/v2",
        "/api/v1/secrets",
        "/api/v1/pods/web-0",  # a namespaced object needs its namespace in the path
        "/api/v1/namespaces/default/namespaces",
        "/openapi/v2",
    ],
)
async def test_unknown_paths_are_404_status(api, path):
    async with api.get(path) as resp:
        assert resp.status == 404
        body = await resp.json()
    assert body["kind"] == "Status"
    assert body["message"] == "the server could not find the requested resource"
