"""The container runtime and the kubelet's probes: containers from image pull to Ready, or stuck.

Once the kubelet has mounted a pod's volumes and started its sandbox, containers go through the
image pull (`Pulling`/`Pulled`, `ErrImagePull` then `ImagePullBackOff`; a missing
`imagePullSecrets` entry gives `FailedToRetrieveImagePullSecret` and the registry's 401), env Secret resolution
(`CreateContainerConfigError`), init containers in order, then start and probes: readiness
failures (`Unhealthy`, container ready=false), liveness kills (`Killing`, restarts) and crashes
(`CrashLoopBackOff` with the kubelet's 10s..5m back-off). Messages are the kubelet's own.
Each run writes the scenario's log lines (`store.logs`, by containerID) and closes its log on
exit; only the current and the previous run's logs are kept, as the kubelet does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sovsim.controllers.common import digest, go_duration
from sovsim.controllers.log_lines import render_log_line
from sovsim.controllers.pods import ContainerRun, PodRun

if TYPE_CHECKING:
    from sovsim.controllers.sim import Sim


class PodHost(Protocol):
    """What the runtime needs of the kubelet: the pod, its events, status writes and timers."""

    def pod(self, run: PodRun) -> dict | None: ...

    def event(
        self,
        run: PodRun,
        pod: dict,
        type_: str,
        reason: str,
        message: str,
        c: ContainerRun | None = None,
    ) -> None: ...

    def sync(self, run: PodRun) -> dict | None: ...

    def later(self, run: PodRun, delay: float, fn: Callable[..., None], *args) -> None: ...


def backoff(restarts: int) -> float:
    """The kubelet's crash and image-pull back-off: 10s doubling up to 5m."""
    return min(10.0 * 2 ** max(restarts - 1, 0), 300.0)


