"""Volumes: the PV controller, the external provisioners and the attach-detach controller.

A PVC starts Pending. With WaitForFirstConsumer it waits (`WaitForFirstConsumer` event) until the
scheduler picks a node for its first pod; with Immediate it is provisioned at once. The
persistentvolume-controller then reports `ExternalProvisioning`, the provisioner `Provisioning`
and `ProvisioningSucceeded` (or `ProvisioningFailed` while a scenario says so), and the claim becomes
Bound to `pvc-<uid>`. CSI volumes (hcloud-volumes) must also be attached to the pod's node through a
VolumeAttachment; an old attachment still held on another node gives the attach-detach
controller's `Multi-Attach error` until it is released, and a failing CSI attach shows as the
VolumeAttachment's `status.attachError` with `FailedAttachVolume` "AttachVolume.Attach failed for
volume ..." on the pod.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sovsim.controllers.common import digest, short_hash
from sovsim.scenario_schema import Release, StorageClass, VolumeClaim, Workload

if TYPE_CHECKING:
    from sovsim.controllers.events import EventRecorder
    from sovsim.controllers.pods import PodRun
    from sovsim.controllers.sim import Sim

PVC = "persistentvolumeclaims"
VA = "volumeattachments.storage.k8s.io"
PV_CONTROLLER = "persistentvolume-controller"
ATTACH_DETACH = "attachdetach-controller"
MULTI_ATTACH_RETRY = 30.0
ATTACH_BACKOFF = 4.0
ATTACH_BACKOFF_MAX = 122.0
"""The attach-detach controller's exponential back-off tops out at 2m2s."""


@dataclass
class _Claim:
    release: Release
    claim: VolumeClaim
    name: str
    sc: StorageClass
    created: float
    provisioning: bool = False
    bound: bool = False
    volume: str = ""
    node: str = ""
    stale_attachment: str = ""
    attach_failures: int = 0


class VolumeUser(Protocol):
    """Who waits for volumes (the kubelet): told when a claim is bound or a volume attached."""

    def claim_bound(self, namespace: str, pvc: str) -> None: ...

    def volume_attached(self, run: PodRun, pvc: str) -> None: ...


