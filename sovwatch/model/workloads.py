"""Workloads and the release ↔ object join.

An object belongs to a release through claims, strongest first:
1. `helm.toolkit.fluxcd.io/name` + `/namespace` labels (helm-controller labels every top-level object
   it renders) → the HelmRelease itself: `("hr", namespace, name)`;
2. Helm's `meta.helm.sh/release-name` + `/release-namespace` annotations → `("rel", namespace, release)`;
3. the chart convention label `app.kubernetes.io/instance: <release>` → `("rel", namespace, release)`.
Pods carry none of the first two (they live on the pod template's owner), so a pod is resolved through
its controller owner chain: Pod → ReplicaSet → Deployment, or Pod → StatefulSet / DaemonSet / Job. A
HelmRelease answers to `("hr", its namespace, its name)` and `("rel", targetNamespace, releaseName)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sovwatch.model import conditions
from sovwatch.model.helmrelease import release_identity
from sovwatch.model.states import State, Verdict

ObjectKey = tuple[str, str, str]
Claim = tuple[str, str, str]
Lookup = Callable[[str, str, str], dict | None]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet")
HR_NAME = "helm.toolkit.fluxcd.io/name"
HR_NAMESPACE = "helm.toolkit.fluxcd.io/namespace"
RELEASE_NAME = "meta.helm.sh/release-name"
RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
INSTANCE = "app.kubernetes.io/instance"
_MAX_OWNER_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Ownership:
    """How a pod (or workload) is tied to releases."""

    claims: tuple[Claim, ...]
    owners: tuple[ObjectKey, ...]
    """The controller owner chain, nearest first (to re-resolve when an owner changes)."""


def release_claims(hr: dict) -> tuple[Claim, Claim]:
    """The claims a HelmRelease answers to."""
    meta = hr.get("metadata") or {}
    namespace, release = release_identity(hr)
    return (("hr", meta.get("namespace", ""), meta.get("name", "")), ("rel", namespace, release))


def own_claims(obj: dict) -> list[Claim]:
    """Claims from an object's own labels and annotations (no owner lookup)."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace", "")
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    found: list[Claim] = []
    if labels.get(HR_NAME):
        found.append(("hr", labels.get(HR_NAMESPACE) or namespace, labels[HR_NAME]))
    if annotations.get(RELEASE_NAME):
        found.append(
            ("rel", annotations.get(RELEASE_NAMESPACE) or namespace, annotations[RELEASE_NAME])
        )
    if labels.get(INSTANCE):
        found.append(("rel", namespace, labels[INSTANCE]))
    return found


def _controller(obj: dict) -> tuple[str, str] | None:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or ()
    ref = next((r for r in refs if r.get("controller")), None) or (refs[0] if refs else None)
    return (ref.get("kind", ""), ref.get("name", "")) if ref else None


def ownership(obj: dict, lookup: Lookup) -> Ownership:
    """Claims of an object, from itself and its controller owner chain (top-most owner first)."""
    namespace = (obj.get("metadata") or {}).get("namespace", "")
    chain: list[ObjectKey] = []
    layers = [obj]
    current = obj
    for _ in range(_MAX_OWNER_DEPTH):
        ref = _controller(current)
        if ref is None:
            break
        key = (ref[0], namespace, ref[1])
        chain.append(key)
        owner = lookup(*key)
        if owner is None:
            break
        layers.append(owner)
        current = owner
    claims: list[Claim] = []
    for layer in reversed(layers):
        for claim in own_claims(layer):
            if claim not in claims:
                claims.append(claim)
    return Ownership(tuple(claims), tuple(chain))


def is_top_level(obj: dict) -> bool:
    """A workload not controlled by another workload (a Deployment's ReplicaSets are not)."""
    return obj.get("kind") in WORKLOAD_KINDS and _controller(obj) is None


def desired_pods(obj: dict) -> int:
    spec = obj.get("spec") or {}
    st = obj.get("status") or {}
    kind = obj.get("kind")
    if kind == "DaemonSet":
        return int(st.get("desiredNumberScheduled") or 0)
    if kind == "Job":
        return int(spec.get("completions") or 1)
    replicas = spec.get("replicas")
    return 1 if replicas is None else int(replicas)


def classify_workload(obj: dict) -> Verdict:
    """kstatus-style rules for Deployment, StatefulSet, DaemonSet, ReplicaSet and Job."""
    kind = obj.get("kind")
    meta = obj.get("metadata") or {}
    st = obj.get("status") or {}
    if meta.get("deletionTimestamp"):
        return Verdict(State.PROGRESSING, "Terminating", "being deleted")
    if kind == "Job":
        return _classify_job(obj)
    lag = conditions.generation_lag(obj)
    if lag is not None:
        return Verdict(
            State.PROGRESSING,
            "LatestGenerationNotObserved",
            f"generation {lag[0]} not observed yet",
        )
    if kind == "Deployment" and conditions.reason(obj, "Progressing") == "ProgressDeadlineExceeded":
        return Verdict(
            State.FAILED, "ProgressDeadlineExceeded", conditions.message(obj, "Progressing")
        )
    want = desired_pods(obj)
    if kind == "DaemonSet":
        ready, updated = int(st.get("numberReady") or 0), int(st.get("updatedNumberScheduled") or 0)
    else:
        ready, updated = (
            int(st.get("readyReplicas") or 0),
            int(st.get("updatedReplicas", st.get("readyReplicas")) or 0),
        )
    if (
        kind == "StatefulSet"
        and st.get("updateRevision")
        and st.get("currentRevision") != st.get("updateRevision")
    ):
        return Verdict(
            State.PROGRESSING,
            "RollingUpdate",
            f"{ready}/{want} ready, rolling out {st['updateRevision']}",
        )
    if ready >= want and updated >= want:
        return Verdict(State.READY, "Ready", f"{ready}/{want} ready")
    return Verdict(State.PROGRESSING, "NotReady", f"{ready}/{want} ready")


def _classify_job(obj: dict) -> Verdict:
    if conditions.is_true(obj, "Complete"):
        return Verdict(State.READY, "Complete", "job completed")
    if conditions.is_true(obj, "Failed"):
        reason = conditions.reason(obj, "Failed") or "Failed"
        return Verdict(State.STALLED, reason, conditions.message(obj, "Failed"))
    st = obj.get("status") or {}
    want = desired_pods(obj)
    if int(st.get("succeeded") or 0) >= want:
        return Verdict(State.READY, "Complete", "job completed")
    failed = int(st.get("failed") or 0)
    if failed:
        return Verdict(State.FAILED, "BackoffLimit", f"{failed} pod(s) failed, retrying")
    return Verdict(
        State.PROGRESSING, "Running", f"{int(st.get('succeeded') or 0)}/{want} completed"
    )
