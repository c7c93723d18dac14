"""The scheduler and the kubelet: pods from Pending to a started sandbox, or stuck on the way.

Scheduling waits for PVCs (unbound Immediate claims give `FailedScheduling`; WaitForFirstConsumer
claims are provisioned for the chosen node first). On the node the kubelet waits for attached
volumes (`FailedMount` every 2 minutes while it cannot), mounts them, starts the pod sandbox and
hands the containers to the container runtime (`containers.py`). The kubelet owns each pod's
status: every change in its runtime state is written back through `sync`. Messages are the
kubelet's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sovsim.controllers.common import digest, short_hash
from sovsim.controllers.containers import ContainerRuntime
from sovsim.controllers.pods import ContainerRun, PodRun, pod_spec, pod_status
from sovsim.scenario_schema import Release, VolumeClaim, Workload

if TYPE_CHECKING:
    from sovsim.controllers.events import EventRecorder
    from sovsim.controllers.sim import Sim
    from sovsim.controllers.storage import Storage

PODS = "pods"
KUBELET = "kubelet"
SCHEDULER = "default-scheduler"
MOUNT_TIMEOUT = 123.0
"""The kubelet gives up waiting for volumes after 2m3s and reports FailedMount."""


class Kubelet:
    def __init__(self, sim: Sim, events: EventRecorder, storage: Storage) -> None:
        self.sim = sim
        self.events = events
        self.storage = storage
        self._pods: dict[tuple[str, str], PodRun] = {}
        self._waiting: dict[tuple[str, str], list[PodRun]] = {}
        """Pods waiting for a PVC to be bound, by (namespace, claim)."""
        self.containers = ContainerRuntime(sim, self)

    pod_spec = staticmethod(pod_spec)

    def running_container(
        self, namespace: str, workload: str, container: str
    ) -> tuple[PodRun, ContainerRun] | None:
        """A running `container` of a pod of `workload` in `namespace` (a controller's own pod)."""
        for (ns, _), run in self._pods.items():
            if ns != namespace or run.workload.name != workload or run.terminating:
                continue
            for c in run.containers:
                if c.spec.name == container and c.running:
                    return run, c
        return None

    def is_ready(self, namespace: str, name: str) -> bool:
        run = self._pods.get((namespace, name))
        return run is not None and run.ready

    # -- lifecycle ---------------------------------------------------------------------------------

    def create_pod(
        self,
        release: Release,
        workload: Workload,
        name: str,
        labels: dict[str, str],
        owner: dict,
        node: str,
        claims: list[tuple[VolumeClaim, str]],
        on_change: Callable[[], None],
    ) -> None:
        ns = release.target_namespace
        spec = pod_spec(release, workload)
        token_volume = f"kube-api-access-{short_hash(name, ns)}"
        spec["volumes"] = [
            {"name": c.name, "persistentVolumeClaim": {"claimName": pvc}} for c, pvc in claims
        ]
        spec["volumes"].append(
            {
                "name": token_volume,
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
                    ],
                },
            }
        )
        if workload.kind == "StatefulSet":
            spec.update(hostname=name, subdomain=f"{workload.name}-headless")
        if node:
            spec["affinity"] = {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchFields": [
                                    {"key": "metadata.name", "operator": "In", "values": [node]}
                                ]
                            }
                        ]
                    }
                }
            }
        generate_name = (
            {} if workload.kind == "StatefulSet" else {"generateName": name[: name.rfind("-") + 1]}
        )
        pod = self.sim.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": name,
                    "namespace": ns,
                    **generate_name,
                    "labels": labels,
                    "ownerReferences": [owner],
                },
                "spec": spec,
                "status": {"phase": "Pending", "qosClass": "Burstable"},
            }
        )
        run = PodRun(
            release=release,
            workload=workload,
            name=name,
            uid=pod["metadata"]["uid"],
            node=node,
            claims=claims,
            token_volume=token_volume,
            on_change=on_change,
            containers=[ContainerRun(c) for c in workload.containers],
        )
        self._pods[(ns, name)] = run
        self.sim.after(self.sim.jitter(1.0), self._schedule, run)

    def terminate(self, namespace: str, name: str) -> None:
        run = self._pods.pop((namespace, name), None)
        if run is None:
            return
        run.epoch += 1
        run.terminating = True
        pod = self.sim.update(
            PODS,
            namespace,
            name,
            lambda o: o["metadata"].update(
                deletionTimestamp=self.sim.timestamp(30), deletionGracePeriodSeconds=30
            ),
        )
        for c in run.containers:
            if c.running and pod is not None:
                self.event(run, pod, "Normal", "Killing", f"Stopping container {c.spec.name}", c)
        self.sim.after(self.sim.jitter(3.0), self._delete, run)
        for _, pvc in run.claims:
            self.storage.detach(pvc, run)

    def _delete(self, run: PodRun) -> None:
        self.sim.delete(PODS, run.release.target_namespace, run.name)
        for c in run.containers:
            self.containers.forget_logs(run, c)

    # -- helpers -------------------------------------------------------------------------------------

    def pod(self, run: PodRun) -> dict | None:
        return self.sim.get(PODS, run.release.target_namespace, run.name)

    def event(
        self,
        run: PodRun,
        pod: dict,
        type_: str,
        reason: str,
        message: str,
        c: ContainerRun | None = None,
    ) -> None:
        field_path = ""
        if c is not None:
            kind = "initContainers" if c.spec.init else "containers"
            field_path = f"spec.{kind}{{{c.spec.name}}}"
        self.events.record(
            pod, type_, reason, message, component=KUBELET, host=run.node, field_path=field_path
        )

    def sync(self, run: PodRun) -> dict | None:
        """Write the pod's status from the runtime state; tell the workload when readiness changed."""
        was_ready = run.ready
        run.ready = run.sandbox and all(c.ready for c in run.containers if not c.spec.init)

        status = pod_status(run, self.sim.timestamp())
        spec = {"nodeName": run.node} if run.scheduled else None
        pod = self.sim.patch(
            PODS, run.release.target_namespace, run.name, {"status": status}, spec=spec
        )
        if run.ready != was_ready:
            run.on_change()
        return pod

    def later(self, run: PodRun, delay: float, fn: Callable[..., None], *args) -> None:
        epoch = run.epoch

        def guarded() -> None:
            if run.epoch == epoch and not run.terminating:
                fn(*args)

        self.sim.after(delay, guarded)

    # -- scheduling ----------------------------------------------------------------------------------

    def _schedule(self, run: PodRun) -> None:
        storage = self.storage
        unbound_immediate = [
            pvc
            for claim, pvc in run.claims
            if storage.immediate(claim) and not storage.is_bound(run.release.target_namespace, pvc)
        ]
        pod = self.pod(run)
        if pod is None:
            return
        if unbound_immediate:
            nodes = len(self.sim.scenario.cluster.nodes)
            msg = (
                f"0/{nodes} nodes are available: pod has unbound immediate PersistentVolumeClaims. "
                f"preemption: 0/{nodes} nodes are available: {nodes} Preemption is not helpful for scheduling."
            )
            run.unschedulable = msg
            self.sync(run)
            self.events.record(pod, "Warning", "FailedScheduling", msg, component=SCHEDULER)
            self._wait_for(run, unbound_immediate)
            self.later(run, 60.0, self._schedule, run)
            return
        if not run.node:
            pinned = [
                storage.pinned_node(run.release.target_namespace, pvc) for _, pvc in run.claims
            ]
            pinned = [n for n in pinned if n]
            held = set().union(
                *(storage.held_nodes(run.release.target_namespace, pvc) for _, pvc in run.claims)
            )
            nodes = [n for n in self.sim.scenario.cluster.nodes if n not in held]
            run.node = (
                pinned[0]
                if pinned
                else self.sim.rng.choice(nodes or self.sim.scenario.cluster.nodes)
            )
        unbound = [
            pvc for _, pvc in run.claims if not storage.is_bound(run.release.target_namespace, pvc)
        ]
        if unbound:
            self._wait_for(run, unbound)
            for pvc in unbound:
                storage.select_node(run.release.target_namespace, pvc, run.node)
            return
        self._bind(run)

    def _wait_for(self, run: PodRun, claims: list[str]) -> None:
        run.waiting_for = set(claims)
        for pvc in claims:
            waiting = self._waiting.setdefault((run.release.target_namespace, pvc), [])
            if run not in waiting:
                waiting.append(run)

    def claim_bound(self, namespace: str, pvc: str) -> None:
        """The PV controller bound `pvc`: pods waiting on it may schedule now."""
        for run in self._waiting.pop((namespace, pvc), []):
            run.waiting_for.discard(pvc)
            if not run.waiting_for and not run.scheduled and not run.terminating:
                self.later(run, 0.5, self._schedule, run)

    def _bind(self, run: PodRun) -> None:
        run.scheduled = True
        run.unschedulable = ""
        pod = self.sync(run)
        ns = run.release.target_namespace
        self.events.record(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {ns}/{run.name} to {run.node}",
            component=SCHEDULER,
        )
        run.unattached = {pvc for _, pvc in run.claims}
        run.volume_wait_started = self.sim.now
        for _, pvc in run.claims:
            self.storage.attach(pvc, run)
        self.later(run, MOUNT_TIMEOUT, self._mount_timeout, run)
        if not run.claims:
            self.later(run, self.sim.jitter(1.0), self._mount, run)

    def volume_attached(self, run: PodRun, pvc: str) -> None:
        run.unattached.discard(pvc)
        if not run.unattached and not run.terminating:
            self.later(run, self.sim.jitter(1.5), self._mount, run)

    def _mount_timeout(self, run: PodRun) -> None:
        if run.sandbox or run.mounted:
            return
        pod = self.pod(run)
        names = sorted(c.name for c, pvc in run.claims if pvc in run.unattached or not run.mounted)
        unattached = sorted(c.name for c, pvc in run.claims if pvc in run.unattached)
        msg = (
            f"Unable to attach or mount volumes: unmounted volumes=[{' '.join(names)}], "
            f"unattached volumes=[{' '.join(unattached + [run.token_volume])}]: timed out waiting for the condition"
        )
        self.event(run, pod, "Warning", "FailedMount", msg)
        self.later(run, MOUNT_TIMEOUT, self._mount_timeout, run)

    def _mount(self, run: PodRun) -> None:
        for claim, pvc in run.claims:
            if self.sim.now - run.volume_wait_started < claim.failed_mount_for:
                pv = self.storage.volume_name(run.release.target_namespace, pvc)
                msg = f'MountVolume.SetUp failed for volume "{pv}" : mount failed: exit status 32'
                self.event(run, self.pod(run), "Warning", "FailedMount", msg)
                self.later(run, 30.0, self._mount, run)
                return
        run.mounted = True
        run.sandbox = True
        run.ip = f"10.42.{int(digest(run.node)[:2], 16) % 8}.{int(digest(run.name, run.uid)[:2], 16) % 250 + 2}"
        run.started_at = self.sim.timestamp()
        self.sync(run)
        self.containers.start(run)
