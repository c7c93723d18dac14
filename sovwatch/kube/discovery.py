"""Which version of a resource the server serves, from legacy discovery (`/apis/<group>/<version>`).

Flux renamed its API versions over time (HelmRelease v2beta1 → v2beta2 → v2) and a cluster in the
middle of a bootstrap may not have the CRDs yet, so every watched resource carries a preference list
and the reflector asks which one is served before it lists.
"""

from __future__ import annotations

from sovwatch.kube import errors
from sovwatch.kube.api import ApiClient
from sovwatch.kube.resources import WatchedResource


async def served_version(client: ApiClient, resource: WatchedResource) -> str | None:
    """The most preferred version of `resource` the server serves; None if it serves none.

    A version counts only if its resource list names the resource (a group can serve v1 for some
    kinds and only v1beta2 for others, as Flux's source group did for OCIRepository).
    """
    for version in resource.versions:
        try:
            listing = await client.get_json(resource.group_version_path(version))
        except errors.APINotFoundError:
            continue
        if any(entry.get("name") == resource.plural for entry in listing.get("resources") or ()):
            return version
    return None
