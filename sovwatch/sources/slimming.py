"""Raw API object → the slim object that sovwatch keeps, records and shows.

Slimming happens at the source, before anything is stored or recorded, and keeps only what the
model (`sovwatch/model`) and the views read, per kind, by allow-list. That makes it the secrecy
boundary (HelmRelease `spec.values`, pod env values, command lines and args, exec probe commands,
Secret and ConfigMap payloads, last-applied annotations are never kept because they are never
listed) and the memory budget: a `large` cluster's pod is ~11 KB as decoded JSON and ~1.5 KB slim.

Each allow-list below names the fields kept and, in a comment, who reads them. A field that a
model or view change starts reading must be added here: `tests/test_slimming_contract.py` plays
real scenarios and fails when the model's snapshot from full objects differs from the one from
slim objects. Kept strings are interned (`sys.intern`): namespaces, kinds, reasons, label values,
node names, timestamps and messages repeat across thousands of objects and Events, and interning
makes every repeat share one string. `uid` and `resourceVersion` are unique and not interned.

It is also the door for untrusted text: every string kept (and every key of a mapping kept whole)
passes `sovwatch.untrusted.neutralise` first, so no terminal control or bidi override in what a
workload wrote reaches the store, a recording or a view. Recordings are slimmed again when read.

The result has the API object's shape (so recordings stay readable and `slim(slim(x)) == slim(x)`);
`obj` is never modified and nothing of it is shared with the result except immutable strings.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Mapping
from typing import Any

from sovwatch.untrusted import neutralise

KEEP = "keep"
"""Keep the value; strings are interned, containers are kept whole (their strings interned)."""
UNIQUE = "unique"
"""Keep the value as it is (neutralised): unique per object, interning would only cost."""

Shape = str | Mapping[str, "Shape"] | list | Callable[[Any], Any]
"""How to slim a value: KEEP / UNIQUE, a mapping (keep only these keys, each slimmed by its own
shape), a one-element list (a list whose items all have that shape), or a function (its `reads`,
when set, is the part of the value it reads, as a mapping or list shape: see `_reading`)."""


def _reading(part: Shape) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Declares that a function shape reads only `part` of its value, so that a decoder need
    build no more of it (`kept_json`); the function still gets whatever it is given."""

    def declare(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
        function.reads = part  # type: ignore[attr-defined]
        return function

    return declare


_CLAIM_LABELS = {
    "helm.toolkit.fluxcd.io/name": KEEP,  # workloads.own_claims: the HelmRelease claim
    "helm.toolkit.fluxcd.io/namespace": KEEP,  # workloads.own_claims
    "app.kubernetes.io/instance": KEEP,  # workloads.own_claims: the chart convention claim
}
_CLAIM_ANNOTATIONS = {
    "meta.helm.sh/release-name": KEEP,  # workloads.own_claims: Helm's release claim
    "meta.helm.sh/release-namespace": KEEP,  # workloads.own_claims
    "volume.kubernetes.io/selected-node": KEEP,  # volumes._pending: where a PVC is provisioned
}


def _only(keys: Mapping[str, str]) -> Callable[[Any], Any]:
    """A label/annotation map cut to `keys` (an empty map stays: it costs 64 bytes)."""

    @_reading(dict.fromkeys(keys, KEEP))
    def cut(value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        return {k: _interned(value[k]) for k in keys if k in value}

    return cut


METADATA: Mapping[str, Shape] = {
    "name": KEEP,  # identity (store key); interned: repeated in Events' involvedObject
    "namespace": KEEP,  # identity (store key)
    "uid": UNIQUE,  # listing.diff: an object re-created under the same name
    "resourceVersion": UNIQUE,  # listing.diff, and where a watch resumes
    "creationTimestamp": KEEP,  # release.since, events.normalize (fallback time), timelines
    "deletionTimestamp": KEEP,  # every ladder's "Terminating"; VolumeAttachment stuck detaching
    "labels": _only(_CLAIM_LABELS),
    "annotations": _only(_CLAIM_ANNOTATIONS),
    "ownerReferences": [
        {"kind": KEEP, "name": KEEP, "controller": KEEP}  # workloads.ownership: the owner chain
    ],
}
"""Every kind's metadata."""
METADATA_GENERATION: Mapping[str, Shape] = {
    **METADATA,
    "generation": KEEP,  # conditions.generation_lag (Flux objects and workloads only)
}

CONDITION: Mapping[str, Shape] = {
    "type": KEEP,
    "status": KEEP,
    "reason": KEEP,
    "message": KEEP,
    "lastTransitionTime": KEEP,  # release.since, pod ready time, timelines
    "observedGeneration": KEEP,  # conditions.generation_lag (Ready's own observedGeneration)
}
"""conditions.py reads type/status/reason/message; the detail pane shows HelmRelease conditions
verbatim (type, status, reason, message)."""

FLUX_STATUS: Mapping[str, Shape] = {
    "conditions": [CONDITION],  # conditions.classify_flux_object
    "observedGeneration": KEEP,  # conditions.generation_lag
}

_PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")
_PROBE_MARKS = {h: {h: {}} for h in _PROBE_HANDLERS}


@_reading({h: {} for h in _PROBE_HANDLERS})
def _probe(value: Any) -> Any:
    """A probe reduced to which handler it uses (`{"httpGet": {}}`): the model only asks whether a
    probe is configured (probes.assess), and an exec probe's command line may carry a credential.
    The marks are shared between objects (slim objects are never mutated)."""
    if not isinstance(value, dict) or not value:
        return None
    for handler in _PROBE_HANDLERS:
        if handler in value:
            return _PROBE_MARKS[handler]
    return {"probe": {}}


CONTAINER: Mapping[str, Shape] = {
    "name": KEEP,  # pod._containers: matches containerStatuses, names in messages
    "readinessProbe": _probe,  # probes.assess(configured=...)
    "livenessProbe": _probe,
    "startupProbe": _probe,
}

_RUN_STATE: Mapping[str, Shape] = {
    "running": {"startedAt": KEEP},  # probes: failures during the current run only
    "waiting": {"reason": KEEP, "message": KEEP},  # pod ladder: CrashLoopBackOff, ImagePull...
    "terminated": {
        "exitCode": KEEP,
        "reason": KEEP,
        "message": KEEP,
        "startedAt": KEEP,
        "finishedAt": KEEP,  # a Succeeded pod's ready time
    },
}
CONTAINER_STATUS: Mapping[str, Shape] = {
    "name": KEEP,
    "ready": KEEP,
    "started": KEEP,  # startup probe passing
    "restartCount": KEEP,
    "state": _RUN_STATE,
    "lastState": _RUN_STATE,  # how the previous run ended (exit code, reason, message)
}


_POD_CONDITIONS = ("PodScheduled", "Ready")


@_reading([CONDITION])
def _pod_conditions(value: Any) -> Any:
    """Only PodScheduled (the scheduler's why) and Ready (when the pod became ready)."""
    if not isinstance(value, list):
        return None
    return [
        _slim_condition(c)
        for c in value
        if isinstance(c, dict) and c.get("type") in _POD_CONDITIONS
    ]


@_reading([{"persistentVolumeClaim": {"claimName": KEEP}}])
def _claim_volumes(value: Any) -> Any:
    """Only the volumes that mount a PVC (a secret or projected token volume is never read)."""
    if not isinstance(value, list):
        return None
    return [
        {
            "persistentVolumeClaim": {
                "claimName": _intern(v["persistentVolumeClaim"].get("claimName"))
            }
        }
        for v in value
        if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict)
    ]


POD_SPEC: Mapping[str, Shape] = {
    "nodeName": KEEP,  # pod.node, "waiting to be scheduled", a PVC consumer's node
    "containers": [CONTAINER],
    "initContainers": [CONTAINER],
    "volumes": _claim_volumes,  # pod.claims_of
}
POD_STATUS: Mapping[str, Shape] = {
    "phase": KEEP,
    "reason": KEEP,  # a Failed pod's reason (Evicted, ...)
    "message": KEEP,
    "startTime": KEEP,  # release timelines: when the kubelet accepted the pod
    "conditions": _pod_conditions,
    "containerStatuses": [CONTAINER_STATUS],
    "initContainerStatuses": [CONTAINER_STATUS],
}

_REMEDIATION = {"remediation": {"retries": KEEP}}  # helmrelease.retry_state
HELMRELEASE_SPEC: Mapping[str, Shape] = {
    "suspend": KEEP,
    "releaseName": KEEP,  # helmrelease.release_identity (the release claim)
    "targetNamespace": KEEP,
    "dependsOn": [{"name": KEEP, "namespace": KEEP}],  # the dependency graph ("ns/name" kept too)
    "chart": {
        "spec": {
            "chart": KEEP,  # chart_label
            "version": KEEP,
            "sourceRef": {"kind": KEEP, "name": KEEP, "namespace": KEEP},  # source_of
        }
    },
    "chartRef": {"kind": KEEP, "name": KEEP, "namespace": KEEP},  # source_of
    "install": _REMEDIATION,
    "upgrade": _REMEDIATION,
}
"""Never `values`/`valuesFrom` (chart values often carry passwords)."""
HELMRELEASE_STATUS: Mapping[str, Shape] = {
    **FLUX_STATUS,
    "helmChart": KEEP,  # source_of: "ns/name" of the HelmChart
    "lastAttemptedReleaseAction": KEEP,  # retry_state
    "installFailures": KEEP,
    "upgradeFailures": KEEP,
    "lastReleaseRevision": KEEP,
    "history": [
        {
            "chartName": KEEP,  # chart_label: what is deployed
            "chartVersion": KEEP,
            "status": KEEP,  # release timelines: where an install/upgrade episode begins
            "firstDeployed": KEEP,
            "lastDeployed": KEEP,
        }
    ],
}

WORKLOAD_SPEC: Mapping[str, Shape] = {
    "replicas": KEEP,  # workloads.desired_pods
    "completions": KEEP,  # Jobs
}
"""Never the pod template (env values, args)."""
WORKLOAD_STATUS: Mapping[str, Shape] = {
    **FLUX_STATUS,  # conditions (Progressing, Complete, Failed) and observedGeneration
    "readyReplicas": KEEP,
    "updatedReplicas": KEEP,
    "desiredNumberScheduled": KEEP,  # DaemonSet
    "numberReady": KEEP,
    "updatedNumberScheduled": KEEP,
    "currentRevision": KEEP,  # StatefulSet rolling update
    "updateRevision": KEEP,
    "succeeded": KEEP,  # Job
    "failed": KEEP,
}

_REF = {"kind": KEEP, "namespace": KEEP, "name": KEEP, "fieldPath": KEEP}
EVENT: Mapping[str, Shape] = {
    "involvedObject": _REF,  # core/v1: what the Event is about; fieldPath names the container
    "regarding": _REF,  # events.k8s.io/v1
    "type": KEEP,
    "reason": KEEP,
    "message": KEEP,
    "note": KEEP,  # events.k8s.io/v1 message
    "count": KEEP,
    "deprecatedCount": KEEP,
    "series": {"count": KEEP, "lastObservedTime": KEEP},
    "firstTimestamp": KEEP,
    "lastTimestamp": KEEP,
    "deprecatedFirstTimestamp": KEEP,
    "deprecatedLastTimestamp": KEEP,
    "eventTime": KEEP,
    "reportingController": KEEP,  # the source column
    "reportingComponent": KEEP,
    "source": {"component": KEEP},
}
"""events.normalize reads exactly these (either API shape); see `_compact_event` for what else
goes."""

_GEN = {"metadata": METADATA_GENERATION}
_FLUX = {**_GEN, "spec": {"suspend": KEEP}, "status": FLUX_STATUS}
_WORKLOAD = {**_GEN, "spec": WORKLOAD_SPEC, "status": WORKLOAD_STATUS}
KINDS: Mapping[str, Mapping[str, Shape]] = {
    "HelmRelease": {**_GEN, "spec": HELMRELEASE_SPEC, "status": HELMRELEASE_STATUS},
    "Kustomization": {
        **_GEN,
        "spec": {"suspend": KEEP},
        "status": {**FLUX_STATUS, "inventory": {"entries": [{"id": KEEP}]}},  # expected releases
    },
    "HelmRepository": {**_GEN, "spec": {"suspend": KEEP, "type": KEEP}, "status": FLUX_STATUS},
    "HelmChart": {
        **_GEN,
        "spec": {"suspend": KEEP, "sourceRef": {"kind": KEEP, "name": KEEP}},  # upstream_of
        "status": FLUX_STATUS,
    },
    "OCIRepository": _FLUX,
    "GitRepository": _FLUX,
    "Pod": {"metadata": METADATA, "spec": POD_SPEC, "status": POD_STATUS},
    "PersistentVolumeClaim": {
        "metadata": METADATA,
        "spec": {"volumeName": KEEP},  # PVC → PV → VolumeAttachments
        "status": {"phase": KEEP},
    },
    "VolumeAttachment": {
        "metadata": METADATA,
        "spec": {"nodeName": KEEP, "source": {"persistentVolumeName": KEEP}},
        "status": {
            "attached": KEEP,
            "attachError": {"message": KEEP},
            "detachError": {"message": KEEP},
        },
    },
    "Deployment": _WORKLOAD,
    "StatefulSet": _WORKLOAD,
    "DaemonSet": _WORKLOAD,
    "ReplicaSet": _WORKLOAD,
    "Job": _WORKLOAD,
    "Event": {"metadata": METADATA, **EVENT},
    "LogExcerpt": {  # sovwatch's own: a fetched log tail (sources.log_fetcher, model.log_excerpts)
        "metadata": METADATA,
        "pod": {"name": KEEP, "uid": UNIQUE},  # matched to the pod it was read from
        "container": KEEP,
        "previous": KEEP,
        "restartCount": KEEP,
        "lines": [UNIQUE],  # the log text: decisive line, excerpt in the views
    },
    "HelmControllerLog": {  # sovwatch's own: helm-controller's lines about a failing release
        "metadata": METADATA,
        "lines": [UNIQUE],  # model.controller_log: the detail pane, releases[].helmControllerLog
    },
}
"""Per kind, what is kept besides `kind` and `apiVersion`. Any other kind (a Secret or ConfigMap
that slipped through) keeps its metadata only."""

Slimmer = Callable[[Any], Any]


def _compile(shape: Shape) -> Slimmer:
    """The function that slims a value of this shape (built once per allow-list at import)."""
    if shape is KEEP:
        return _interned
    if shape is UNIQUE:
        return _same
    if callable(shape):
        return shape
    if isinstance(shape, list):
        item = _compile(shape[0])

        def each(value: Any) -> Any:
            if type(value) is list:
                return [item(v) for v in value]
            return None if isinstance(value, dict) else _intern(value)

        return each
    # by key: the value's own keys are looked up (a value the schema decoder cut holds only kept
    # ones), and the allow-list's key string is the one stored (shared by every slim object)
    fields = {key: (key, sub is KEEP, _compile(sub)) for key, sub in shape.items()}.get

    def pick(value: Any) -> Any:
        if type(value) is not dict:
            return None if isinstance(value, list) else _intern(value)  # "ns/name" in dependsOn
        out = {}
        for name, v in value.items():
            field = fields(name)
            if field is None:
                continue
            key, keep, sub = field
            if keep and type(v) is str:
                out[key] = sys.intern(neutralise(v))
            elif (kept := sub(v)) is not None or v is None:
                out[key] = kept
        return out

    return pick


def _same(value: Any) -> Any:
    return neutralise(value) if type(value) is str else value


def _intern(value: Any) -> Any:
    return sys.intern(neutralise(value)) if type(value) is str else value


def _interned(value: Any) -> Any:
    """A kept value with every string in it (keys too) neutralised and interned."""
    if type(value) is str:
        return sys.intern(neutralise(value))
    if isinstance(value, dict):
        return {_intern(k): _interned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_interned(v) for v in value]
    return value


def _compile_clean(shape: Mapping[str, Shape]) -> Slimmer:
    """What `_compile` makes, for a value that holds only what `shape` keeps, shaped as it says,
    and no string the gate would change (see `slim_clean`): kept strings are interned where they
    are, and the value itself is returned; a function slims what it is given (by its `clean`,
    where it has one, made for such a value), and a key it returns None for is dropped.

    Made as the source of one function per allow-list, its nested mappings and lists written out
    in it (`_CleanSource`), not as a closure per mapping: a pod holds a dozen of them, and calling
    one for each was a fifth of the cost of slimming a watch event."""
    source = _CleanSource()
    source.mapping(shape, "value", "        ")
    code = "\n".join(
        [
            "def clean(value):",
            "    if type(value) is str:",
            "        return intern(value)",  # "ns/name" in dependsOn
            "    if type(value) is dict:",
            *source.lines,
            "    return value",
        ]
    )
    namespace = {"intern": sys.intern, "_interned": _interned, **source.functions}
    exec(code, namespace)  # noqa: S102 - our own source, made from the allow-lists above
    return namespace["clean"]


class _CleanSource:
    """The lines of `_compile_clean`'s function: each kept key looked up once; a string kept as
    KEEP interned, a container kept as KEEP interned whole (`_interned`), a nested mapping or
    list slimmed in place by the lines written for its shape, a function's result stored (None:
    the key dropped); UNIQUE values and values of a type the shape does not expect left alone."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.functions: dict[str, Callable[[Any], Any]] = {}
        self._names = itertools.count()

    def _name(self, prefix: str) -> str:
        return f"{prefix}{next(self._names)}"

    def mapping(self, shape: Mapping[str, Shape], var: str, indent: str) -> None:
        add = self.lines.append
        add(f"{indent}pass")  # a mapping of UNIQUE keys only has nothing else to do
        for key, sub in shape.items():
            if sub is UNIQUE:
                continue
            v, k = self._name("v"), repr(key)
            add(f"{indent}{v} = {var}.get({k})")
            if sub is KEEP:
                add(f"{indent}if type({v}) is str:")
                add(f"{indent}    {var}[{k}] = intern({v})")
                add(f"{indent}elif type({v}) is dict or type({v}) is list:")
                add(f"{indent}    {var}[{k}] = _interned({v})")
            elif callable(sub):
                function, kept = self._function(sub), self._name("kept")
                add(f"{indent}if type({v}) is dict or type({v}) is list:")
                add(f"{indent}    {kept} = {function}({v})")
                add(f"{indent}    if {kept} is None:")
                add(f"{indent}        del {var}[{k}]")
                add(f"{indent}    elif {kept} is not {v}:")
                add(f"{indent}        {var}[{k}] = {kept}")
            else:
                self._nested(sub, v, indent)

    def items(self, item: Shape, var: str, indent: str) -> None:
        add = self.lines.append
        if item is UNIQUE:
            add(f"{indent}pass")
            return
        i, x = self._name("i"), self._name("x")
        add(f"{indent}for {i}, {x} in enumerate({var}):")
        if item is KEEP:
            add(f"{indent}    {var}[{i}] = _interned({x})")
        elif callable(item):
            add(f"{indent}    {var}[{i}] = {self._function(item)}({x})")
        else:
            if not isinstance(item, list):
                add(f"{indent}    if type({x}) is str:")
                add(f"{indent}        {var}[{i}] = intern({x})")  # "ns/name" in dependsOn
            self._nested(item, x, indent + "    ")

    def _nested(self, shape: Shape, var: str, indent: str) -> None:
        """A list or mapping shape: `var` slimmed in place if it is of that type."""
        if isinstance(shape, list):
            self.lines.append(f"{indent}if type({var}) is list:")
            self.items(shape[0], var, indent + "    ")
        else:
            self.lines.append(f"{indent}if type({var}) is dict:")
            self.mapping(shape, var, indent + "    ")

    def _function(self, shape: Callable[[Any], Any]) -> str:
        name = self._name("function")
        self.functions[name] = getattr(shape, "clean", shape)
        return name


_slim_condition = _compile(CONDITION)
_clean_condition = _compile_clean(CONDITION)
_pod_conditions.clean = lambda value: [  # type: ignore[attr-defined]
    _clean_condition(c) for c in value if type(c) is dict and c.get("type") in _POD_CONDITIONS
]
_SLIMMERS: dict[str, Slimmer] = {kind: _compile(shape) for kind, shape in KINDS.items()}
_METADATA_ONLY = _compile({"metadata": METADATA})
_CLEAN_SLIMMERS: dict[str, Slimmer] = {
    kind: _compile_clean({**shape, "apiVersion": KEEP, "kind": KEEP})
    for kind, shape in KINDS.items()
}


def slim(obj: dict) -> dict:
    """The slim copy of `obj` (see the module docstring); `obj` is not modified."""
    kind = obj.get("kind")
    slimmer = _SLIMMERS.get(kind, _METADATA_ONLY) if type(kind) is str else _METADATA_ONLY
    out = {k: _interned(obj[k]) for k in ("apiVersion", "kind") if k in obj}
    out.update(slimmer(obj))
    out.setdefault("metadata", {})
    if kind == "Event":
        _compact_event(out)
    return out


def slim_clean(obj: dict) -> dict:
    """`slim(obj)`, made in `obj` itself (and returned), for an object of a kind in `KINDS` that
    `kept_json` decoded against that kind's allow-list from a text that
    `untrusted.holds_nothing_to_neutralise` passed: it holds only kept fields, each of the type
    its shape says, and no string that `neutralise` would change; what is left to do is interning
    its strings and the cuts no schema makes (probe marks, pod conditions by type, claim volumes,
    an Event's empty fields). A watch event costs a third of `slim` this way."""
    _CLEAN_SLIMMERS[obj["kind"]](obj)
    obj.setdefault("metadata", {})
    if obj["kind"] == "Event":
        _compact_event(obj)
    return obj


def _compact_event(event: dict) -> None:
    """Empty fields out (every read of them falls through `or` to the next place, so absent and
    empty mean the same), and `source` too when a reporting controller is named (read first)."""
    for key in [k for k, v in event.items() if not v]:  # JSON's falsy values: all empty
        del event[key]
    if event.get("reportingController") or event.get("reportingComponent"):
        event.pop("source", None)
