"""Raw API object → the slim object that sovwatch keeps, records and shows.

Slimming happens at the source, before anything is stored or recorded, so what is dropped here can
never reach the screen, a log or a recording: managedFields and last-applied annotations (bulk),
HelmRelease `spec.values` (chart values often carry passwords), pod-spec env values, command lines
and args (often carry tokens), and the payload of any Secret or ConfigMap that might slip through.
"""

from __future__ import annotations

_DROPPED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "meta.helm.sh/release-values",
)
_CONTAINER_KEEP = (
    "name",
    "image",
    "ports",
    "readinessProbe",
    "livenessProbe",
    "startupProbe",
    "volumeMounts",
    "resources",
)


def slim(obj: dict) -> dict:
    """A trimmed copy of `obj` with bulk and secret-bearing fields removed; `obj` is not modified."""
    out = {k: v for k, v in obj.items() if k not in ("data", "stringData", "binaryData")}
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    annotations = meta.get("annotations")
    if annotations:
        meta["annotations"] = {
            k: v for k, v in annotations.items() if k not in _DROPPED_ANNOTATIONS
        }
    out["metadata"] = meta
    kind = obj.get("kind")
    if kind == "HelmRelease":
        out["spec"] = {k: v for k, v in (obj.get("spec") or {}).items() if k != "values"}
    elif kind == "Pod":
        out["spec"] = _slim_pod_spec(obj.get("spec") or {})
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        spec = dict(obj.get("spec") or {})
        template = dict(spec.get("template") or {})
        if "spec" in template:
            template["spec"] = _slim_pod_spec(template["spec"])
            spec["template"] = template
        out["spec"] = spec
    return out


def _slim_pod_spec(spec: dict) -> dict:
    out = {k: v for k, v in spec.items() if k not in ("containers", "initContainers")}
    for key in ("containers", "initContainers"):
        if key in spec:
            out[key] = [_slim_container(c) for c in spec[key]]
    return out


def _slim_container(container: dict) -> dict:
    out = {k: container[k] for k in _CONTAINER_KEEP if k in container}
    if "env" in container:
        out["env"] = [{"name": e.get("name", "")} for e in container["env"]]
    return out
