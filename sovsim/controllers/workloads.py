"""What `helm install` creates and what the apps/v1 controllers do with it.

A release's workloads are rendered as a Helm chart would render them (Helm's standard labels and
release annotations, Flux's helm.toolkit.fluxcd.io labels), then the deployment, replicaset,
statefulset and daemonset controllers create pods with controller owner references and keep the
workload status (ready/available replicas, conditions) in step with the kubelet's view of the pods.
StatefulSets are OrderedReady: pod N+1 is created once pod N is Ready.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sovsim.controllers.common import short_hash
from sovsim.controllers.workload_shapes import (
    deployment_conditions,
    flux_labels,
    helm_labels,
    selector_labels,
)
from sovsim.scenario_schema import Release, Workload

if TYPE_CHECKING:
    from sovsim.controllers.events import EventRecorder
    from sovsim.controllers.kubelet import Kubelet
    from sovsim.controllers.sim import Sim
    from sovsim.controllers.storage import Storage

RESOURCE = {
    "Deployment": "deployments.apps",
    "StatefulSet": "statefulsets.apps",
    "DaemonSet": "daemonsets.apps",
    "ReplicaSet": "replicasets.apps",
}
CONTROLLER = {
    "ReplicaSet": "replicaset-controller",
    "StatefulSet": "statefulset-controller",
    "DaemonSet": "daemonset-controller",
}


@dataclass
class Running:
    """One rendered workload of an installed release and the pods it currently owns."""

    release: Release
    workload: Workload
    owner_kind: str
    """The pods' controller: ReplicaSet for a Deployment, else the workload kind."""
    owner_name: str
    owner_uid: str = ""
    revision: str = ""
    pods: list[str] = field(default_factory=list)


