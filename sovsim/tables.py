"""meta.k8s.io/v1 Table output, so `kubectl get` prints the columns a real cluster would.

Built-in kinds follow kube-apiserver's printers (pkg/printers/internalversion), including the
pod STATUS logic kubectl users know (`CrashLoopBackOff`, `Init:0/1`, `Terminating`); Flux kinds
follow their CRDs' additionalPrinterColumns, whose `date` columns the apiserver turns into ages.
Rows carry the object as PartialObjectMetadata unless `includeObject` says otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sovsim.objects import ResourceType

TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def wants_table(accept: str) -> bool:
    """True when the Accept header asks for a Table (kubectl's first choice for `get`)."""
    return any("as=Table" in part and "g=meta.k8s.io" in part for part in accept.split(","))


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: `45s`, `3m20s`, `2h5m`, `3d4h`, `2y10d`."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    if hours < 24 * 365 * 8:
        return f"{days // 365}y{days % 365}d" if days % 365 else f"{days // 365}y"
    return f"{days // 365}y"


def _since(timestamp: str | None, now: float) -> str:
    """translateTimestampSince: the age of an RFC 3339 timestamp, `<unknown>` when absent."""
    if not timestamp:
        return "<unknown>"
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return "<invalid>"
    return human_duration(now - then)


def _get(obj: dict, *keys: str) -> object:
    value: object = obj
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _ready_condition(obj: dict) -> dict:
    for condition in _get(obj, "status", "conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return {}


def pod_status(pod: dict, now: float) -> tuple[str, str, str]:
    """(READY, STATUS, RESTARTS) as kubectl's pod printer computes them."""
    spec, status = pod.get("spec", {}), pod.get("status", {})
    reason = status.get("reason") or status.get("phase") or ""
    restarts, ready, last_restart = 0, 0, ""
    initializing = False
    init_specs = spec.get("initContainers") or []
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += cs.get("restartCount", 0)
        state = cs.get("state", {})
        if "terminated" in state and state["terminated"].get("exitCode", 0) == 0:
            continue
        initializing = True
        if "terminated" in state:
            term = state["terminated"]
            reason = "Init:" + (term.get("reason") or f"ExitCode:{term.get('exitCode')}")
        elif state.get("waiting", {}).get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + state["waiting"]["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        break
    if not initializing:
        restarts, has_running = 0, False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += cs.get("restartCount", 0)
            finished = _get(cs, "lastState", "terminated", "finishedAt")
            if isinstance(finished, str) and finished > last_restart:
                last_restart = finished
            state = cs.get("state", {})
            if state.get("waiting", {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif "terminated" in state:
                term = state["terminated"]
                reason = term.get("reason") or (
                    f"Signal:{term['signal']}"
                    if term.get("signal")
                    else f"ExitCode:{term.get('exitCode')}"
                )
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            ready_cond = any(c.get("type") == "Ready" for c in status.get("conditions") or [])
            reason = "Running" if ready_cond else "NotReady"
    if pod.get("metadata", {}).get("deletionTimestamp") and status.get("phase") not in (
        "Succeeded",
        "Failed",
    ):
        reason = "Terminating"
    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({_since(last_restart, now)} ago)"
    return f"{ready}/{len(spec.get('containers') or [])}", reason, restarts_text


@dataclass(frozen=True)
class Column:
    name: str
    cell: Callable[[dict, float], object]
    type: str = "string"
    priority: int = 0
    format: str = ""

    def definition(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "format": self.format,
            "description": f"{self.name} column",
            "priority": self.priority,
        }


NAME = Column("Name", lambda o, now: o["metadata"]["name"], format="name")
AGE = Column("Age", lambda o, now: _since(o["metadata"].get("creationTimestamp"), now))


def _path(*keys: str, default: object = "") -> Callable[[dict, float], object]:
    def cell(obj: dict, now: float) -> object:
        value = _get(obj, *keys)
        return default if value is None else value

    return cell


_ACCESS_MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def _event_field(obj: dict, core: str, view: str) -> object:
    return obj.get(core) if core in obj else obj.get(view)


def _event_last_seen(obj: dict, now: float) -> str:
    series = obj.get("series") or {}
    last = (
        series.get("lastObservedTime")
        or _event_field(obj, "lastTimestamp", "deprecatedLastTimestamp")
        or obj.get("eventTime")
    )
    return _since(last, now)


def _event_object(obj: dict, now: float) -> str:
    ref = _event_field(obj, "involvedObject", "regarding") or {}
    return f"{str(ref.get('kind', '')).lower()}/{ref.get('name', '')}"


_REPLICAS_READY = Column(
    "Ready",
    lambda o, now: f"{_get(o, 'status', 'readyReplicas') or 0}/{_get(o, 'spec', 'replicas') or 0}",
)
"""kubectl's READY for Deployments and StatefulSets: ready/desired replicas."""
_FLUX_READY = Column("Ready", lambda o, now: _ready_condition(o).get("status", ""))
_FLUX_STATUS = Column("Status", lambda o, now: _ready_condition(o).get("message", ""))
_FLUX_URL = Column("URL", _path("spec", "url"))


def _pod_column(index: int, name: str) -> Column:
    return Column(name, lambda o, now: pod_status(o, now)[index])


COLUMNS: dict[str, tuple[Column, ...]] = {
    "pods": (
        NAME,
        _pod_column(0, "Ready"),
        _pod_column(1, "Status"),
        _pod_column(2, "Restarts"),
        AGE,
        Column("IP", _path("status", "podIP", default="<none>"), priority=1),
        Column("Node", _path("spec", "nodeName", default="<none>"), priority=1),
    ),
    "persistentvolumeclaims": (
        NAME,
        Column(
            "Status",
            lambda o, now: (
                "Terminating"
                if o["metadata"].get("deletionTimestamp")
                else _get(o, "status", "phase") or ""
            ),
        ),
        Column("Volume", _path("spec", "volumeName")),
        Column(
            "Capacity",
            lambda o, now: (
                (_get(o, "status", "capacity", "storage") or "")
                if _get(o, "spec", "volumeName")
                else ""
            ),
        ),
        Column(
            "Access Modes",
            lambda o, now: ",".join(
                _ACCESS_MODES.get(m, m) for m in _get(o, "status", "accessModes") or []
            ),
        ),
        Column("StorageClass", _path("spec", "storageClassName")),
        Column(
            "VolumeAttributesClass", _path("spec", "volumeAttributesClassName", default="<unset>")
        ),
        AGE,
        Column("VolumeMode", _path("spec", "volumeMode"), priority=1),
    ),
    "volumeattachments.storage.k8s.io": (
        NAME,
        Column("Attacher", _path("spec", "attacher")),
        Column("PV", _path("spec", "source", "persistentVolumeName")),
        Column("Node", _path("spec", "nodeName")),
        Column("Attached", _path("status", "attached", default=False), type="boolean"),
        AGE,
    ),
    "events": (
        Column("Last Seen", _event_last_seen),
        Column("Type", _path("type")),
        Column("Reason", _path("reason")),
        Column("Object", _event_object),
        Column("Message", lambda o, now: _event_field(o, "message", "note") or ""),
        Column("Name", lambda o, now: o["metadata"]["name"], priority=1, format="name"),
    ),
    "namespaces": (NAME, Column("Status", _path("status", "phase")), AGE),
    "deployments.apps": (
        NAME,
        _REPLICAS_READY,
        Column("Up-to-date", _path("status", "updatedReplicas", default=0), type="integer"),
        Column("Available", _path("status", "availableReplicas", default=0), type="integer"),
        AGE,
    ),
    "statefulsets.apps": (
        NAME,
        _REPLICAS_READY,
        AGE,
    ),
    "replicasets.apps": (
        NAME,
        Column("Desired", _path("spec", "replicas", default=0), type="integer"),
        Column("Current", _path("status", "replicas", default=0), type="integer"),
        Column("Ready", _path("status", "readyReplicas", default=0), type="integer"),
        AGE,
    ),
    "customresourcedefinitions.apiextensions.k8s.io": (
        NAME,
        Column(
            "Created At", lambda o, now: o["metadata"].get("creationTimestamp", ""), type="date"
        ),
    ),
    "helmreleases.helm.toolkit.fluxcd.io": (NAME, AGE, _FLUX_READY, _FLUX_STATUS),
    "kustomizations.kustomize.toolkit.fluxcd.io": (NAME, AGE, _FLUX_READY, _FLUX_STATUS),
    "helmrepositories.source.toolkit.fluxcd.io": (NAME, _FLUX_URL, AGE, _FLUX_READY, _FLUX_STATUS),
    "gitrepositories.source.toolkit.fluxcd.io": (NAME, _FLUX_URL, AGE, _FLUX_READY, _FLUX_STATUS),
    "ocirepositories.source.toolkit.fluxcd.io": (NAME, _FLUX_URL, _FLUX_READY, _FLUX_STATUS, AGE),
    "helmcharts.source.toolkit.fluxcd.io": (
        NAME,
        Column("Chart", _path("spec", "chart")),
        Column("Version", _path("spec", "version")),
        Column("Source Kind", _path("spec", "sourceRef", "kind")),
        Column("Source Name", _path("spec", "sourceRef", "name")),
        AGE,
        _FLUX_READY,
        _FLUX_STATUS,
    ),
}
COLUMNS["events.events.k8s.io"] = COLUMNS["events"]
DEFAULT_COLUMNS = (NAME, AGE)


def _row_object(obj: dict, include_object: str) -> dict | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }


def to_table(
    rt: ResourceType,
    objects: list[dict],
    *,
    include_object: str = "Metadata",
    resource_version: str | None = None,
    column_definitions: bool = True,
    continue_token: str | None = None,
    now: float | None = None,
) -> dict:
    """A Table of `objects` (already in the served shape). `now` defaults to the wall clock."""
    now = time.time() if now is None else now
    columns = COLUMNS.get(rt.key, DEFAULT_COLUMNS)
    rows = []
    for obj in objects:
        row: dict = {"cells": [c.cell(obj, now) for c in columns]}
        if (embedded := _row_object(obj, include_object)) is not None:
            row["object"] = embedded
        rows.append(row)
    metadata: dict = {}
    if resource_version is not None:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": [c.definition() for c in columns] if column_definitions else None,
        "rows": rows,
    }
