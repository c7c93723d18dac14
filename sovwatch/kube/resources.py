"""The resources sovwatch watches, with the API versions it accepts for each, best first.

Exactly one watch per resource and scope. Events are watched as core/v1 `events` with no field
selector: one stream carries both the Warnings and the Normal events of the watched objects (a
second, selector-filtered Warning stream would double the requests and still miss the Normal
"Scheduled"/"Pulled" events the timeline needs). Secrets are never watched: there is nothing in
them sovwatch needs and they must never reach a screen, a log or a recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True, slots=True)
class WatchedResource:
    """One resource to list and watch."""

    group: str
    """API group, "" for the core group."""
    versions: tuple[str, ...]
    """Versions accepted, most preferred first; the first one the server serves is watched."""
    plural: str
    kind: str
    namespaced: bool

    @property
    def key(self) -> str:
        """`plural.group` (`plural` for core): the resource name in `WatchEvent`/`StreamHealth`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def group_version_path(self, version: str) -> str:
        """The discovery path of one of its versions: `/api/v1` or `/apis/<group>/<version>`."""
        return f"/apis/{self.group}/{version}" if self.group else f"/api/{version}"

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    def collection_path(self, version: str, namespace: str | None = None) -> str:
        """The list/watch URL path, namespace-scoped when a namespace is given and it applies."""
        base = self.group_version_path(version)
        if self.namespaced and namespace:
            return f"{base}/namespaces/{quote(namespace, safe='')}/{self.plural}"
        return f"{base}/{self.plural}"


_FLUX_SOURCE = "source.toolkit.fluxcd.io"

WATCHED: tuple[WatchedResource, ...] = (
    WatchedResource(
        "helm.toolkit.fluxcd.io", ("v2", "v2beta2", "v2beta1"), "helmreleases", "HelmRelease", True
    ),
    WatchedResource(
        "kustomize.toolkit.fluxcd.io", ("v1", "v1beta2"), "kustomizations", "Kustomization", True
    ),
    WatchedResource(_FLUX_SOURCE, ("v1", "v1beta2"), "helmrepositories", "HelmRepository", True),
    WatchedResource(_FLUX_SOURCE, ("v1", "v1beta2"), "ocirepositories", "OCIRepository", True),
    WatchedResource(_FLUX_SOURCE, ("v1", "v1beta2"), "helmcharts", "HelmChart", True),
    WatchedResource(_FLUX_SOURCE, ("v1", "v1beta2"), "gitrepositories", "GitRepository", True),
    WatchedResource("", ("v1",), "pods", "Pod", True),
    WatchedResource("", ("v1",), "persistentvolumeclaims", "PersistentVolumeClaim", True),
    WatchedResource("storage.k8s.io", ("v1",), "volumeattachments", "VolumeAttachment", False),
    WatchedResource("", ("v1",), "events", "Event", True),
    WatchedResource("apps", ("v1",), "deployments", "Deployment", True),
    WatchedResource("apps", ("v1",), "statefulsets", "StatefulSet", True),
    WatchedResource("apps", ("v1",), "daemonsets", "DaemonSet", True),
    WatchedResource("apps", ("v1",), "replicasets", "ReplicaSet", True),
)
"""Everything sovwatch watches, one entry per resource."""
