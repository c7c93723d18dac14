"""Flux Kustomization: state, and which HelmReleases it applied (its `status.inventory`).

The bootstrap Kustomization's inventory is the best early answer to "how many releases will there
be": kustomize-controller records every applied object as an entry whose id is
`<namespace>_<name>_<group>_<kind>` (namespace empty for cluster-scoped, group empty for core).
"""

from __future__ import annotations

from sovwatch.model import conditions
from sovwatch.model.states import Verdict

ObjectKey = tuple[str, str, str]
HELM_GROUP = "helm.toolkit.fluxcd.io"


def classify_kustomization(obj: dict) -> Verdict:
    return conditions.classify_flux_object(obj)


def parse_inventory_id(entry_id: str) -> tuple[str, str, str, str] | None:
    """(namespace, name, group, kind) from an inventory id, None when malformed.

    Kubernetes names never contain "_", so splitting from both ends is unambiguous; the group may
    itself be empty (core objects).
    """
    parts = entry_id.split("_")
    if len(parts) < 4:
        return None
    namespace, name, kind = parts[0], parts[1], parts[-1]
    group = "_".join(parts[2:-1])
    return (namespace, name, group, kind)


def inventory_helmreleases(obj: dict) -> frozenset[ObjectKey]:
    """Keys of the HelmReleases listed in the Kustomization's `status.inventory`."""
    inventory = (obj.get("status") or {}).get("inventory") or {}
    found = set()
    for entry in inventory.get("entries") or ():
        parsed = parse_inventory_id(str(entry.get("id", "")))
        if parsed and parsed[2] == HELM_GROUP and parsed[3] == "HelmRelease":
            found.add(("HelmRelease", parsed[0], parsed[1]))
    return frozenset(found)
