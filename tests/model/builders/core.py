"""Pods and Events as the kubelet, the scheduler and the controllers write them (slimmed as
sovwatch stores them; `pod_object` unslimmed, as the API serves it)."""

from __future__ import annotations

from sovwatch.sources.slimming import slim
from tests.model.builders.common import meta, ts


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


def pod(name: str, namespace: str, **fields) -> dict:
    """A Pod as sovwatch stores it: `pod_object`, slimmed."""
    return slim(pod_object(name, namespace, **fields))


def pod_object(
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
    stored: bool = True,
) -> dict:
    """A Pod as the API serves it, with one container per entry of `containers` (default: one
    with probes and a secret in its environment) and a status for each."""
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
    m = meta(name, namespace, labels=lbls, stored=stored)
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
    return {"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec, "status": st}


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