class ContainerRuntime:
    """The containers of the kubelet's pods; pod status is written back through the kubelet."""

    def __init__(self, sim: Sim, kubelet: PodHost) -> None:
        self.sim = sim
        self.kubelet = kubelet

    def start(self, run: PodRun) -> None:
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
        pod = self.kubelet.pod(run)
        image = c.spec.image
        if c.first_pull is None:
            c.first_pull = self.sim.now
        if c.pulled:
            self.kubelet.event(
                run,
                pod,
                "Normal",
                "Pulled",
                f'Container image "{image}" already present on machine',
                c,
            )
            self._create(run, c)
            return
        missing = self._missing_pull_secrets(run)
        if missing:
            self.kubelet.event(
                run,
                pod,
                "Warning",
                "FailedToRetrieveImagePullSecret",
                f"Unable to retrieve some image pull secrets ({', '.join(missing)}); "
                "attempting to pull the image may not succeed.",
            )
        self.kubelet.event(run, pod, "Normal", "Pulling", f'Pulling image "{image}"', c)
        c.pull_started = self.sim.now
        self.kubelet.later(run, self.sim.jitter(c.spec.pull_duration), self._pulled, run, c)

    def _missing_pull_secrets(self, run: PodRun) -> list[str]:
        ns = run.release.target_namespace
        return [s for s in run.workload.image_pull_secrets if not self.sim.secret_exists(ns, s)]

    def _pulled(self, run: PodRun, c: ContainerRun) -> None:
        pod, image = self.kubelet.pod(run), c.spec.image
        unauthorized = bool(self._missing_pull_secrets(run))
        if unauthorized or self.sim.now - c.first_pull < c.spec.image_pull_fails_for:
            c.pull_failures += 1
            error = (
                f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
                f'failed to resolve reference "{image}": {image}: not found'
            )
            if unauthorized:
                registry, _, path = image.partition("/")
                repo = path.rpartition(":")[0] or path
                error = (
                    f'rpc error: code = Unknown desc = failed to pull and unpack image "{image}": '
                    f"failed to resolve reference "
                    f'"{image}": failed to authorize: failed to fetch anonymous token: unexpected '
                    f"status from GET request to https://{registry}/token?scope=repository%3A"
                    f"{repo.replace('/', '%2F')}%3Apull&service={registry}: 401 Unauthorized"
                )
            self.kubelet.event(
                run, pod, "Warning", "Failed", f'Failed to pull image "{image}": {error}', c
            )
            self.kubelet.event(run, pod, "Warning", "Failed", "Error: ErrImagePull", c)
            c.waiting("ErrImagePull", error)
            self.kubelet.sync(run)
            self.kubelet.later(run, 2.0, self._pull_backoff, run, c)
            return
        took = self.sim.now - c.pull_started
        c.pulled = True
        self.kubelet.event(
            run,
            pod,
            "Normal",
            "Pulled",
            f'Successfully pulled image "{image}" in {took:.3f}s ({took:.3f}s including waiting). Image size: {40_000_000 + int(digest(image)[:6], 16)} bytes.',
            c,
        )
        self._create(run, c)

    def _pull_backoff(self, run: PodRun, c: ContainerRun) -> None:
        pod, image = self.kubelet.pod(run), c.spec.image
        msg = f'Back-off pulling image "{image}"'
        self.kubelet.event(run, pod, "Normal", "BackOff", msg, c)
        self.kubelet.event(run, pod, "Warning", "Failed", "Error: ImagePullBackOff", c)
        c.waiting("ImagePullBackOff", msg)
        self.kubelet.sync(run)
        c.busy = False
        self.kubelet.later(run, backoff(c.pull_failures), self._pull, run, c)

    def _create(self, run: PodRun, c: ContainerRun) -> None:
        pod, ns = self.kubelet.pod(run), run.release.target_namespace
        secret = c.spec.missing_secret
        if secret and not self.sim.secret_exists(ns, secret):
            self.kubelet.event(
                run, pod, "Warning", "Failed", f'Error: secret "{secret}" not found', c
            )
            c.waiting("CreateContainerConfigError", f'secret "{secret}" not found')
            self.kubelet.sync(run)
            self.kubelet.later(run, self.sim.jitter(15.0, 0.3), self._create, run, c)
            return
        self.kubelet.event(run, pod, "Normal", "Created", f"Created container {c.spec.name}", c)
        self.kubelet.event(run, pod, "Normal", "Started", f"Started container {c.spec.name}", c)
        self._new_log(run, c)
        self.kubelet.sync(run)
        spec = c.spec
        if spec.crash_loop is not None and c.restarts < spec.crash_loop.recover_after:
            self.kubelet.later(run, spec.crash_loop.run_for, self._crashed, run, c)
        elif spec.init:
            self.kubelet.later(run, spec.ready_after, self._init_done, run, c)
        elif c.liveness_left > 0:
            probe = spec.liveness
            for k in range(1, probe.failure_threshold + 1):
                self.kubelet.later(
                    run,
                    spec.ready_after + k * probe.period,
                    self._probe_failed,
                    run,
                    c,
                    "Liveness",
                    500,
                )
            self.kubelet.later(
                run,
                spec.ready_after + probe.failure_threshold * probe.period + 0.5,
                self._liveness_kill,
                run,
                c,
            )
        else:
            self._warm_up(run, c)

    @staticmethod
    def _container_id(run: PodRun, c: ContainerRun, restarts: int) -> str:
        return f"containerd://{digest(run.uid, c.spec.name, restarts)}"

    def forget_logs(self, run: PodRun, c: ContainerRun) -> None:
        """The pod is gone: so are its containers' logs."""
        for restarts in range(max(c.restarts - 1, 0), c.restarts + 1):
            self.sim.store.logs.forget(self._container_id(run, c, restarts))

    def _new_log(self, run: PodRun, c: ContainerRun) -> None:
        """Start a run: a new containerID whose log gets the scenario's lines over time; the
        run before the previous one is forgotten."""
        if c.restarts >= 2:
            self.sim.store.logs.forget(self._container_id(run, c, c.restarts - 2))
        c.start(self.sim.timestamp(), self._container_id(run, c, c.restarts))
        spec = c.spec
        every = spec.log_every
        if spec.crash_loop is not None and spec.logs:
            every = min(every, spec.crash_loop.run_for * 0.9 / len(spec.logs))
        for i, template in enumerate(spec.logs):
            self.kubelet.later(run, i * every, self._write_log, run, c, c.id, template)

    def _write_log(self, run: PodRun, c: ContainerRun, container_id: str, template: str) -> None:
        if c.id != container_id or not c.running:
            return
        now = self.sim.start + self.sim.now
        line = render_log_line(template, now, pod=run.name, namespace=run.release.target_namespace)
        self.sim.store.logs.write(container_id, now, line)

    def _warm_up(self, run: PodRun, c: ContainerRun) -> None:
        spec = c.spec
        if spec.readiness is None:
            self.kubelet.later(run, 0.5, self._ready, run, c)
            return
        if spec.startup is not None and spec.ready_after > 2 * spec.startup.period:
            self.kubelet.later(run, spec.startup.period, self._probe_failed, run, c, "Startup", 503)
        fails_until = spec.ready_after + (
            spec.readiness_fails_for if not c.readiness_failed_once else 0.0
        )
        t = spec.ready_after
        while t < fails_until and t - spec.ready_after < 3600:
            self.kubelet.later(run, t, self._probe_failed, run, c, "Readiness", 503)
            t += spec.readiness.period
        c.readiness_failed_once = True
        if fails_until < float("inf"):
            self.kubelet.later(run, fails_until + 0.5, self._ready, run, c)

    def _probe_failed(self, run: PodRun, c: ContainerRun, kind: str, code: int) -> None:
        self.kubelet.event(
            run,
            self.kubelet.pod(run),
            "Warning",
            "Unhealthy",
            f"{kind} probe failed: HTTP probe failed with statuscode: {code}",
            c,
        )

    def _ready(self, run: PodRun, c: ContainerRun) -> None:
        c.ready = True
        self.kubelet.sync(run)

    def _init_done(self, run: PodRun, c: ContainerRun) -> None:
        c.finish(self.sim.timestamp(), 0, "Completed")
        self.sim.store.logs.close(c.id)
        self.kubelet.sync(run)
        self.start(run)

    def _restart_later(self, run: PodRun, c: ContainerRun, delay: float) -> None:
        c.busy = False
        c.started_once = False
        self.kubelet.later(run, delay, self._restart, run, c)

    def _restart(self, run: PodRun, c: ContainerRun) -> None:
        if not c.started_once and not c.busy:
            self._pull(run, c)

    def _crashed(self, run: PodRun, c: ContainerRun) -> None:
        crash = c.spec.crash_loop
        c.finish(self.sim.timestamp(), crash.exit_code, "Error", crash.message)
        self.sim.store.logs.close(c.id)
        c.restarts += 1
        delay = backoff(c.restarts)
        pod_ref = f"{run.name}_{run.release.target_namespace}({run.uid})"
        c.waiting(
            "CrashLoopBackOff",
            f"back-off {go_duration(delay)} restarting failed container={c.spec.name} pod={pod_ref}",
        )
        self.kubelet.sync(run)
        self.kubelet.event(
            run,
            self.kubelet.pod(run),
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {c.spec.name} in pod {pod_ref}",
            c,
        )
        self._restart_later(run, c, delay)

    def _liveness_kill(self, run: PodRun, c: ContainerRun) -> None:
        self.kubelet.event(
            run,
            self.kubelet.pod(run),
            "Normal",
            "Killing",
            f"Container {c.spec.name} failed liveness probe, will be restarted",
            c,
        )
        c.finish(self.sim.timestamp(), 137, "Error")
        self.sim.store.logs.close(c.id)
        c.restarts += 1
        c.liveness_left -= 1
        self.kubelet.sync(run)
        self._restart_later(run, c, 1.0)
