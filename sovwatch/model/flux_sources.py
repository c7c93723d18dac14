"""Flux sources (HelmChart, HelmRepository, OCIRepository, GitRepository): state and references.

They share the generic Flux ladder (`conditions.classify_flux_object`); source-controller retries
failures forever, so a failing source is `failed` unless it says Stalled=True. One special case:
since source-controller v1, an OCI HelmRepository (`spec.type: oci`) is never reconciled and has no
status at all; that is its normal state, not "unknown".
"""

from __future__ import annotations

from sovwatch.model import conditions
from sovwatch.model.states import State, Verdict

ObjectKey = tuple[str, str, str]

SOURCE_KINDS = ("HelmChart", "HelmRepository", "OCIRepository", "GitRepository")


def classify_source(obj: dict) -> Verdict:
    """The state of any Flux source object."""
    spec = obj.get("spec") or {}
    if (
        obj.get("kind") == "HelmRepository"
        and spec.get("type") == "oci"
        and conditions.find(obj, conditions.READY) is None
        and not spec.get("suspend")
    ):
        return Verdict(
            State.READY, "Static", "OCI repository: charts are pulled by their HelmChart"
        )
    return conditions.classify_flux_object(obj)


def upstream_of(obj: dict) -> ObjectKey | None:
    """The object a source depends on: a HelmChart's `spec.sourceRef`; None for repositories."""
    if obj.get("kind") != "HelmChart":
        return None
    ref = (obj.get("spec") or {}).get("sourceRef") or {}
    if not ref.get("name"):
        return None
    namespace = (obj.get("metadata") or {}).get("namespace", "")
    return (ref.get("kind") or "HelmRepository", namespace, ref["name"])
