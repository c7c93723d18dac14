"""Cluster contents for the benchmarks: Flux CRDs, HelmReleases, their pods, and Kubernetes Events.

Objects are shaped as helm-controller, the kubelet and the event recorder write them (field names,
condition types, reasons and messages), so every consumer parses what it would parse on a real
cluster. `large` is 300 releases and 5,000 pods, the size of the scenario branch's `large`
scenario; `populate_from_scenario` plays that scenario instead when it is available.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sovsim.objects import CATALOGUE, ObjectStore, crd_object

HR_API = "helm.toolkit.fluxcd.io/v2"
HR_KEY = "helmreleases.helm.toolkit.fluxcd.io"
CRD_KEY = "customresourcedefinitions.apiextensions.k8s.io"
CHART_REPO = "oci://ghcr.io/openova-io/charts"
STAMP = "2026-11-27T10:00:00Z"


@dataclass(frozen=True)
class Size:
    releases: int
    pods: int
    events: int = 0


LARGE = Size(releases=300, pods=5_000)
FOREIGN = Size(releases=300, pods=5_000, events=20_000)
"""The population of issue 19's table (another emulator's cluster): small pods, many Events."""
KIT = Size(releases=40, pods=200)
"""About the bootstrap-kit: 35-80 releases, a few pods each."""
SMOKE = Size(releases=5, pods=20)


def release_name(i: int) -> str:
    return f"bp-release-{i:03d}"


def target_namespace(i: int) -> str:
    return f"sov-{i % 40:02d}"


def install_flux_crds(store: ObjectStore) -> None:
    for rt in CATALOGUE:
        if rt.crd and store.get(CRD_KEY, "", rt.key) is None:
            store.put(crd_object(rt))


def helmrelease(i: int, *, ready: bool = True, attempt: int = 1) -> dict:
    """HelmRelease `i` (helm.toolkit.fluxcd.io/v2) after an install (ready) or during an upgrade."""
    name = release_name(i)
    short = name.removeprefix("bp-")
    chart = f"{short}@1.0.{attempt}"
    deps = sorted({(i * 7 + 3) % i, (i * 13 + 5) % i}) if i > 1 else ([0] if i == 1 else [])
    if ready:
        conditions = [
            {
                "type": "Ready",
                "status": "True",
                "observedGeneration": 1,
                "lastTransitionTime": STAMP,
                "reason": "UpgradeSucceeded" if attempt > 1 else "InstallSucceeded",
                "message": f"Helm {'upgrade' if attempt > 1 else 'install'} succeeded for release "
                f"{target_namespace(i)}/{short}.v{attempt} with chart {chart}",
            },
            {
                "type": "Released",
                "status": "True",
                "observedGeneration": 1,
                "lastTransitionTime": STAMP,
                "reason": "UpgradeSucceeded" if attempt > 1 else "InstallSucceeded",
                "message": f"Helm {'upgrade' if attempt > 1 else 'install'} succeeded for release "
                f"{target_namespace(i)}/{short}.v{attempt} with chart {chart}",
            },
        ]
    else:
        conditions = [
            {
                "type": "Reconciling",
                "status": "True",
                "observedGeneration": 1,
                "lastTransitionTime": STAMP,
                "reason": "Progressing",
                "message": "Running 'upgrade' action with timeout of 5m0s",
            },
            {
                "type": "Ready",
                "status": "Unknown",
                "observedGeneration": 1,
                "lastTransitionTime": STAMP,
                "reason": "Progressing",
                "message": "Running 'upgrade' action with timeout of 5m0s",
            },
        ]
    return {
        "apiVersion": HR_API,
        "kind": "HelmRelease",
        "metadata": {
            "name": name,
            "namespace": "flux-system",
            "labels": {"kustomize.toolkit.fluxcd.io/name": "bootstrap-kit"},
            "finalizers": ["finalizers.fluxcd.io"],
        },
        "spec": {
            "interval": "15m",
            "releaseName": short,
            "targetNamespace": target_namespace(i),
            "chart": {
                "spec": {
                    "chart": name,
                    "version": "1.0.x",
                    "sourceRef": {"kind": "HelmRepository", "name": "openova"},
                    "reconcileStrategy": "ChartVersion",
                }
            },
            "dependsOn": [{"name": release_name(d)} for d in deps],
            "install": {"disableWait": True, "remediation": {"retries": 3}},
            "upgrade": {"disableWait": True},
        },
        "status": {
            "observedGeneration": 1,
            "lastAttemptedGeneration": 1,
            "lastAttemptedRevision": f"1.0.{attempt}",
            "lastAttemptedConfigDigest": "sha256:0f6d1f1c0a9e7a6c4c6a3b36f1e0f8c7d2d9f6b5c0c6e7f0b1a2c3d4e5f6a7b8",
            "helmChart": f"flux-system/flux-system-{name}",
            "storageNamespace": target_namespace(i),
            "conditions": conditions,
            "history": [
                {
                    "name": short,
                    "namespace": target_namespace(i),
                    "version": attempt,
                    "status": "deployed" if ready else "pending-upgrade",
                    "chartName": name,
                    "chartVersion": f"1.0.{attempt}",
                    "appVersion": "1.0.0",
                    "configDigest": "sha256:0f6d1f1c0a9e7a6c4c6a3b36f1e0f8c7d2d9f6b5c0c6e7f0b1a2c3d4e5f6a7b8",
                    "digest": "sha256:6b1f0c5a4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b",
                    "firstDeployed": STAMP,
                    "lastDeployed": STAMP,
                }
            ],
        },
    }


def pod(i: int, release: int, *, ready: bool = True, restarts: int = 0) -> dict:
    """Pod `i` of release `release`, a Deployment replica, as the kubelet reports it."""
    short = release_name(release).removeprefix("bp-")
    name = f"{short}-6d9f7c8b5-{i:05d}"
    image = f"ghcr.io/openova-io/{short}:1.0.0"
    ready_s = "True" if ready else "False"
    state = (
        {"running": {"startedAt": STAMP}}
        if ready or restarts == 0
        else {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off 10s restarting failed container=app pod={name}_"
                f"{target_namespace(release)}(5b7c2f1e-0d3a-4c8e-9f6a-1b2c3d4e5f60)",
            }
        }
    )
    probe = {
        "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
        "periodSeconds": 10,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": target_namespace(release),
            "labels": {
                "app.kubernetes.io/name": short,
                "app.kubernetes.io/instance": short,
                "pod-template-hash": "6d9f7c8b5",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{short}-6d9f7c8b5",
                    "uid": "0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "nodeName": f"sov-node-{i % 3 + 1}",
            "serviceAccountName": short,
            "containers": [
                {
                    "name": "app",
                    "image": image,
                    "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                    "readinessProbe": probe,
                    "livenessProbe": probe,
                    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
                }
            ],
        },
        "status": {
            "phase": "Running",
            "hostIP": "10.0.0.1",
            "podIP": f"10.42.{i // 250}.{i % 250 + 1}",
            "startTime": STAMP,
            "qosClass": "Burstable",
            "conditions": [
                {
                    "type": "PodReadyToStartContainers",
                    "status": "True",
                    "lastTransitionTime": STAMP,
                },
                {"type": "Initialized", "status": "True", "lastTransitionTime": STAMP},
                {"type": "Ready", "status": ready_s, "lastTransitionTime": STAMP}
                | (
                    {}
                    if ready
                    else {
                        "reason": "ContainersNotReady",
                        "message": "containers with unready status: [app]",
                    }
                ),
                {"type": "ContainersReady", "status": ready_s, "lastTransitionTime": STAMP}
                | (
                    {}
                    if ready
                    else {
                        "reason": "ContainersNotReady",
                        "message": "containers with unready status: [app]",
                    }
                ),
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": STAMP},
            ],
            "containerStatuses": [
                {
                    "name": "app",
                    "image": image,
                    "imageID": f"{image}@sha256:4b2a0e5c9d8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b",
                    "containerID": f"containerd://{i:064x}",
                    "ready": ready,
                    "started": ready,
                    "restartCount": restarts,
                    "state": state,
                }
            ],
        },
    }


def warning_event(i: int, involved: dict) -> dict:
    """A core/v1 Event as the kubelet records a failing readiness probe of pod `involved`."""
    meta = involved["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{i:016x}", "namespace": meta["namespace"]},
        "involvedObject": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta.get("uid", ""),
            "apiVersion": "v1",
            "fieldPath": "spec.containers{app}",
        },
        "reason": "Unhealthy",
        "message": 'Readiness probe failed: Get "http://10.42.0.7:8080/healthz": dial tcp '
        "10.42.0.7:8080: connect: connection refused",
        "source": {"component": "kubelet", "host": "sov-node-1"},
        "firstTimestamp": STAMP,
        "lastTimestamp": STAMP,
        "count": 1 + i % 7,
        "type": "Warning",
        "eventTime": None,
        "reportingComponent": "kubelet",
        "reportingInstance": "sov-node-1",
    }


LIFECYCLE = (
    ("Scheduled", "default-scheduler", "Successfully assigned {ns}/{pod} to sov-node-1"),
    ("Pulling", "kubelet", 'Pulling image "ghcr.io/openova-io/app:1.0.0"'),
    (
        "Pulled",
        "kubelet",
        'Successfully pulled image "ghcr.io/openova-io/app:1.0.0" in 1.204s (1.204s including '
        "waiting). Image size: 24817152 bytes.",
    ),
    ("Created", "kubelet", "Created container: app"),
    ("Started", "kubelet", "Started container app"),
)
"""The Normal Events of a pod's start, as the scheduler and the kubelet record them."""


