"""Pod shapes: the spec a chart renders and the status the kubelet reports, from runtime state.

Kept apart from the kubelet's behaviour so the status rules (phase, the four pod conditions,
container states with restartCount and lastState) live in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sovsim.controllers.common import digest
from sovsim.scenario_schema import Container, Probe, Release, VolumeClaim, Workload


@dataclass
class ContainerRun:
    spec: Container
    restarts: int = 0
    state: dict = field(default_factory=dict)
    last_state: dict = field(default_factory=dict)
    ready: bool = False
    running: bool = False
    done: bool = False
    busy: bool = False
    """A pull/start is under way (don't start it twice)."""
    started_once: bool = False
    pulled: bool = False
    first_pull: float | None = None
    pull_started: float = 0.0
    pull_failures: int = 0
    readiness_failed_once: bool = False
    liveness_left: int = 0
    id: str = ""
    """The containerID of the latest run (`containerd://...`), "" before the first start."""

    def __post_init__(self) -> None:
        self.liveness_left = self.spec.liveness_failures if self.spec.liveness is not None else 0

    def waiting(self, reason: str, message: str = "") -> None:
        self.state = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
        self.running = self.ready = False

    def start(self, now: str, container_id: str) -> None:
        self.id = container_id
        self.state = {"running": {"startedAt": now}}
        self.running = self.started_once = True
        self.busy = False

    def finish(self, now: str, exit_code: int, reason: str, message: str = "") -> None:
        started = self.state.get("running", {}).get("startedAt", now)
        terminated = {
            "exitCode": exit_code,
            "reason": reason,
            **({"message": message} if message else {}),
            "startedAt": started,
            "finishedAt": now,
            "containerID": self.id,
        }
        self.running = False
        self.ready = reason == "Completed"
        if reason == "Completed":
            self.done = True
            self.state = {"terminated": terminated}
        else:
            self.last_state = {"terminated": terminated}
            self.state = {"waiting": {"reason": "ContainerCreating"}}


@dataclass
class PodRun:
    release: Release
    workload: Workload
    name: str
    uid: str
    node: str
    claims: list[tuple[VolumeClaim, str]]
    token_volume: str
    on_change: Callable[[], None]
    containers: list[ContainerRun]
    epoch: int = 0
    terminating: bool = False
    scheduled: bool = False
    unschedulable: str = ""
    waiting_for: set[str] = field(default_factory=set)
    unattached: set[str] = field(default_factory=set)
    volume_wait_started: float = 0.0
    mounted: bool = False
    sandbox: bool = False
    ready: bool = False
    ip: str = ""
    started_at: str = ""
    transitions: dict[str, tuple[str, str]] = field(default_factory=dict)


def _probe(probe: Probe, delay: int = 0) -> dict:
    return {
        "httpGet": {"path": probe.path, "port": probe.port, "scheme": "HTTP"},
        "initialDelaySeconds": delay,
        "periodSeconds": int(probe.period),
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": probe.failure_threshold,
    }


def _container_spec(c: Container) -> dict:
    spec: dict = {
        "name": c.name,
        "image": c.image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if not c.init:
        port = (c.readiness or c.liveness or Probe()).port
        spec["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    for key, probe in (
        ("startupProbe", c.startup),
        ("livenessProbe", c.liveness),
        ("readinessProbe", c.readiness),
    ):
        if probe is not None:
            spec[key] = _probe(probe)
    if c.missing_secret:
        spec["env"] = [
            {
                "name": "DB_PASSWORD",
                "valueFrom": {"secretKeyRef": {"name": c.missing_secret, "key": "password"}},
            }
        ]
    return spec


def pod_spec(release: Release, workload: Workload) -> dict:
    """The pod template a chart renders for `workload` (no Secret values, only references)."""
    return {
        "serviceAccountName": release.release_name,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "priority": 0,
        "securityContext": {"fsGroup": 1000},
        **(
            {"imagePullSecrets": [{"name": s} for s in workload.image_pull_secrets]}
            if workload.image_pull_secrets
            else {}
        ),
        "initContainers": [_container_spec(c) for c in workload.containers if c.init],
        "containers": [_container_spec(c) for c in workload.containers if not c.init],
        "tolerations": [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
    }


def _container_status(c: ContainerRun, run: PodRun) -> dict:
    state = c.state
    if not state:
        inits_pending = any(x.spec.init and not x.done for x in run.containers)
        reason = (
            "PodInitializing"
            if (inits_pending and (not c.spec.init or not run.sandbox))
            else "ContainerCreating"
        )
        state = {"waiting": {"reason": reason}}
    status = {
        "name": c.spec.name,
        "image": c.spec.image,
        "imageID": "",
        "ready": c.ready,
        "restartCount": c.restarts,
        "started": c.running,
        "state": state,
        "lastState": c.last_state,
    }
    if c.id:
        status["containerID"] = c.id
        status["imageID"] = f"{c.spec.image.rsplit(':', 1)[0]}@sha256:{digest(c.spec.image)}"
    return status


def _condition(
    run: PodRun, type_: str, ok: bool, now: str, reason: str = "", message: str = ""
) -> dict:
    value = "True" if ok else "False"
    previous = run.transitions.get(type_)
    when = previous[1] if previous and previous[0] == value else now
    run.transitions[type_] = (value, when)
    cond = {"type": type_, "status": value, "lastProbeTime": None, "lastTransitionTime": when}
    if reason:
        cond.update(reason=reason, message=message)
    return cond


def pod_status(run: PodRun, now: str) -> dict:
    """The pod's status from its runtime state."""
    if not run.scheduled:
        status = {"phase": "Pending", "qosClass": "Burstable"}
        if run.unschedulable:
            status["conditions"] = [
                _condition(run, "PodScheduled", False, now, "Unschedulable", run.unschedulable)
            ]
        return status
    inits = [c for c in run.containers if c.spec.init]
    apps = [c for c in run.containers if not c.spec.init]
    initialized = all(c.done for c in inits)
    unready = [c.spec.name for c in apps if not c.ready]
    # Ready and ContainersReady carry the same reason while any container is unready.
    why_unready = (
        ("ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
        if unready
        else ()
    )
    conditions = [
        _condition(run, "PodReadyToStartContainers", run.sandbox, now),
        _condition(
            run,
            "Initialized",
            initialized,
            now,
            *(
                ()
                if initialized
                else (
                    "ContainersNotInitialized",
                    f"containers with incomplete status: [{' '.join(c.spec.name for c in inits if not c.done)}]",
                )
            ),
        ),
        _condition(run, "Ready", not unready, now, *why_unready),
        _condition(run, "ContainersReady", not unready, now, *why_unready),
        _condition(run, "PodScheduled", True, now),
    ]
    running = initialized and any(c.running or c.last_state for c in apps)
    status = {
        "phase": "Running" if running else "Pending",
        "conditions": conditions,
        "hostIP": f"10.0.1.{int(digest(run.node)[:2], 16) % 200 + 10}",
        "qosClass": "Burstable",
        "containerStatuses": [_container_status(c, run) for c in apps],
    }
    if inits:
        status["initContainerStatuses"] = [_container_status(c, run) for c in inits]
    if run.sandbox:
        status.update(podIP=run.ip, podIPs=[{"ip": run.ip}], startTime=run.started_at)
    return status
