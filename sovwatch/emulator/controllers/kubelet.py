"""The scheduler and the kubelet: pods from Pending to Running and Ready, or stuck on the way.

Scheduling waits for PVCs (unbound Immediate claims give `FailedScheduling`; WaitForFirstConsumer
claims are provisioned for the chosen node first). On the node the kubelet waits for attached
volumes (`FailedMount` every 2 minutes while it cannot), pulls images (`ErrImagePull` then
`ImagePullBackOff`), resolves env Secrets (`CreateContainerConfigError`), runs init containers in
order, then starts the containers and probes them: readiness failures (`Unhealthy`, container
ready=false), liveness kills (`Killing`, restarts) and crashes (`CrashLoopBackOff` with the
kubelet's 10s..5m back-off). Messages are the kubelet's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sovwatch.emulator.controllers.common import digest, go_duration, short_hash
from sovwatch.emulator.controllers.pods import ContainerRun, PodRun, pod_spec, pod_status
from sovwatch.emulator.scenario_schema import Release, VolumeClaim, Workload

if TYPE_CHECKING:
    from sovwatch.emulator.controllers.sim import Sim

PODS = "pods"
KUBELET = "kubelet"
SCHEDULER = "default-scheduler"
MOUNT_TIMEOUT = 123.0
"""The kubelet gives up waiting for volumes after 2m3s and reports FailedMount."""


def backoff(restarts: int) -> float:
    """The kubelet's crash and image-pull back-off: 10s doubling up to 5m."""
    return min(10.0 * 2 ** max(restarts - 1, 0), 300.0)