def lifecycle_event(i: int, involved: dict) -> dict:
    """Event `i` of the foreign population: a pod's start (`LIFECYCLE`, one step per `i`), or
    every tenth a kubelet Warning (`warning_event`), the mix of a cluster whose pods came up."""
    event = warning_event(i, involved)
    if i % 10 == 9:
        return event
    reason, component, message = LIFECYCLE[i % len(LIFECYCLE)]
    meta = involved["metadata"]
    event.update(
        reason=reason,
        message=message.format(ns=meta["namespace"], pod=meta["name"]),
        type="Normal",
        count=1,
        source={"component": component, "host": "sov-node-1"},
        reportingComponent=component,
    )
    if reason == "Scheduled":
        del event["involvedObject"]["fieldPath"]
    return event


def populate_foreign(store: ObjectStore, size: Size) -> str:
    """The foreign population: `size` releases and small pods, and `size.events` Events, most of
    them the Normal ones of pods starting (`lifecycle_event`); returns what it is."""
    populate(store, Size(size.releases, size.pods))
    pods, _ = store.list("pods")
    for i in range(size.events):
        store.put(lifecycle_event(i, pods[(i // len(LIFECYCLE)) % len(pods)]))
    warnings = sum(i % 10 == 9 for i in range(size.events))
    return (
        f"foreign: {size.releases} releases, {size.pods} pods, {size.events} Events "
        f"({warnings} Warnings)"
    )


def add_events(store: ObjectStore, events: int) -> int:
    """Warning events spread over the pods until the store holds at least `events` Events;
    returns how many Events it holds."""
    have = len(store.list("events")[0])
    pods, _ = store.list("pods")
    for i in range(have, events):
        store.put(warning_event(i, pods[i % len(pods)]))
    return max(have, events)


def populate(store: ObjectStore, size: Size) -> None:
    """Put `size` worth of objects into `store` (instantly): all releases installed, pods ready."""
    install_flux_crds(store)
    for r in range(size.releases):
        store.put(helmrelease(r))
    for i in range(size.pods):
        store.put(pod(i, i % size.releases))
    add_events(store, size.events)


class Churn:
    """MODIFIED events for existing pods and HelmReleases: pod readiness flips with a restart,
    HelmRelease upgrades that start and then succeed. Three pod events to one HelmRelease event,
    as on a real bootstrap where pods change far more often than releases."""

    def __init__(self, size: Size) -> None:
        self.size = size
        self._pods = 0
        self._releases = 0
        self._n = 0

    def next_object(self) -> dict:
        """The next changed object, to `put` into the store."""
        self._n += 1
        if self._n % 4 == 0:
            cycle, r = divmod(self._releases, self.size.releases)
            self._releases += 1
            return helmrelease(r, ready=cycle % 2 == 1, attempt=2 + cycle // 2)
        cycle, i = divmod(self._pods, self.size.pods)
        self._pods += 1
        return pod(i, i % self.size.releases, ready=cycle % 2 == 1, restarts=cycle + 1)


@dataclass(frozen=True)
class Played:
    description: str
    objects: tuple[dict, ...]


@functools.cache
def _played_large() -> Played:
    """The `large` scenario played until every release is Ready (about 17 s of CPU), once per
    process: later clusters are filled from its final objects."""
    from sovsim.scenario import ScenarioRunner, load_scenario

    store = ObjectStore()
    runner = ScenarioRunner(store, load_scenario("large"), seed=0)
    minute = 0.0
    while not (minute and _all_ready(store)) and not runner.finished:
        minute += 60.0
        runner.run_until(minute)
    objects = [obj for rt in CATALOGUE if rt.view_of is None for obj in store.list(rt.key)[0]]
    crds = [o for o in objects if o["kind"] == "CustomResourceDefinition"]
    rest = [o for o in objects if o["kind"] != "CustomResourceDefinition"]
    releases, pods = len(store.list(HR_KEY)[0]), len(store.list("pods")[0])
    return Played(
        f"scenario large played to minute {minute / 60:.0f}: {releases} releases, {pods} pods",
        tuple(crds + rest),
    )


def _all_ready(store: ObjectStore) -> bool:
    """Every HelmRelease Ready=True: the scenario's rollout is complete."""
    releases, _ = store.list(HR_KEY)
    return bool(releases) and all(
        any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (hr.get("status") or {}).get("conditions") or ()
        )
        for hr in releases
    )


def shipped(scenario: str) -> bool:
    """Whether this tree has the scenario engine and ships `scenario`."""
    try:
        from sovsim.scenario import shipped_scenarios
    except ImportError:  # the scenario branch is not merged
        return False
    return scenario in shipped_scenarios()


def populate_large(store: ObjectStore, size: Size | None = None, *, events: int = 0) -> str:
    """The `large` cluster (or `size` of it) with at least `events` Kubernetes Events; returns
    what it is.

    Plays the scenario branch's `large` scenario to its end when this tree has it, so the figures
    match `sovwatch demo --scenario large`; otherwise generates the same object counts here.
    """
    if size is None:
        if shipped("large"):
            played = _played_large()
            for obj in played.objects:
                store.put(obj)
            total = add_events(store, events)
            return f"{played.description}, {total} events"
        size = LARGE
    populate(store, Size(size.releases, size.pods, events))
    return f"generated: {size.releases} releases, {size.pods} pods, {events} events"
