"""Volumes: PVC phase with the why, joined to the PV's VolumeAttachments and to the consuming pods.

PVC → `spec.volumeName` (the PV) → VolumeAttachments whose `spec.source.persistentVolumeName` is that
PV, and → the pods that mount the claim, whose `FailedAttachVolume` events carry the attach-detach
controller's "Multi-Attach error for volume "pvc-…" Volume is already used by pod(s) loki-0"
(naming the pod that holds the volume) and whose `FailedMount` events carry the kubelet's mount errors.

PVC ladder: terminating → Lost (stalled) → Pending: the latest ProvisioningFailed/FailedBinding
while there is one (failed: the provisioner's next attempt, `Provisioning`, and the PV controller's
recurring `ExternalProvisioning` do not hide it; only Bound does), else the latest of
ExternalProvisioning/Provisioning (progressing), WaitForFirstConsumer (waiting while no consumer is
scheduled, which is normal; progressing once one is) → Bound: Multi-Attach, attach or
detach errors, stuck detaching (failed), attaching/detaching (progressing), attached or nothing to
attach (ready).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sovwatch.model.conditions import one_line
from sovwatch.model.events import EventRecord
from sovwatch.model.states import State, Verdict, severity
from sovwatch.model.times import format_time, parse_time

ObjectKey = tuple[str, str, str]
SELECTED_NODE = "volume.kubernetes.io/selected-node"
PENDING_REASONS = {
    "ProvisioningFailed": State.FAILED,
    "FailedBinding": State.FAILED,
    "ExternalProvisioning": State.PROGRESSING,
    "Provisioning": State.PROGRESSING,
    "WaitForFirstConsumer": State.WAITING,
    "WaitForPodScheduled": State.WAITING,
}
_FAILURE_REASONS = tuple(r for r, s in PENDING_REASONS.items() if s is State.FAILED)
_HOLDERS = re.compile(r"used by pod\(s\) (.+?)\s*$")


@dataclass(frozen=True, slots=True)
class VolumeHealth:
    key: ObjectKey
    phase: str
    pv: str
    attach: str
    """"attached", "attaching", "detaching", "attach-error", "detach-error", "multi-attach" or ""."""
    verdict: Verdict
    consumers: tuple[str, ...]
    """Names of the pods (same namespace) that mount the claim."""


def multi_attach_holders(message: str) -> list[str]:
    """Pods named by a Multi-Attach error as holding the volume ([] when it only names a node)."""
    m = _HOLDERS.search(message)
    return [p.strip() for p in m.group(1).split(",")] if m else []


def classify_volume_attachment(va: dict, *, now: float, stuck_after: float) -> Verdict:
    """One VolumeAttachment: attached, attaching, errors, detaching (stuck after `stuck_after`)."""
    meta = va.get("metadata") or {}
    st = va.get("status") or {}
    node = (va.get("spec") or {}).get("nodeName", "")
    pv = ((va.get("spec") or {}).get("source") or {}).get("persistentVolumeName", "")
    if st.get("detachError"):
        return Verdict(
            State.FAILED, "DetachError", one_line(str(st["detachError"].get("message", "")))
        )
    deleted = parse_time(meta.get("deletionTimestamp"))
    if deleted is not None and st.get("attached"):
        if now - deleted >= stuck_after:
            return Verdict(
                State.FAILED,
                "StuckDetaching",
                f"volume {pv} still attached to node {node}; detaching since {format_time(deleted)}",
            )
        return Verdict(State.PROGRESSING, "Detaching", f"detaching volume {pv} from node {node}")
    if st.get("attachError"):
        return Verdict(
            State.FAILED, "AttachError", one_line(str(st["attachError"].get("message", "")))
        )
    if st.get("attached"):
        return Verdict(State.READY, "Attached", f"volume {pv} attached to node {node}")
    return Verdict(State.PROGRESSING, "Attaching", f"attaching volume {pv} to node {node}")


_ATTACH_WORD = {
    "DetachError": "detach-error",
    "StuckDetaching": "detaching",
    "Detaching": "detaching",
    "AttachError": "attach-error",
    "Attached": "attached",
    "Attaching": "attaching",
}


def assess_volume(
    pvc: dict,
    events: Iterable[EventRecord],
    *,
    attachments: Iterable[Verdict],
    consumers: Iterable[dict],
    consumer_events: Iterable[EventRecord],
) -> VolumeHealth:
    """Health of one PVC.

    Args:
        pvc: the claim.
        events: normalised events about the claim (provisioning, binding).
        attachments: verdicts of the VolumeAttachments of its PV (`classify_volume_attachment`).
        consumers: pods that mount the claim.
        consumer_events: the volume warnings of consumer pods still waiting for their volumes
            (`PodHealth.volume_event`), so a resolved Multi-Attach no longer counts.
    """
    meta = pvc.get("metadata") or {}
    key = ("PersistentVolumeClaim", meta.get("namespace", ""), meta.get("name", ""))
    phase = str((pvc.get("status") or {}).get("phase") or "Pending")
    pv = str((pvc.get("spec") or {}).get("volumeName") or "")
    consumers = list(consumers)
    names = tuple(sorted((p.get("metadata") or {}).get("name", "") for p in consumers))
    attachments = list(attachments)
    attach = ""
    if attachments:
        top = max(attachments, key=lambda v: severity(v.state))
        attach = _ATTACH_WORD.get(top.reason, "")
    verdict = _ladder(pvc, phase, pv, list(events), attachments, consumers, list(consumer_events))
    if verdict.reason == "Multi-Attach":
        attach = "multi-attach"
    return VolumeHealth(key, phase, pv, attach, verdict, names)


def _ladder(pvc, phase, pv, events, attachments, consumers, consumer_events) -> Verdict:
    meta = pvc.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        return Verdict(State.PROGRESSING, "Terminating", "claim is being deleted")
    if phase == "Lost":
        lost = _latest(events, ("ClaimLost",))
        msg = (
            lost.message
            if lost
            else f"the bound PersistentVolume {pv} no longer exists; data on it is lost"
        )
        return Verdict(State.STALLED, "ClaimLost", msg)
    if phase == "Pending":
        return _pending(pvc, events, consumers)
    multi = [
        e
        for e in consumer_events
        if e.reason == "FailedAttachVolume"
        and "Multi-Attach" in e.message
        and (not pv or pv in e.message)
    ]
    if multi:
        latest = max(multi, key=lambda e: e.last or 0.0)
        return Verdict(State.FAILED, "Multi-Attach", latest.message)
    if attachments:
        top = max(attachments, key=lambda v: severity(v.state))
        if top.state is not State.READY:
            return top
    failed_attach = [
        e
        for e in consumer_events
        if e.reason == "FailedAttachVolume" and (not pv or pv in e.message)
    ]
    if failed_attach and not any(v.state is State.READY for v in attachments):
        latest = max(failed_attach, key=lambda e: e.last or 0.0)
        return Verdict(State.FAILED, "FailedAttachVolume", latest.message)
    if attachments:
        return attachments[0]
    return Verdict(State.READY, "Bound", f"bound to {pv}" if pv else "bound")


def _pending(pvc: dict, events: list[EventRecord], consumers: list[dict]) -> Verdict:
    latest = _latest(events, _FAILURE_REASONS) or _latest(events, tuple(PENDING_REASONS))
    node = ((pvc.get("metadata") or {}).get("annotations") or {}).get(SELECTED_NODE) or next(
        (
            (p.get("spec") or {}).get("nodeName")
            for p in consumers
            if (p.get("spec") or {}).get("nodeName")
        ),
        None,
    )
    if latest is None:
        if node:
            return Verdict(
                State.PROGRESSING,
                "Provisioning",
                f"consumer scheduled on {node}, waiting for the volume",
            )
        return Verdict(State.PROGRESSING, "Pending", "waiting for a volume")
    state = PENDING_REASONS[latest.reason]
    if state is State.WAITING and node:
        return Verdict(
            State.PROGRESSING,
            "Provisioning",
            f"consumer scheduled on {node}, waiting for the volume",
        )
    return Verdict(state, latest.reason, latest.message)


def _latest(events: list[EventRecord], reasons: tuple[str, ...]) -> EventRecord | None:
    matching = [e for e in events if e.reason in reasons]
    return max(matching, key=lambda e: (e.last or 0.0, e.is_warning)) if matching else None