class Storage:
    def __init__(self, sim: Sim, events: EventRecorder) -> None:
        self.sim = sim
        self.events = events
        self.kubelet: VolumeUser
        """Wired by the runner once the kubelet exists (it needs this controller first)."""
        self._claims: dict[tuple[str, str], _Claim] = {}
        self._classes = {sc.name: sc for sc in sim.scenario.cluster.storage_classes}

    def _find(self, namespace: str, pvc: str) -> _Claim | None:
        return self._claims.get((namespace, pvc))

    def _get(self, ns: str, pvc: str) -> _Claim:
        return self._claims[(ns, pvc)]

    # -- queries for the scheduler and kubelet -------------------------------------------------------

    def immediate(self, claim: VolumeClaim) -> bool:
        return self._classes[claim.storage_class].binding_mode == "Immediate"

    def is_bound(self, namespace: str, pvc: str) -> bool:
        c = self._find(namespace, pvc)
        return c is not None and c.bound

    def pinned_node(self, namespace: str, pvc: str) -> str:
        """A bound local-path volume lives on one node; its pods must go there."""
        c = self._find(namespace, pvc)
        return c.node if c is not None and c.bound and not c.sc.attach else ""

    def held_nodes(self, namespace: str, pvc: str) -> set[str]:
        """Nodes where an old attachment still holds the volume (the scheduler does not know
        about attachments, but a pod recreated after a node problem lands elsewhere)."""
        c = self._find(namespace, pvc)
        if c is None or not c.stale_attachment or c.claim.multi_attach is None:
            return set()
        return {c.claim.multi_attach.node}

    def volume_name(self, namespace: str, pvc: str) -> str:
        c = self._find(namespace, pvc)
        return c.volume if c is not None else ""

    # -- PVCs ----------------------------------------------------------------------------------------

    def ensure_claim(
        self, release: Release, workload: Workload, claim: VolumeClaim, name: str, labels: dict
    ) -> bool:
        """The statefulset controller's claim for one pod; False if it already exists."""
        ns = release.target_namespace
        if (ns, name) in self._claims:
            return False
        sc = self._classes[claim.storage_class]
        obj = self.sim.apply(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {
                    "name": name,
                    "namespace": ns,
                    "labels": {
                        k: v for k, v in labels.items() if k.startswith("app.kubernetes.io/")
                    },
                    "finalizers": ["kubernetes.io/pvc-protection"],
                },
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": claim.size}},
                    "storageClassName": sc.name,
                    "volumeMode": "Filesystem",
                },
                "status": {"phase": "Pending"},
            }
        )
        state = _Claim(
            release, claim, name, sc, self.sim.now, volume=f"pvc-{obj['metadata']['uid']}"
        )
        self._claims[(ns, name)] = state
        if claim.multi_attach is not None:
            self._stale_attachment(state)
        if sc.binding_mode == "Immediate":
            self.sim.after(0.5, self._provision, state)
        else:
            self.events.record(
                obj,
                "Normal",
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
                component=PV_CONTROLLER,
            )
        return True

    def select_node(self, namespace: str, pvc: str, node: str) -> None:
        """The scheduler chose `node` for the claim's first consumer."""
        state = self._find(namespace, pvc)
        if state is None or state.provisioning or state.bound:
            return
        state.node = node
        self.sim.update(
            PVC,
            state.release.target_namespace,
            pvc,
            lambda o: (
                o["metadata"]
                .setdefault("annotations", {})
                .update({"volume.kubernetes.io/selected-node": node})
            ),
        )
        self._provision(state)

    def _provision(self, state: _Claim) -> None:
        state.provisioning = True
        ns, sc = state.release.target_namespace, state.sc

        def annotate(obj: dict) -> None:
            obj["metadata"].setdefault("annotations", {}).update(
                {
                    "volume.beta.kubernetes.io/storage-provisioner": sc.provisioner,
                    "volume.kubernetes.io/storage-provisioner": sc.provisioner,
                }
            )

        obj = self.sim.update(PVC, ns, state.name, annotate)
        self.events.record(
            obj,
            "Normal",
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner '{sc.provisioner}' or manually by the "
            "system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
            component=PV_CONTROLLER,
        )
        if sc.provision_duration < float("inf"):
            self.sim.after(1.0, self._provisioner_attempt, state)

    def _provisioner_component(self, sc: StorageClass) -> str:
        pod = (
            "local-path-provisioner-6795b5f9d8"
            if sc.provisioner == "rancher.io/local-path"
            else "hcloud-csi-controller-7c9d8b6f4d"
        )
        return f"{sc.provisioner}_{pod}-{short_hash(sc.name)}_{digest(sc.name)[:8]}-{digest(sc.name)[8:12]}"

    def _provisioner_attempt(self, state: _Claim) -> None:
        ns, sc = state.release.target_namespace, state.sc
        obj = self.sim.get(PVC, ns, state.name)
        if obj is None:
            return
        component = self._provisioner_component(sc)
        self.events.record(
            obj,
            "Normal",
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{ns}/{state.name}"',
            component=component,
        )
        if self.sim.now - state.created < state.claim.provisioning_fails_for:
            error = (
                "rpc error: code = ResourceExhausted desc = volume limit exceeded"
                if sc.attach
                else 'failed to provision volume: pods "helper-pod-create-pvc" is forbidden: exceeded quota'
            )
            self.events.record(
                obj,
                "Warning",
                "ProvisioningFailed",
                f'failed to provision volume with StorageClass "{sc.name}": {error}',
                component=component,
            )
            self.sim.after(30.0, self._provisioner_attempt, state)
            return
        self.sim.after(self.sim.jitter(sc.provision_duration), self._bound, state, component)

    def _bound(self, state: _Claim, component: str) -> None:
        ns = state.release.target_namespace
        if not state.node:
            state.node = self.sim.rng.choice(self.sim.scenario.cluster.nodes)

        def bind(obj: dict) -> None:
            obj["metadata"].setdefault("annotations", {}).update(
                {
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                }
            )
            obj["spec"]["volumeName"] = state.volume
            obj["status"] = {
                "phase": "Bound",
                "accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": state.claim.size},
            }

        obj = self.sim.update(PVC, ns, state.name, bind)
        self.events.record(
            obj,
            "Normal",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {state.volume}",
            component=component,
        )
        state.bound = True
        self.kubelet.claim_bound(ns, state.name)

    # -- attach / detach -----------------------------------------------------------------------------

    def _attachment_name(self, state: _Claim, node: str) -> str:
        return f"csi-{digest(state.sc.provisioner, state.volume, node)}"

    def _attachment(
        self, state: _Claim, node: str, *, attached: bool, detaching: bool = False
    ) -> dict:
        meta: dict = {
            "name": self._attachment_name(state, node),
            "finalizers": ["external-attacher/csi-hetzner-cloud"],
        }
        if detaching:
            meta.update(deletionTimestamp=self.sim.timestamp(), deletionGracePeriodSeconds=0)
        status: dict = {"attached": attached}
        if attached:
            status["attachmentMetadata"] = {
                "devicePath": f"/dev/disk/by-id/scsi-0HC_Volume_{int(digest(state.volume)[:8], 16) % 10**8}"
            }
        return {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "VolumeAttachment",
            "metadata": meta,
            "spec": {
                "attacher": state.sc.provisioner,
                "nodeName": node,
                "source": {"persistentVolumeName": state.volume},
            },
            "status": status,
        }

    def _stale_attachment(self, state: _Claim) -> None:
        """An attachment left behind on another node (a pod that has not let go), detaching."""
        multi = state.claim.multi_attach
        self.sim.apply(self._attachment(state, multi.node, attached=True, detaching=True))
        state.stale_attachment = self._attachment_name(state, multi.node)
        if multi.lasts < float("inf"):
            self.sim.at(state.created + multi.lasts, self._release_stale, state)

    def _release_stale(self, state: _Claim) -> None:
        self.sim.delete(VA, "", state.stale_attachment)
        state.stale_attachment = ""

    def attach(self, pvc: str, run: PodRun) -> None:
        state = self._get(run.release.target_namespace, pvc)
        if not state.sc.attach:
            self.kubelet.volume_attached(run, pvc)
            return
        self._try_attach(state, run)

    def _try_attach(self, state: _Claim, run: PodRun) -> None:
        if run.terminating:
            return
        pod = self.sim.get("pods", run.release.target_namespace, run.name)
        if state.stale_attachment and self.sim.get(VA, "", state.stale_attachment) is not None:
            used_by = state.claim.multi_attach.used_by
            msg = f'Multi-Attach error for volume "{state.volume}" Volume is already used by pod(s) {used_by}'
            self.events.record(pod, "Warning", "FailedAttachVolume", msg, component=ATTACH_DETACH)
            self.sim.after(MULTI_ATTACH_RETRY, self._try_attach, state, run)
            return
        attachment = self._attachment(state, run.node, attached=False)
        current = self.sim.get(VA, "", attachment["metadata"]["name"])
        if current is not None and "attachError" in current["status"]:
            # A retry keeps the last error until the attacher reports something new.
            attachment["status"]["attachError"] = current["status"]["attachError"]
        self.sim.apply(attachment)
        self.sim.after(self.sim.jitter(4.0), self._attached, state, run)

    def _attached(self, state: _Claim, run: PodRun) -> None:
        if run.terminating:
            return
        failure = state.claim.attach_error
        if failure is not None and self.sim.now - state.created < failure.lasts:
            self._attach_failed(state, run, failure.message)
            return
        self.sim.apply(self._attachment(state, run.node, attached=True))
        pod = self.sim.get("pods", run.release.target_namespace, run.name)
        self.events.record(
            pod,
            "Normal",
            "SuccessfulAttachVolume",
            f'AttachVolume.Attach succeeded for volume "{state.volume}"',
            component=ATTACH_DETACH,
        )
        self.kubelet.volume_attached(run, state.name)

    def _attach_failed(self, state: _Claim, run: PodRun, message: str) -> None:
        """The external attacher records the CSI error on the VolumeAttachment; the attach-detach
        controller's attach operation fails with it and retries with exponential back-off."""
        attachment = self._attachment(state, run.node, attached=False)
        attachment["status"]["attachError"] = {"time": self.sim.timestamp(), "message": message}
        self.sim.apply(attachment)
        pod = self.sim.get("pods", run.release.target_namespace, run.name)
        self.events.record(
            pod,
            "Warning",
            "FailedAttachVolume",
            f'AttachVolume.Attach failed for volume "{state.volume}" : {message}',
            component=ATTACH_DETACH,
        )
        state.attach_failures += 1
        delay = min(ATTACH_BACKOFF * 2 ** (state.attach_failures - 1), ATTACH_BACKOFF_MAX)
        self.sim.after(delay, self._try_attach, state, run)

    def detach(self, pvc: str, run: PodRun) -> None:
        state = self._claims.get((run.release.target_namespace, pvc))
        if state is None or not state.sc.attach or not run.node:
            return
        name = self._attachment_name(state, run.node)
        if self.sim.get(VA, "", name) is not None:
            self.sim.after(self.sim.jitter(5.0), self.sim.delete, VA, "", name)
