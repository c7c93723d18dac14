"""Legacy discovery documents and the mapping from URL paths to served resources.

kubectl asks for aggregated discovery first and falls back to these when it gets plain JSON, so
the legacy documents are all a client needs. A CRD-backed group appears in `/apis` only while its
CRD exists (`ObjectStore.is_served`), exactly as Flux's groups appear mid-bootstrap on a real one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sovsim.objects import CATALOGUE, VERBS, ObjectStore, ResourceType

KUBERNETES_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4",
    "gitCommit": "59526cd4867447956156ae3a602fcbac5a6a7ba2",
    "gitTreeState": "clean",
    "buildDate": "2025-04-22T16:02:27Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_ALL_CATEGORY = {
    "pods",
    "deployments.apps",
    "statefulsets.apps",
    "daemonsets.apps",
    "replicasets.apps",
}


def version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes version ordering: GA before beta before alpha, higher numbers first (sort key)."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0)
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0))


def api_versions(server_address: str) -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _groups(store: ObjectStore) -> dict[str, list[str]]:
    """Served non-core groups and their served versions, preferred first, in catalogue order."""
    groups: dict[str, set[str]] = {}
    for rt in CATALOGUE:
        if rt.group:
            served = store.served_versions(rt)
            if served:
                groups.setdefault(rt.group, set()).update(served)
    return {g: sorted(vs, key=version_priority) for g, vs in groups.items()}


def api_group_list(store: ObjectStore) -> dict:
    groups = []
    for group, versions in _groups(store).items():
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(store: ObjectStore, group: str) -> dict | None:
    """`/apis/<group>`: one APIGroup, None when the group is not served."""
    versions = _groups(store).get(group)
    if not versions:
        return None
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0],
    }


def served_resources(store: ObjectStore, group: str, version: str) -> list[ResourceType]:
    return [rt for rt in CATALOGUE if rt.group == group and store.is_served(rt, version)]


def api_resource_list(store: ObjectStore, group: str, version: str) -> dict | None:
    """`/api/v1` or `/apis/<group>/<version>`; None when that group/version is not served."""
    resources = served_resources(store, group, version)
    if not resources:
        return None
    entries = []
    for rt in resources:
        entry: dict = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": list(VERBS),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.key in _ALL_CATEGORY:
            entry["categories"] = ["all"]
        entries.append(entry)
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": entries,
    }


@dataclass(frozen=True)
class Target:
    """What a resource URL names: a resource in a served version, and maybe a namespace and name."""

    rt: ResourceType
    version: str
    namespace: str | None
    name: str | None


def resolve(store: ObjectStore, segments: list[str]) -> Target | None:
    """Map `/api/v1/...` or `/apis/g/v/...` path segments to a Target; None for anything unserved.

    Handles `namespaces/<ns>/<plural>[/<name>]` and `<plural>[/<name>]`, where
    `/api/v1/namespaces/<name>` is a get of a Namespace. Subresources are not served.
    """
    if segments[:1] == ["api"] and len(segments) >= 2:
        group, version, rest = "", segments[1], segments[2:]
    elif segments[:1] == ["apis"] and len(segments) >= 3:
        group, version, rest = segments[1], segments[2], segments[3:]
    else:
        return None
    by_plural = {rt.plural: rt for rt in served_resources(store, group, version)}
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not 1 <= len(rest) <= 2 or rest[0] not in by_plural:
        return None
    rt = by_plural[rest[0]]
    if namespace is not None and not rt.namespaced:
        return None
    return Target(rt, version, namespace, rest[1] if len(rest) == 2 else None)
