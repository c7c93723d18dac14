"""Builders for objects exactly as the API returns them (after sovwatch's slimming).

Field names, condition types, reasons and messages follow what helm-controller, kustomize-controller,
source-controller, the kubelet, the scheduler and the attach-detach controller write. Defaults are the
bootstrap-kit's (namespace flux-system, `bp-` names, targetNamespace + releaseName).
"""

from __future__ import annotations

import itertools

from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.slimming import slim
from sovwatch.store.store import Store

T0 = "2026-04-30T10:00:00Z"
T0_EPOCH = 1777543200.0
_rv = itertools.count(1000)


def ts(seconds: float = 0) -> str:
    """RFC 3339 at T0 + seconds."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(T0_EPOCH + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cond(
    type_: str,
    status: str,
    reason: str,
    message: str = "",
    *,
    gen: int | None = None,
    at: float = 0,
) -> dict:
    c = {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": ts(at),
    }
    if gen is not None:
        c["observedGeneration"] = gen
    return c


def meta(
    name: str,
    namespace: str = "",
    *,
    generation: int | None = None,
    uid: str | None = None,
    **extra,
) -> dict:
    m = {
        "name": name,
        "uid": uid or f"uid-{namespace}-{name}",
        "resourceVersion": str(next(_rv)),
        "creationTimestamp": T0,
    }
    if namespace:
        m["namespace"] = namespace
    if generation is not None:
        m["generation"] = generation
    m.update(extra)
    return m


# -- Flux -------------------------------------------------------------------------------------


def helmrelease(
    name: str,
    *,
    namespace: str = "flux-system",
    api_version: str = "helm.toolkit.fluxcd.io/v2",
    generation: int = 1,
    observed: int | None = 1,
    conditions: list[dict] | None = None,
    target: str | None = None,
    release_name: str | None = None,
    depends_on: list | None = None,
    chart_version: str = "1.0.0",
    suspend: bool = False,
    retries: int = 3,
    disable_wait: bool = True,
    status: dict | None = None,
) -> dict:
    short = name.removeprefix("bp-")
    spec: dict = {
        "interval": "15m",
        "chart": {
            "spec": {
                "chart": name,
                "version": chart_version,
                "sourceRef": {"kind": "HelmRepository", "name": name, "namespace": "flux-system"},
            }
        },
        "targetNamespace": target if target is not None else short,
        "releaseName": release_name if release_name is not None else short,
        "install": {"disableWait": disable_wait, "remediation": {"retries": retries}},
        "upgrade": {"disableWait": disable_wait, "remediation": {"retries": retries}},
        "values": {"adminPassword": "s3cr3t"},
    }
    if depends_on:
        spec["dependsOn"] = [d if isinstance(d, dict | str) else {"name": d} for d in depends_on]
    if suspend:
        spec["suspend"] = True
    st: dict = {}
    if observed is not None:
        st["observedGeneration"] = observed
    if conditions is not None:
        st["conditions"] = conditions
        st["helmChart"] = f"{namespace}/{namespace}-{name}"
    if status:
        st.update(status)
    obj = {
        "apiVersion": api_version,
        "kind": "HelmRelease",
        "metadata": meta(
            name, namespace, generation=generation, finalizers=["finalizers.fluxcd.io"]
        ),
        "spec": spec,
    }
    if st:
        obj["status"] = st
    return slim(obj)


def hr_ready(name: str, *, version: str = "1.0.0", **kw) -> dict:
    short = name.removeprefix("bp-")
    msg = f"Helm install succeeded for release {short}/{short}.v1 with chart {name}@{version}"
    return helmrelease(
        name,
        chart_version=version,
        conditions=[
            cond("Ready", "True", "InstallSucceeded", msg, gen=kw.get("generation", 1)),
            cond("Released", "True", "InstallSucceeded", msg, gen=kw.get("generation", 1)),
        ],
        status={
            "history": [
                {
                    "name": short,
                    "namespace": short,
                    "version": 1,
                    "status": "deployed",
                    "chartName": name,
                    "chartVersion": version,
                }
            ],
            "lastAttemptedReleaseAction": "install",
            "storageNamespace": short,
        },
        **kw,
    )


def hr_waiting(name: str, dep: str, **kw) -> dict:
    return helmrelease(
        name,
        depends_on=kw.pop("depends_on", [dep]),
        conditions=[
            cond(
                "Ready",
                "False",
                "DependencyNotReady",
                f"dependency 'flux-system/{dep}' is not ready",
            )
        ],
        **kw,
    )


def hr_install_failed(
    name: str, error: str, *, failures: int, retries: int = 3, stalled: bool = False, **kw
) -> dict:
    short = name.removeprefix("bp-")
    msg = f"Helm install failed for release {short}/{short} with chart {name}@1.0.0: {error}"
    conds = [
        cond("Ready", "False", "InstallFailed", msg, gen=1),
        cond("Released", "False", "InstallFailed", msg, gen=1),
    ]
    if stalled:
        conds.append(
            cond(
                "Stalled",
                "True",
                "RetriesExceeded",
                f"Failed to install after {failures} attempt(s)",
                gen=1,
            )
        )
    else:
        conds.append(cond("Reconciling", "True", "ProgressingWithRetry", msg, gen=1))
    return helmrelease(
        name,
        retries=retries,
        conditions=conds,
        status={
            "installFailures": failures,
            "lastAttemptedReleaseAction": "install",
            "failures": failures,
        },
        **kw,
    )


def hr_installing(name: str, **kw) -> dict:
    msg = "Running 'install' action with timeout of 5m0s"
    return helmrelease(
        name,
        conditions=[
            cond("Reconciling", "True", "Progressing", msg, gen=1),
            cond("Ready", "Unknown", "Progressing", msg, gen=1),
        ],
        **kw,
    )


def kustomization(
    name: str = "bootstrap-kit",
    *,
    releases: list[str] = (),
    ready: bool = True,
    extra_entries: list[str] = (),
) -> dict:
    entries = [
        {"id": f"flux-system_{r}_helm.toolkit.fluxcd.io_HelmRelease", "v": "v2"} for r in releases
    ]
    entries += [{"id": e, "v": "v1"} for e in extra_entries]
    status = {
        "observedGeneration": 1,
        "conditions": [
            cond(
                "Ready",
                "True",
                "ReconciliationSucceeded",
                "Applied revision: main@sha1:4f1b2c3d",
                gen=1,
            )
            if ready
            else cond("Ready", "Unknown", "Progressing", "Reconciliation in progress", gen=1)
        ],
    }
    if entries:
        status["inventory"] = {"entries": entries}
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": meta(name, "flux-system", generation=1),
        "spec": {
            "interval": "5m",
            "path": "./clusters/_template/bootstrap-kit",
            "prune": True,
            "wait": True,
            "timeout": "30m",
            "sourceRef": {"kind": "GitRepository", "name": "openova"},
        },
        "status": status,
    }


def helmchart(
    hr_name: str, *, conditions: list[dict], namespace: str = "flux-system", artifact: bool = False
) -> dict:
    st: dict = {"observedGeneration": 1, "conditions": conditions}
    if artifact:
        st["artifact"] = {
            "revision": "1.0.0",
            "digest": "sha256:ab12",
            "path": "helmchart/x.tgz",
            "url": "http://source-controller/x.tgz",
        }
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmChart",
        "metadata": meta(f"{namespace}-{hr_name}", namespace, generation=1),
        "spec": {
            "chart": hr_name,
            "version": "1.0.0",
            "sourceRef": {"kind": "HelmRepository", "name": hr_name},
            "interval": "15m",
        },
        "status": st,
    }


def helmrepository(name: str, *, conditions: list[dict] | None = None, oci: bool = True) -> dict:
    spec = {
        "interval": "15m",
        "url": "oci://ghcr.io/openova-io" if oci else "https://charts.example.com",
        "secretRef": {"name": "ghcr-pull"},
    }
    if oci:
        spec["type"] = "oci"
    obj = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": meta(name, "flux-system", generation=1),
        "spec": spec,
    }
    if conditions is not None:
        obj["status"] = {"observedGeneration": 1, "conditions": conditions}
    return obj


# -- core -------------------------------------------------------------------------------------


def container_status(
    name: str,
    *,
    ready: bool = True,
    started: bool | None = None,
    restarts: int = 0,
    state: dict | None = None,
    last: dict | None = None,
    image: str = "ghcr.io/openova-io/app:1.0.0",
) -> dict:
    cs = {
        "name": name,
        "image": image,
        "imageID": "" if state and "waiting" in state else f"{image}@sha256:0f1e",
        "ready": ready,
        "restartCount": restarts,
        "state": state if state is not None else {"running": {"startedAt": ts(10)}},
    }
    if started is not None or "running" in cs["state"]:
        cs["started"] = started if started is not None else True
    if last:
        cs["lastState"] = last
    return cs


def waiting(reason: str, message: str = "") -> dict:
    w = {"reason": reason}
    if message:
        w["message"] = message
    return {"waiting": w}


def terminated(reason: str = "Error", exit_code: int = 1, message: str = "") -> dict:
    t = {"reason": reason, "exitCode": exit_code, "startedAt": ts(20), "finishedAt": ts(25)}
    if message:
        t["message"] = message
    return {"terminated": t}


def http_probe(path: str = "/ready", port: int = 8080) -> dict:
    return {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "periodSeconds": 10,
        "failureThreshold": 3,
        "timeoutSeconds": 1,
    }


def pod(
    name: str,
    namespace: str,
    *,
    release: str | None = None,
    phase: str = "Running",
    containers: list[dict] | None = None,
    statuses: list[dict] | None = None,
    init_containers: list[dict] | None = None,
    init_statuses: list[dict] | None = None,
    conditions: list[dict] | None = None,
    node: str | None = "sov-worker-1",
    owner: tuple[str, str] | None = None,
    claims: list[str] = (),
    labels: dict | None = None,
    deleting: bool = False,
    env_secret: bool = True,
) -> dict:
    lbls = {"app.kubernetes.io/name": name.split("-")[0]}
    if release:
        lbls["app.kubernetes.io/instance"] = release
    lbls.update(labels or {})
    containers = (
        containers
        if containers is not None
        else [
            {
                "name": name.split("-")[0],
                "image": "ghcr.io/openova-io/app:1.0.0",
                "readinessProbe": http_probe(),
                "livenessProbe": http_probe("/healthz"),
            }
        ]
    )
    if env_secret:
        for c in containers:
            c.setdefault("env", [{"name": "DB_PASSWORD", "value": "hunter2"}])
    spec: dict = {
        "containers": containers,
        "restartPolicy": "Always",
        "serviceAccountName": "default",
    }
    if node:
        spec["nodeName"] = node
    if init_containers:
        spec["initContainers"] = init_containers
    if claims:
        spec["volumes"] = [
            {"name": f"vol{i}", "persistentVolumeClaim": {"claimName": c}}
            for i, c in enumerate(claims)
        ]
    m = meta(name, namespace, labels=lbls)
    if owner:
        kind, oname = owner
        m["ownerReferences"] = [
            {
                "apiVersion": "batch/v1" if kind == "Job" else "apps/v1",
                "kind": kind,
                "name": oname,
                "uid": f"uid-{namespace}-{oname}",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    if deleting:
        m["deletionTimestamp"] = ts(100)
    if statuses is None:
        statuses = [container_status(c["name"]) for c in containers]
    if conditions is None:
        all_ready = phase == "Running" and all(s.get("ready") for s in statuses)
        conditions = [
            {
                "type": "PodScheduled",
                "status": "True" if node else "False",
                "lastTransitionTime": ts(0),
            },
            {"type": "Initialized", "status": "True", "lastTransitionTime": ts(1)},
            {"type": "ContainersReady", "status": str(all_ready), "lastTransitionTime": ts(2)},
            {"type": "Ready", "status": str(all_ready), "lastTransitionTime": ts(2)},
        ]
    st = {
        "phase": phase,
        "conditions": conditions,
        "containerStatuses": statuses,
        "startTime": ts(0),
    }
    if init_statuses is not None:
        st["initContainerStatuses"] = init_statuses
    return slim({"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec, "status": st})


def unschedulable(message: str) -> dict:
    """The pod condition kube-scheduler writes when no node fits (PodScheduled=False)."""
    return {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": message,
        "lastTransitionTime": ts(0),
    }


def _object_ref(involved: tuple[str, str, str], field_path: str | None) -> dict:
    """The ObjectReference an Event points at (`involvedObject` in core/v1, `regarding` in v1)."""
    kind, ns, obj_name = involved
    ref = {
        "kind": kind,
        "namespace": ns,
        "name": obj_name,
        "uid": f"uid-{ns}-{obj_name}",
        "apiVersion": "v1",
    }
    if field_path:
        ref["fieldPath"] = field_path
    return ref


def event(
    involved: tuple[str, str, str],
    reason: str,
    message: str,
    *,
    type_: str = "Warning",
    count: int = 1,
    first: float = 30,
    last: float = 60,
    field_path: str | None = None,
    component: str = "kubelet",
    name: str | None = None,
) -> dict:
    """A core/v1 Event the way the kubelet and controllers record them (aggregated with count)."""
    _, ns, obj_name = involved
    ref = _object_ref(involved, field_path)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta(
            name or f"{obj_name}.{abs(hash((reason, message))) % 10**12:x}", ns or "default"
        ),
        "involvedObject": ref,
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": ts(first),
        "lastTimestamp": ts(last),
        "source": {"component": component, "host": "sov-worker-1"},
        "reportingComponent": component,
    }


def event_v1(
    involved: tuple[str, str, str],
    reason: str,
    note: str,
    *,
    type_: str = "Warning",
    series_count: int | None = None,
    at: float = 30,
    last: float = 60,
    field_path: str | None = None,
    controller: str = "kubelet",
    name: str | None = None,
) -> dict:
    """An events.k8s.io/v1 Event: `regarding`, `note`, `eventTime` and `series` instead of count."""
    _, ns, obj_name = involved
    ref = _object_ref(involved, field_path)
    ev = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": meta(
            name or f"{obj_name}.{abs(hash((reason, note))) % 10**12:x}", ns or "default"
        ),
        "regarding": ref,
        "reason": reason,
        "note": note,
        "type": type_,
        "action": "Binding" if controller == "default-scheduler" else "Unknown",
        "eventTime": ts(at).replace("Z", ".000000Z"),
        "reportingController": controller,
        "reportingInstance": f"{controller}-sov-worker-1",
    }
    if series_count is not None:
        ev["series"] = {
            "count": series_count,
            "lastObservedTime": ts(last).replace("Z", ".000000Z"),
        }
    return ev


def pvc(
    name: str,
    namespace: str,
    *,
    phase: str = "Bound",
    volume: str | None = None,
    storage_class: str = "hcloud-volumes",
    release: str | None = None,
    annotations: dict | None = None,
) -> dict:
    spec = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "10Gi"}},
        "storageClassName": storage_class,
        "volumeMode": "Filesystem",
    }
    if phase in ("Bound", "Lost"):
        spec["volumeName"] = volume or f"pvc-{name}"
    m = meta(name, namespace, annotations=annotations or {})
    if release:
        m["labels"] = {"app.kubernetes.io/instance": release}
    st: dict = {"phase": phase}
    if phase == "Bound":
        st.update({"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}})
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": m,
        "spec": spec,
        "status": st,
    }


def volume_attachment(
    pv: str,
    node: str = "sov-worker-1",
    *,
    attached: bool = True,
    attach_error: str | None = None,
    detach_error: str | None = None,
    deleting_at: float | None = None,
) -> dict:
    m = meta(f"csi-{abs(hash((pv, node))) % 10**16:016x}", "")
    if deleting_at is not None:
        m["deletionTimestamp"] = ts(deleting_at)
        m["finalizers"] = ["external-attacher/csi-hetzner-cloud"]
    st: dict = {"attached": attached}
    if attach_error:
        st["attachError"] = {"time": ts(40), "message": attach_error}
    if detach_error:
        st["detachError"] = {"time": ts(40), "message": detach_error}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "VolumeAttachment",
        "metadata": m,
        "spec": {
            "attacher": "csi.hetzner.cloud",
            "nodeName": node,
            "source": {"persistentVolumeName": pv},
        },
        "status": st,
    }


def workload(
    kind: str,
    name: str,
    namespace: str,
    *,
    release: str,
    replicas: int = 1,
    ready: int | None = None,
    hr: str | None = None,
) -> dict:
    ready = replicas if ready is None else ready
    labels = {"app.kubernetes.io/instance": release, "app.kubernetes.io/managed-by": "Helm"}
    if hr:
        labels.update(
            {"helm.toolkit.fluxcd.io/name": hr, "helm.toolkit.fluxcd.io/namespace": "flux-system"}
        )
    m = meta(
        name,
        namespace,
        generation=1,
        labels=labels,
        annotations={
            "meta.helm.sh/release-name": release,
            "meta.helm.sh/release-namespace": namespace,
        },
    )
    spec: dict = {
        "selector": {"matchLabels": {"app.kubernetes.io/instance": release}},
        "template": {"spec": {"containers": [{"name": "app", "image": "x"}]}},
    }
    if kind == "DaemonSet":
        st = {
            "observedGeneration": 1,
            "desiredNumberScheduled": replicas,
            "numberReady": ready,
            "updatedNumberScheduled": replicas,
            "numberAvailable": ready,
            "currentNumberScheduled": replicas,
        }
    elif kind == "Job":
        spec["completions"] = replicas
        st = {"succeeded": ready, "active": replicas - ready}
    else:
        spec["replicas"] = replicas
        st = {
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": ready,
            "updatedReplicas": replicas,
            "availableReplicas": ready,
        }
        if kind == "StatefulSet":
            st.update({"currentRevision": f"{name}-1", "updateRevision": f"{name}-1"})
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return slim({"apiVersion": api, "kind": kind, "metadata": m, "spec": spec, "status": st})


def replicaset(
    deployment: str, namespace: str, *, release: str, replicas: int = 1, ready: int | None = None
) -> dict:
    rs = workload(
        "ReplicaSet",
        f"{deployment}-7d9c5b8f6c",
        namespace,
        release=release,
        replicas=replicas,
        ready=ready,
    )
    rs["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": deployment,
            "uid": f"uid-{namespace}-{deployment}",
            "controller": True,
        }
    ]
    rs["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    return rs


MULTI_ATTACH = (
    'Multi-Attach error for volume "pvc-storage-loki-0" Volume is already used by pod(s) loki-0-old'
)


def loki_multi_attach(**pod_kw) -> list[dict]:
    """loki-0 stuck in ContainerCreating: its volume is still attached to another node, and the
    attachdetach-controller says so. `pod_kw` goes to `pod` (owner, release, ...)."""
    return [
        pod(
            "loki-0",
            "loki",
            phase="Pending",
            claims=["storage-loki-0"],
            statuses=[container_status("loki", ready=False, state=waiting("ContainerCreating"))],
            **pod_kw,
        ),
        pvc("storage-loki-0", "loki"),
        volume_attachment("pvc-storage-loki-0", "sov-worker-2"),
        event(
            ("Pod", "loki", "loki-0"),
            "FailedAttachVolume",
            MULTI_ATTACH,
            component="attachdetach-controller",
        ),
    ]


def store_of(*objects: dict, received_at: float = T0_EPOCH) -> Store:
    """A Store fed with these objects as ADDED watch events."""
    store = Store()
    for obj in objects:
        store.apply(WatchEvent("x", EventType.ADDED, obj, received_at))
    return store
