"""What `helm install` creates and what the apps/v1 controllers do with it.

A release's workloads are rendered as a Helm chart would render them (Helm's standard labels and
release annotations, Flux's helm.toolkit.fluxcd.io labels), then the deployment, replicaset,
statefulset and daemonset controllers create pods with controller owner references and keep the
workload status (ready/available replicas, conditions) in step with the kubelet's view of the pods.
StatefulSets are OrderedReady: pod N+1 is created once pod N is Ready.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sovwatch.emulator.controllers.common import short_hash
from sovwatch.emulator.scenario_schema import Release, Workload

if TYPE_CHECKING:
    from sovwatch.emulator.controllers.sim import Sim

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


def selector_labels(release: Release, workload: Workload) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/name": workload.name,
        "app.kubernetes.io/instance": release.release_name,
    }
    if workload.component:
        labels["app.kubernetes.io/component"] = workload.component
    return labels


def helm_labels(release: Release, workload: Workload) -> dict[str, str]:
    return {
        **selector_labels(release, workload),
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/version": release.version,
        "helm.sh/chart": f"{release.chart}-{release.version}",
    }


class Workloads:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self._running: dict[tuple[str, str], list[Running]] = {}

    def _meta(self, release: Release, name: str, labels: dict[str, str]) -> dict:
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
                    "spec": self.sim.kubelet.pod_spec(release, workload),
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
                    "metadata": self._meta(release, workload.name, labels),
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
        meta["annotations"].update(
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
        self.sim.events.record(
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
                self.sim.kubelet.terminate(release.target_namespace, pod)
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
            ready = all(self.sim.kubelet.is_ready(release.target_namespace, p) for p in run.pods)
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
                    if self.sim.storage.ensure_claim(release, workload, claim, pvc, labels):
                        self.sim.events.record(
                            owner,
                            "Normal",
                            "SuccessfulCreate",
                            f"create Claim {pvc} Pod {name} in StatefulSet {workload.name} success",
                            component=CONTROLLER["StatefulSet"],
                        )
            self.sim.kubelet.create_pod(
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
            self.sim.events.record(
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
        ready = sum(self.sim.kubelet.is_ready(ns, p) for p in run.pods)
        return len(run.pods), ready

    def _update_status(self, run: Running) -> None:
        ns, workload = run.release.target_namespace, run.workload
        created, ready = self._counts(run)
        now = self.sim.timestamp()

        def counts(obj: dict, extra: dict) -> None:
            st = {"observedGeneration": obj["metadata"]["generation"], **extra}
            obj["status"] = {k: v for k, v in st.items() if v != 0 or k in ("replicas",)}

        if workload.kind == "DaemonSet":
            nodes = len(self.sim.scenario.cluster.nodes)
            self.sim.update(
                RESOURCE["DaemonSet"],
                ns,
                workload.name,
                lambda o: counts(
                    o,
                    {
                        "currentNumberScheduled": created,
                        "desiredNumberScheduled": nodes,
                        "numberMisscheduled": 0,
                        "numberReady": ready,
                        "numberAvailable": ready,
                        "numberUnavailable": nodes - ready,
                        "updatedNumberScheduled": created,
                    },
                ),
            )
            return
        if workload.kind == "StatefulSet":
            rev = f"{workload.name}-{run.revision}"
            self.sim.update(
                RESOURCE["StatefulSet"],
                ns,
                workload.name,
                lambda o: counts(
                    o,
                    {
                        "replicas": created,
                        "readyReplicas": ready,
                        "currentReplicas": created,
                        "updatedReplicas": created,
                        "availableReplicas": ready,
                        "currentRevision": rev,
                        "updateRevision": rev,
                        "collisionCount": 0,
                    },
                ),
            )
            return
        self.sim.update(
            RESOURCE["ReplicaSet"],
            ns,
            run.owner_name,
            lambda o: counts(
                o,
                {
                    "replicas": created,
                    "fullyLabeledReplicas": created,
                    "readyReplicas": ready,
                    "availableReplicas": ready,
                },
            ),
        )

        def deployment(obj: dict) -> None:
            counts(
                obj,
                {
                    "replicas": created,
                    "updatedReplicas": created,
                    "readyReplicas": ready,
                    "availableReplicas": ready,
                    "unavailableReplicas": workload.replicas - ready,
                },
            )
            available = ready >= workload.replicas
            obj["status"]["conditions"] = [
                {
                    "type": "Available",
                    "status": "True" if available else "False",
                    "reason": "MinimumReplicasAvailable"
                    if available
                    else "MinimumReplicasUnavailable",
                    "message": "Deployment has minimum availability."
                    if available
                    else "Deployment does not have minimum availability.",
                    "lastUpdateTime": now,
                    "lastTransitionTime": now,
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable" if available else "ReplicaSetUpdated",
                    "message": f'ReplicaSet "{run.owner_name}" has successfully progressed.'
                    if available
                    else f'ReplicaSet "{run.owner_name}" is progressing.',
                    "lastUpdateTime": now,
                    "lastTransitionTime": now,
                },
            ]
            old = self.sim.get(RESOURCE["Deployment"], ns, workload.name) or {}
            for cond, previous in zip(
                obj["status"]["conditions"],
                old.get("status", {}).get("conditions", []),
                strict=False,
            ):
                if previous["status"] == cond["status"]:
                    cond["lastTransitionTime"] = previous["lastTransitionTime"]
                    if previous["reason"] == cond["reason"]:
                        cond["lastUpdateTime"] = previous["lastUpdateTime"]

        self.sim.update(RESOURCE["Deployment"], ns, workload.name, deployment)

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