class Workloads:
    def __init__(self, sim: Sim, events: EventRecorder, kubelet: Kubelet, storage: Storage) -> None:
        self.sim = sim
        self.events = events
        self.kubelet = kubelet
        self.storage = storage
        self._running: dict[tuple[str, str], list[Running]] = {}

    def _meta(self, release: Release, name: str, labels: dict[str, str]) -> dict:
        if release.flux_component:
            return {"name": name, "namespace": release.target_namespace, "labels": labels}
        return {
            "name": name,
            "namespace": release.target_namespace,
            "labels": {
                **labels,
                "helm.toolkit.fluxcd.io/name": release.name,
                "helm.toolkit.fluxcd.io/namespace": release.namespace,
            },
            "annotations": {
                "meta.helm.sh/release-name": release.release_name,
                "meta.helm.sh/release-namespace": release.target_namespace,
            },
        }

    # -- helm install / uninstall --------------------------------------------------------------------

    def install(self, release: Release) -> None:
        """Helm applied the release's manifests: create every workload and start its controller."""
        running = []
        for workload in release.workloads:
            labels = helm_labels(release, workload)
            spec = {
                "selector": {"matchLabels": selector_labels(release, workload)},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": self.kubelet.pod_spec(release, workload),
                },
            }
            if workload.kind != "DaemonSet":
                spec["replicas"] = workload.replicas
            if workload.kind == "StatefulSet":
                spec.update(
                    serviceName=f"{workload.name}-headless", podManagementPolicy="OrderedReady"
                )
                spec["volumeClaimTemplates"] = [
                    {
                        "metadata": {"name": c.name},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "storageClassName": c.storage_class,
                            "resources": {"requests": {"storage": c.size}},
                        },
                    }
                    for c in workload.volume_claims
                ]
            obj = self.sim.apply(
                {
                    "apiVersion": "apps/v1",
                    "kind": workload.kind,
                    "metadata": self._meta(
                        release,
                        workload.name,
                        flux_labels(release, workload) if release.flux_component else labels,
                    ),
                    "spec": spec,
                    "status": {"observedGeneration": 1},
                }
            )
            revision = short_hash(release.name, workload.name, release.version, length=10)
            run = Running(
                release, workload, workload.kind, workload.name, obj["metadata"]["uid"], revision
            )
            if workload.kind == "Deployment":
                run = self._replicaset(release, workload, obj, revision)
            running.append(run)
            self._scale(run)
        self._running[release.key] = running

    def _replicaset(
        self, release: Release, workload: Workload, deploy: dict, revision: str
    ) -> Running:
        name = f"{workload.name}-{revision}"
        labels = {**helm_labels(release, workload), "pod-template-hash": revision}
        meta = self._meta(release, name, labels)
        meta.setdefault("annotations", {}).update(
            {
                "deployment.kubernetes.io/revision": "1",
                "deployment.kubernetes.io/desired-replicas": str(workload.replicas),
            }
        )
        meta["ownerReferences"] = [self._owner_ref("Deployment", deploy)]
        rs = self.sim.apply(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": meta,
                "spec": {
                    "replicas": workload.replicas,
                    "selector": {
                        "matchLabels": {
                            **selector_labels(release, workload),
                            "pod-template-hash": revision,
                        }
                    },
                    "template": deploy["spec"]["template"],
                },
                "status": {"replicas": 0, "observedGeneration": 1},
            }
        )
        self.events.record(
            deploy,
            "Normal",
            "ScalingReplicaSet",
            f"Scaled up replica set {name} to {workload.replicas}",
            component="deployment-controller",
        )
        return Running(release, workload, "ReplicaSet", name, rs["metadata"]["uid"], revision)

    @staticmethod
    def _owner_ref(kind: str, obj: dict) -> dict:
        return {
            "apiVersion": "apps/v1",
            "kind": kind,
            "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def uninstall(self, release: Release) -> None:
        """Helm uninstall: workloads go, their pods terminate; StatefulSet PVCs stay, as in Kubernetes."""
        for run in self._running.pop(release.key, []):
            for pod in run.pods:
                self.kubelet.terminate(release.target_namespace, pod)
            if run.owner_kind == "ReplicaSet":
                self.sim.delete(RESOURCE["ReplicaSet"], release.target_namespace, run.owner_name)
            self.sim.delete(
                RESOURCE[run.workload.kind], release.target_namespace, run.workload.name
            )

    # -- controllers ---------------------------------------------------------------------------------

    def _scale(self, run: Running) -> None:
        """Create the pods the controller wants now (all at once, or the next ordinal for a StatefulSet)."""
        workload, release = run.workload, run.release
        if workload.kind == "DaemonSet":
            wanted = [
                (f"{workload.name}-{short_hash(run.revision, node)}", node, i)
                for i, node in enumerate(self.sim.scenario.cluster.nodes)
            ]
        elif workload.kind == "StatefulSet":
            ordinal = len(run.pods)
            ready = all(self.kubelet.is_ready(release.target_namespace, p) for p in run.pods)
            wanted = (
                [(f"{workload.name}-{ordinal}", "", ordinal)]
                if ordinal < workload.replicas and ready
                else []
            )
        else:
            wanted = [
                (f"{run.owner_name}-{short_hash(run.owner_name, i, self.sim.now)}", "", i)
                for i in range(workload.replicas)
            ]
        owner = self.sim.get(RESOURCE[run.owner_kind], release.target_namespace, run.owner_name)
        if owner is None:
            return
        for name, node, ordinal in wanted:
            labels = {**helm_labels(release, workload)}
            if run.owner_kind == "ReplicaSet":
                labels["pod-template-hash"] = run.revision
            elif workload.kind == "StatefulSet":
                labels.update(
                    {
                        "controller-revision-hash": f"{workload.name}-{run.revision}",
                        "statefulset.kubernetes.io/pod-name": name,
                        "apps.kubernetes.io/pod-index": str(ordinal),
                    }
                )
            else:
                labels.update(
                    {"controller-revision-hash": run.revision, "pod-template-generation": "1"}
                )
            run.pods.append(name)
            claims = []
            if workload.kind == "StatefulSet":
                for claim in workload.volume_claims:
                    pvc = f"{claim.name}-{name}"
                    claims.append((claim, pvc))
                    if self.storage.ensure_claim(release, workload, claim, pvc, labels):
                        self.events.record(
                            owner,
                            "Normal",
                            "SuccessfulCreate",
                            f"create Claim {pvc} Pod {name} in StatefulSet {workload.name} success",
                            component=CONTROLLER["StatefulSet"],
                        )
            self.kubelet.create_pod(
                release,
                workload,
                name,
                labels,
                self._owner_ref(run.owner_kind, owner),
                node,
                claims,
                self._pod_changed_callback(run),
            )
            message = (
                f"create Pod {name} in StatefulSet {workload.name} successful"
                if workload.kind == "StatefulSet"
                else f"Created pod: {name}"
            )
            self.events.record(
                owner, "Normal", "SuccessfulCreate", message, component=CONTROLLER[run.owner_kind]
            )
        self._update_status(run)

    def _pod_changed_callback(self, run: Running):
        def changed() -> None:
            if run.workload.kind == "StatefulSet" and len(run.pods) < run.workload.replicas:
                self._scale(run)
            else:
                self._update_status(run)

        return changed

    def _counts(self, run: Running) -> tuple[int, int]:
        ns = run.release.target_namespace
        ready = sum(self.kubelet.is_ready(ns, p) for p in run.pods)
        return len(run.pods), ready

    def _update_status(self, run: Running) -> None:
        """The controller's status: replica counts from the kubelet's view of the pods."""
        ns, workload = run.release.target_namespace, run.workload
        created, ready = self._counts(run)
        if workload.kind == "DaemonSet":
            nodes = len(self.sim.scenario.cluster.nodes)
            counts = {
                "currentNumberScheduled": created,
                "desiredNumberScheduled": nodes,
                "numberMisscheduled": 0,
                "numberReady": ready,
                "numberAvailable": ready,
                "numberUnavailable": nodes - ready,
                "updatedNumberScheduled": created,
            }
            self._write_status("DaemonSet", ns, workload.name, counts)
            return
        if workload.kind == "StatefulSet":
            rev = f"{workload.name}-{run.revision}"
            counts = {
                "replicas": created,
                "readyReplicas": ready,
                "currentReplicas": created,
                "updatedReplicas": created,
                "availableReplicas": ready,
                "currentRevision": rev,
                "updateRevision": rev,
                "collisionCount": 0,
            }
            self._write_status("StatefulSet", ns, workload.name, counts)
            return
        counts = {
            "replicas": created,
            "fullyLabeledReplicas": created,
            "readyReplicas": ready,
            "availableReplicas": ready,
        }
        self._write_status("ReplicaSet", ns, run.owner_name, counts)
        counts = {
            "replicas": created,
            "updatedReplicas": created,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": workload.replicas - ready,
        }
        available = ready >= workload.replicas
        self._write_status(
            "Deployment",
            ns,
            workload.name,
            counts,
            lambda old: deployment_conditions(old, available, run.owner_name, self.sim.timestamp()),
        )

    def _write_status(
        self,
        kind: str,
        namespace: str,
        name: str,
        counts: dict,
        conditions: Callable[[list[dict]], list[dict]] | None = None,
    ) -> None:
        """Write a workload status; zero counts are omitted, as the apps/v1 types' omitempty does."""
        obj = self.sim.get(RESOURCE[kind], namespace, name)
        if obj is None:
            return
        st = {"observedGeneration": obj["metadata"]["generation"], **counts}
        status = {k: v for k, v in st.items() if v != 0 or k == "replicas"}
        if conditions is not None:
            status["conditions"] = conditions(obj.get("status", {}).get("conditions", []))
        self.sim.patch(RESOURCE[kind], namespace, name, {"status": status})

    # -- queries -------------------------------------------------------------------------------------

    def release_ready(self, release: Release) -> bool:
        """Helm --wait's test: every workload has all of its pods Ready."""
        runs = self._running.get(release.key, [])
        for run in runs:
            created, ready = self._counts(run)
            want = (
                len(self.sim.scenario.cluster.nodes)
                if run.workload.kind == "DaemonSet"
                else run.workload.replicas
            )
            if ready < want:
                return False
        return bool(runs)
