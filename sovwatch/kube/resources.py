"""The resources sovwatch watches, with the API versions it accepts for each, best first.

Exactly one watch per resource and scope. Events are watched as core/v1 `events`, and only those the
model reads: every Warning, and the few Normal reasons it names (`READ_EVENT_REASONS`: a probe's
`Killing`, a claim's provisioning progress). A field selector cannot say "Warning or one of these
reasons" (its terms are ANDed; `=`, `==` and `!=` only), so the server is asked to leave out the
Normal reasons that make up most of a cluster's Events (`EVENT_FIELD_SELECTOR`: the kubelet's
`Scheduled`/`Pulling`/`Pulled`/`Created`/`Started`, the controllers' `SuccessfulCreate`...), one
stream still, and `wanted` drops any other Normal Event on arrival, before it is slimmed or stored.
Secrets are never watched: there is nothing in them sovwatch needs and they must never reach a
screen, a log or a recording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

READ_EVENT_REASONS = frozenset(
    {
        # pods (sovwatch.model.pod, probes): probe kills, scheduling, volumes, decisive warnings
        "Killing",
        "Unhealthy",
        "FailedScheduling",
        "FailedAttachVolume",
        "FailedMount",
        # claims (sovwatch.model.volumes): provisioning progress and failures
        "ExternalProvisioning",
        "Provisioning",
        "WaitForFirstConsumer",
        "WaitForPodScheduled",
        "ProvisioningFailed",
        "FailedBinding",
        "ClaimLost",
    }
)
"""The Event reasons the model reads by name, whatever their type; every other Event it reads is a
Warning (tests/test_event_selection.py holds this list to the model's)."""

NOT_READ_NORMAL_REASONS = (
    "Scheduled",
    "Pulling",
    "Pulled",
    "Created",
    "Started",
    "SuccessfulCreate",
    "SuccessfulDelete",
    "ScalingReplicaSet",
    "SuccessfulAttachVolume",
    "ProvisioningSucceeded",
)
"""The Normal reasons written most (a pod's start alone writes five), none of them read."""

EVENT_FIELD_SELECTOR = ",".join(f"reason!={reason}" for reason in NOT_READ_NORMAL_REASONS)
"""What the server is asked to leave out of the Events list and watch (see the module docstring)."""


def wanted_event(event: dict) -> bool:
    """True for an Event the model reads: a Warning, or one of `READ_EVENT_REASONS`."""
    return event.get("type") == "Warning" or event.get("reason") in READ_EVENT_REASONS


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
    field_selector: str = ""
    """Asked of the server on every list and watch ("" for everything)."""
    wanted: Callable[[dict], bool] | None = None
    """Which received objects are kept (None: all); the rest are dropped before slimming."""

    @property
    def selection(self) -> dict[str, str]:
        """The query parameters that select what the server sends."""
        return {"fieldSelector": self.field_selector} if self.field_selector else {}

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
    WatchedResource("", ("v1",), "events", "Event", True, EVENT_FIELD_SELECTOR, wanted_event),
    WatchedResource("apps", ("v1",), "deployments", "Deployment", True),
    WatchedResource("apps", ("v1",), "statefulsets", "StatefulSet", True),
    WatchedResource("apps", ("v1",), "daemonsets", "DaemonSet", True),
    WatchedResource("apps", ("v1",), "replicasets", "ReplicaSet", True),
)
"""Everything sovwatch watches, one entry per resource."""