class Kubelet:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self._pods: dict[tuple[str, str], PodRun] = {}
        self._waiting: dict[tuple[str, str], list[PodRun]] = {}
        """Pods waiting for a PVC to be bound, by (namespace, claim)."""

    pod_spec = staticmethod(pod_spec)

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
                self._event(run, pod, "Normal", "Killing", f"Stopping container {c.spec.name}", c)
        self.sim.after(self.sim.jitter(3.0), self.sim.delete, PODS, namespace, name)
        for _, pvc in run.claims:
            self.sim.storage.detach(pvc, run)

    # -- helpers -------------------------------------------------------------------------------------

    def _pod(self, run: PodRun) -> dict | None:
        return self.sim.get(PODS, run.release.target_namespace, run.name)

    def _event(
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
        self.sim.events.record(
            pod, type_, reason, message, component=KUBELET, host=run.node, field_path=field_path
        )

    def _sync(self, run: PodRun) -> dict | None:
        """Write the pod's status from the runtime state; tell the workload when readiness changed."""
        was_ready = run.ready
        run.ready = run.sandbox and all(c.ready for c in run.containers if not c.spec.init)

        def write(obj: dict) -> None:
            if run.scheduled:
                obj["spec"]["nodeName"] = run.node
            pod_status(obj, run, self.sim.timestamp())

        pod = self.sim.update(PODS, run.release.target_namespace, run.name, write)
        if run.ready != was_ready:
            run.on_change()
        return pod

    def _later(self, run: PodRun, delay: float, fn: Callable[..., None], *args) -> None:
        epoch = run.epoch

        def guarded() -> None:
            if run.epoch == epoch and not run.terminating:
                fn(*args)

        self.sim.after(delay, guarded)

    # -- scheduling ----------------------------------------------------------------------------------

    def _schedule(self, run: PodRun) -> None:
        storage = self.sim.storage
        unbound_immediate = [
            pvc
            for claim, pvc in run.claims
            if storage.immediate(claim) and not storage.is_bound(run.release.target_namespace, pvc)
        ]
        pod = self._pod(run)
        if pod is None:
            return
        if unbound_immediate:
            nodes = len(self.sim.scenario.cluster.nodes)
            msg = (
                f"0/{nodes} nodes are available: pod has unbound immediate PersistentVolumeClaims. "
                f"preemption: 0/{nodes} nodes are available: {nodes} Preemption is not helpful for scheduling."
            )
            run.unschedulable = msg
            self._sync(run)
            self.sim.events.record(pod, "Warning", "FailedScheduling", msg, component=SCHEDULER)
            self._wait_for(run, unbound_immediate)
            self._later(run, 60.0, self._schedule, run)
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
                self._later(run, 0.5, self._schedule, run)

    def _bind(self, run: PodRun) -> None:
        run.scheduled = True
        run.unschedulable = ""
        pod = self._sync(run)
        ns = run.release.target_namespace
        self.sim.events.record(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {ns}/{run.name} to {run.node}",
            component=SCHEDULER,
        )
        run.unattached = {pvc for _, pvc in run.claims}
        run.volume_wait_started = self.sim.now
        for _, pvc in run.claims:
            self.sim.storage.attach(pvc, run)
        self._later(run, MOUNT_TIMEOUT, self._mount_timeout, run)
        if not run.claims:
            self._later(run, self.sim.jitter(1.0), self._mount, run)

    def volume_attached(self, run: PodRun, pvc: str) -> None:
        run.unattached.discard(pvc)
        if not run.unattached and not run.terminating:
            self._later(run, self.sim.jitter(1.5), self._mount, run)

    def _mount_timeout(self, run: PodRun) -> None:
        if run.sandbox or run.mounted:
            return
        pod = self._pod(run)
        names = sorted(c.name for c, pvc in run.claims if pvc in run.unattached or not run.mounted)
        unattached = sorted(c.name for c, pvc in run.claims if pvc in run.unattached)
        msg = (
            f"Unable to attach or mount volumes: unmounted volumes=[{' '.join(names)}], "
            f"unattached volumes=[{' '.join(unattached + [run.token_volume])}]: timed out waiting for the condition"
        )
        self._event(run, pod, "Warning", "FailedMount", msg)
        self._later(run, MOUNT_TIMEOUT, self._mount_timeout, run)

    def _mount(self, run: PodRun) -> None:
        for claim, pvc in run.claims:
            if self.sim.now - run.volume_wait_started < claim.failed_mount_for:
                pv = self.sim.storage.volume_name(run.release.target_namespace, pvc)
                msg = f'MountVolume.SetUp failed for volume "{pv}" : mount failed: exit status 32'
                self._event(run, self._pod(run), "Warning", "FailedMount", msg)
                self._later(run, 30.0, self._mount, run)
                return
        run.mounted = True
        run.sandbox = True
        run.ip = f"10.42.{int(digest(run.node)[:2], 16) % 8}.{int(digest(run.name, run.uid)[:2], 16) % 250 + 2}"
        run.started_at = self.sim.timestamp()
        self._sync(run)
        self._next_containers(run)

    # -- containers ----------------------------------------------------------------------------------

    def _next_containers(self, run: PodRun) -> None:
        """Start the next init container, or every app container once the init containers are done."""
        for c in run.containers:
            if c.spec.init and not c.done:
                if not c.started_once and not c.busy:
                    self._pull(run, c)
                return
        for c in run.containers:
            if not c.spec.init and not c.started_once and not c.busy:
                self._pull(run, c)

    def _pull(self, run: PodRun, c: ContainerRun) -> None:
        c.busy = True
        pod = self._pod(run)
        image = c.spec.image
        if c.first_pull is None:
            c.first_pull = self.sim.now
        if c.pulled:
            self._event(
                run,
                pod,
                "Normal",
                "Pulled",
                f'Container image "{image}" already present on machine',
                c,
            )
            self._create(run, c)
            return
        self._event(run, pod, "Normal", "Pulling", f'Pulling image "{image}"', c)
        c.pull_started = self.sim.now
        self._later(run, self.sim.jitter(c.spec.pull_duration), self._pulled, run, c)

    def _pulled(self, run: PodRun, c: ContainerRun) -> None:
        pod, image = self._pod(run), c.spec.image
        if self.sim.now - c.first_pull < c.spec.image_pull_fails_for:
            c.pull_failures += 1
            error = (
                f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
                f'failed to resolve reference "{image}": {image}: not found'
            )
            self._event(
                run, pod, "Warning", "Failed", f'Failed to pull image "{image}": {error}', c
            )
            self._event(run, pod, "Warning", "Failed", "Error: ErrImagePull", c)
            c.waiting("ErrImagePull", error)
            self._sync(run)
            self._later(run, 2.0, self._pull_backoff, run, c)
            return
        took = self.sim.now - c.pull_started
        c.pulled = True
        self._event(
            run,
            pod,
            "Normal",
            "Pulled",
            f'Successfully pulled image "{image}" in {took:.3f}s ({took:.3f}s including waiting). Image size: {40_000_000 + int(digest(image)[:6], 16)} bytes.',
            c,
        )
        self._create(run, c)

    def _pull_backoff(self, run: PodRun, c: ContainerRun) -> None:
        pod, image = self._pod(run), c.spec.image
        msg = f'Back-off pulling image "{image}"'
        self._event(run, pod, "Normal", "BackOff", msg, c)
        self._event(run, pod, "Warning", "Failed", "Error: ImagePullBackOff", c)
        c.waiting("ImagePullBackOff", msg)
        self._sync(run)
        c.busy = False
        self._later(run, backoff(c.pull_failures), self._pull, run, c)

    def _create(self, run: PodRun, c: ContainerRun) -> None:
        pod, ns = self._pod(run), run.release.target_namespace
        secret = c.spec.missing_secret
        if secret and not self.sim.secret_exists(ns, secret):
            self._event(run, pod, "Warning", "Failed", f'Error: secret "{secret}" not found', c)
            c.waiting("CreateContainerConfigError", f'secret "{secret}" not found')
            self._sync(run)
            self._later(run, self.sim.jitter(15.0, 0.3), self._create, run, c)
            return
        self._event(run, pod, "Normal", "Created", f"Created container {c.spec.name}", c)
        self._event(run, pod, "Normal", "Started", f"Started container {c.spec.name}", c)
        c.start(self.sim.timestamp())
        self._sync(run)
        spec = c.spec
        if spec.crash_loop is not None and c.restarts < spec.crash_loop.recover_after:
            self._later(run, spec.crash_loop.run_for, self._crashed, run, c)
        elif spec.init:
            self._later(run, spec.ready_after, self._init_done, run, c)
        elif c.liveness_left > 0:
            probe = spec.liveness
            for k in range(1, probe.failure_threshold + 1):
                self._later(
                    run,
                    spec.ready_after + k * probe.period,
                    self._probe_failed,
                    run,
                    c,
                    "Liveness",
                    500,
                )
            self._later(
                run,
                spec.ready_after + probe.failure_threshold * probe.period + 0.5,
                self._liveness_kill,
                run,
                c,
            )
        else:
            self._warm_up(run, c)

    def _warm_up(self, run: PodRun, c: ContainerRun) -> None:
        spec = c.spec
        if spec.readiness is None:
            self._later(run, 0.5, self._ready, run, c)
            return
        if spec.startup is not None and spec.ready_after > 2 * spec.startup.period:
            self._later(run, spec.startup.period, self._probe_failed, run, c, "Startup", 503)
        fails_until = spec.ready_after + (
            spec.readiness_fails_for if not c.readiness_failed_once else 0.0
        )
        t = spec.ready_after
        while t < fails_until and t - spec.ready_after < 3600:
            self._later(run, t, self._probe_failed, run, c, "Readiness", 503)
            t += spec.readiness.period
        c.readiness_failed_once = True
        if fails_until < float("inf"):
            self._later(run, fails_until + 0.5, self._ready, run, c)

    def _probe_failed(self, run: PodRun, c: ContainerRun, kind: str, code: int) -> None:
        self._event(
            run,
            self._pod(run),
            "Warning",
            "Unhealthy",
            f"{kind} probe failed: HTTP probe failed with statuscode: {code}",
            c,
        )

    def _ready(self, run: PodRun, c: ContainerRun) -> None:
        c.ready = True
        self._sync(run)

    def _init_done(self, run: PodRun, c: ContainerRun) -> None:
        c.finish(self.sim.timestamp(), 0, "Completed")
        self._sync(run)
        self._next_containers(run)

    def _restart_later(self, run: PodRun, c: ContainerRun, delay: float) -> None:
        c.busy = False
        c.started_once = False
        self._later(run, delay, self._restart, run, c)

    def _restart(self, run: PodRun, c: ContainerRun) -> None:
        if not c.started_once and not c.busy:
            self._pull(run, c)

    def _crashed(self, run: PodRun, c: ContainerRun) -> None:
        c.finish(self.sim.timestamp(), c.spec.crash_loop.exit_code, "Error")
        c.restarts += 1
        delay = backoff(c.restarts)
        pod_ref = f"{run.name}_{run.release.target_namespace}({run.uid})"
        c.waiting(
            "CrashLoopBackOff",
            f"back-off {go_duration(delay)} restarting failed container={c.spec.name} pod={pod_ref}",
        )
        self._sync(run)
        self._event(
            run,
            self._pod(run),
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {c.spec.name} in pod {pod_ref}",
            c,
        )
        self._restart_later(run, c, delay)

    def _liveness_kill(self, run: PodRun, c: ContainerRun) -> None:
        self._event(
            run,
            self._pod(run),
            "Normal",
            "Killing",
            f"Container {c.spec.name} failed liveness probe, will be restarted",
            c,
        )
        c.finish(self.sim.timestamp(), 137, "Error")
        c.restarts += 1
        c.liveness_left -= 1
        self._sync(run)
        self._restart_later(run, c, 1.0)
