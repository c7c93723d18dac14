"""Pod health: one verdict, a kubectl-style status word, containers with their probes.

Pure function of the pod and the events about it. The ladder (first match wins):
terminating → Succeeded (ready: a finished Job pod) → Failed phase → not scheduled: waiting when the
scheduler waits for the pod's volumes ("pod has unbound immediate PersistentVolumeClaims", "waiting
for a volume to be created ...", a claim not found: the PVC explains it), else failed (Unschedulable:
CPU, memory, taints, affinity) → init containers (`Init:CrashLoopBackOff`, `Init:ImagePullBackOff`,
`Init:Error`, `Init:1/2`) → app containers waiting (CrashLoopBackOff, ImagePullBackOff/ErrImagePull,
CreateContainerConfigError, ...; ContainerCreating is failed when volume attach/mount warnings
explain it, progressing otherwise) → a container whose last restart was the kubelet killing it for a
failing liveness/startup probe, still failing or not ready (failed, `LivenessProbeFailed` /
`StartupProbeFailed`) → running (ready, or progressing while not ready: a failing readiness probe
alone is progressing and named).

When the verdict's own words are generic (ContainerCreating, PodInitializing, "Back-off pulling
image"), `decisive_event` is the pod's most specific recent Warning (FailedToRetrieveImagePullSecret
naming the missing secret, unless the registry's answer was not about credentials; the pull error
"401 Unauthorized"; FailedAttachVolume, FailedMount), which the root cause shows as its last link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sovwatch.model import probes
from sovwatch.model.conditions import bounded_text, one_line
from sovwatch.model.events import EventRecord
from sovwatch.model.states import State, Verdict
from sovwatch.model.times import parse_time

ObjectKey = tuple[str, str, str]

FAILED_WAITING = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "ErrImageNeverPull",
        "PreCreateHookError",
        "PostStartHookError",
    }
)
"""Waiting reasons the kubelet keeps retrying: failed (retries remain)."""
STALLED_WAITING = frozenset({"InvalidImageName"})
"""Waiting reasons that cannot resolve without a spec change."""
VOLUME_EVENT_REASONS = ("FailedAttachVolume", "FailedMount")
MULTI_ATTACH = "Multi-Attach error"
WAITS_FOR_VOLUME = re.compile(
    r"unbound immediate PersistentVolumeClaims|waiting for a volume to be created"
    r'|persistentvolumeclaim "[^"]+" not found',
    re.IGNORECASE,
)
"""kube-scheduler's words for "this pod cannot be placed until its claims are bound"."""
PROBE_KILL_REASONS = {"liveness": "LivenessProbeFailed", "startup": "StartupProbeFailed"}
"""sovwatch's reasons (not the API's) for a container the kubelet keeps killing for a failing probe
(the kubelet's Events say `Killing` and `Unhealthy`)."""
GENERIC_REASONS = frozenset(
    {"ContainerCreating", "PodInitializing", "ImagePullBackOff", "ErrImagePull"}
)
"""Pod reasons (also with `Init:`) whose own words rarely say why: a Warning Event does."""
DECISIVE_RANK = {
    "FailedToRetrieveImagePullSecret": 0,
    "FailedAttachVolume": 1,
    "FailedMount": 1,
    "Failed": 2,
    "FailedCreatePodSandBox": 3,
}
"""Warning Event reasons by how decisive they are (lower first; any other warning ranks last)."""
_AUTH_FAILURE = re.compile(
    r"\b401\b|\b403\b|unauthorized|denied|authentication required|failed to authorize",
    re.IGNORECASE,
)
"""A registry's answer that a pull secret would change."""
_GENERIC_EVENT = re.compile(r"^(?:Error: \w+$|Back-off )")
"""The kubelet's warnings that only repeat the waiting reason ("Error: ErrImagePull")."""


@dataclass(frozen=True, slots=True)
class Termination:
    """A container's `lastState.terminated`: why its previous run ended."""

    reason: str
    exit_code: int | None
    finished_at: float | None
    message: str = ""
    """The termination message, whole (bounded)."""


@dataclass(frozen=True, slots=True)
class ProbeKill:
    """The kubelet killed the container's previous run because this probe kept failing."""

    kind: str
    """"liveness" or "startup"."""
    kills: int
    """Kills seen in the event window (counts summed)."""
    message: str
    """The probe's latest failure ("Liveness probe failed: HTTP probe failed with statuscode: 500")."""


@dataclass(frozen=True, slots=True)
class ContainerHealth:
    name: str
    init: bool
    ready: bool
    restarts: int
    status: str
    """"Running", "Completed", or the waiting/terminated reason."""
    probes: dict[str, probes.ProbeStatus]
    started: bool | None = None
    """The kubelet's `started` (startup probe passed, or none); None when not reported."""
    state: str = "pending"
    """"running", "waiting", "terminated", or "pending" before the kubelet reports the container."""
    reason: str = ""
    """The waiting or terminated reason (ContainerCreating, CrashLoopBackOff, Error, ...)."""
    message: str = ""
    """The waiting or terminated message, whole (bounded: `conditions.bounded_text`)."""
    exit_code: int | None = None
    """Exit code while terminated."""
    last_termination: Termination | None = None
    probe_kill: ProbeKill | None = None
    """Set when the last restart was a liveness/startup kill."""


@dataclass(frozen=True, slots=True)
class PodHealth:
    key: ObjectKey
    verdict: Verdict
    status: str
    """What `kubectl get pods` would show in STATUS (ContainerCreating, Init:CrashLoopBackOff, ...)."""
    ready: int
    total: int
    restarts: int
    containers: tuple[ContainerHealth, ...]
    node: str
    claims: tuple[str, ...]
    """Names of the PVCs the pod mounts."""
    volume_event: EventRecord | None
    """The latest FailedAttachVolume/FailedMount warning while the pod waits for its volumes."""
    started_at: float | None = None
    """`status.startTime`: when the kubelet accepted the pod."""
    ready_at: float | None = None
    """When the pod last became ready: the Ready condition's lastTransitionTime while Ready=True; for
    a Succeeded pod, its containers' latest `terminated.finishedAt`. None while not ready."""
    decisive_event: EventRecord | None = None
    """The Warning that says why, when the verdict's own words are generic (module docstring)."""
    probes: dict[str, probes.ProbeStatus] = field(init=False, repr=False, compare=False)
    """Per probe kind, the worst state across the pod's app containers (derived from `containers`
    once, not on every read: the TUI reads it for every pod of every release it shows)."""

    def __post_init__(self) -> None:
        app = [c.probes for c in self.containers if not c.init]
        if len(app) == 1:  # most pods: the container's own (read-only, like this one)
            worst = app[0]
        else:
            worst = {k: probes.worst(p[k] for p in app) for k in probes.PROBE_KINDS}
        object.__setattr__(self, "probes", worst)


def claims_of(pod: dict) -> tuple[str, ...]:
    """PVC names from `spec.volumes[].persistentVolumeClaim.claimName`."""
    return tuple(
        v["persistentVolumeClaim"]["claimName"]
        for v in (pod.get("spec") or {}).get("volumes") or ()
        if (v.get("persistentVolumeClaim") or {}).get("claimName")
    )


def assess_pod(pod: dict, events: Iterable[EventRecord]) -> PodHealth:
    """Health of one pod from the object and the (normalised) events about it."""
    events = list(events)
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    st = pod.get("status") or {}
    failures = probes.probe_failures(events)
    init_h = _containers(
        spec.get("initContainers") or (), st.get("initContainerStatuses") or (), True, failures
    )
    app_h = _containers(
        spec.get("containers") or (), st.get("containerStatuses") or (), False, failures
    )
    volume_event = _volume_event(events)
    verdict, status = _ladder(pod, init_h, app_h, events, volume_event)
    return PodHealth(
        key=("Pod", meta.get("namespace", ""), meta.get("name", "")),
        verdict=verdict,
        status=status,
        ready=sum(1 for c in app_h if c.ready),
        total=len(app_h),
        restarts=sum(c.restarts for c in app_h) + sum(c.restarts for c in init_h),
        containers=init_h + app_h,
        node=str(spec.get("nodeName") or ""),
        claims=claims_of(pod),
        volume_event=volume_event
        if status == "ContainerCreating" or verdict.reason in VOLUME_EVENT_REASONS
        else None,
        started_at=parse_time(st.get("startTime")),
        ready_at=_ready_at(st),
        decisive_event=_decisive_event(verdict, events, parse_time(meta.get("creationTimestamp"))),
    )


def _decisive_event(
    verdict: Verdict, events: list[EventRecord], created: float | None
) -> EventRecord | None:
    """The most specific recent Warning about the pod, when the verdict's words are generic."""
    if verdict.reason.removeprefix("Init:") not in GENERIC_REASONS:
        return None
    said = verdict.message.partition(": ")[2]  # "container x: <the kubelet's words>"
    candidates = [
        e
        for e in events
        if e.is_warning
        and e.message
        and not _GENERIC_EVENT.match(e.message)
        and e.message not in verdict.message
        and not (said and said in e.message)
        and (created is None or e.last is None or e.last >= created)
        and e.reason not in ("Unhealthy", "Killing", "BackOff")
    ]
    pulls = [e for e in candidates if e.message.startswith("Failed to pull image")]
    if any(not _AUTH_FAILURE.search(e.message) for e in pulls):
        # the registry said something other than "unauthorized" (not found, i/o timeout): a missing
        # pull secret is then a side note, not the cause
        candidates = [e for e in candidates if e.reason != "FailedToRetrieveImagePullSecret"]
    return min(
        candidates,
        key=lambda e: (DECISIVE_RANK.get(e.reason, len(DECISIVE_RANK)), -(e.last or 0.0)),
        default=None,
    )


def _ready_at(st: dict) -> float | None:
    if st.get("phase") == "Succeeded":
        finished = [
            t
            for s in st.get("containerStatuses") or ()
            if (t := parse_time(((s.get("state") or {}).get("terminated") or {}).get("finishedAt")))
        ]
        if finished:
            return max(finished)
    ready = next((c for c in st.get("conditions") or () if c.get("type") == "Ready"), None)
    if ready is None or (ready.get("status") != "True" and st.get("phase") != "Succeeded"):
        return None
    return parse_time(ready.get("lastTransitionTime"))


_PROBE_FIELDS = tuple((kind, f"{kind}Probe") for kind in probes.PROBE_KINDS)
"""Each probe kind with the container field that configures it (`readinessProbe`, ...)."""


def _run_phase(state: dict) -> str:
    if "running" in state:
        return "running"
    if "waiting" in state:
        return "waiting"
    return "terminated" if "terminated" in state else "pending"


def _containers(specs, statuses, init: bool, failures) -> tuple[ContainerHealth, ...]:
    if not specs:
        return ()  # most pods' init containers
    by_name = {s.get("name"): s for s in statuses}
    out = []
    for c in specs:
        name = c.get("name", "")
        s = by_name.get(name) or {}
        state = s.get("state") or {}
        last = s.get("lastState") or {}
        started_at = parse_time((state.get("running") or {}).get("startedAt")) or parse_time(
            (last.get("terminated") or {}).get("startedAt")
        )
        container_probes = {
            kind: probes.assess(
                kind,
                configured=bool(c.get(field)),
                status=s,
                started_at=started_at,
                failures=failures.get((name, kind), ()) if failures else (),
            )
            for kind, field in _PROBE_FIELDS
        }
        phase = _run_phase(state)
        detail = state.get(phase) or {}
        previous = last.get("terminated")
        restarts = int(s.get("restartCount") or 0)
        out.append(
            ContainerHealth(
                name=name,
                init=init,
                ready=bool(s.get("ready")),
                restarts=restarts,
                status=_container_status(state),
                probes=container_probes,
                started=s["started"] if isinstance(s.get("started"), bool) else None,
                state=phase,
                reason=str(detail.get("reason") or ""),
                message=bounded_text(str(detail.get("message") or "")),
                exit_code=detail.get("exitCode") if phase == "terminated" else None,
                last_termination=Termination(
                    str(previous.get("reason") or ""),
                    previous.get("exitCode"),
                    parse_time(previous.get("finishedAt")),
                    bounded_text(str(previous.get("message") or "")),
                )
                if previous
                else None,
                probe_kill=_probe_kill(name, restarts, previous, failures)
                if restarts and failures
                else None,
            )
        )
    return tuple(out)


def _probe_kill(name: str, restarts: int, previous: dict | None, failures) -> ProbeKill | None:
    """A liveness/startup kill that ended the previous run (its Killing event came after that run
    started), with the probe's latest failure message."""
    run_started = parse_time((previous or {}).get("startedAt"))
    for kind in PROBE_KILL_REASONS:
        seen = failures.get((name, kind), [])
        kills = [e for e in seen if e.reason == "Killing"]
        latest = max((e.last or 0.0 for e in kills), default=None)
        if latest is None or (run_started is not None and latest < run_started):
            continue
        unhealthy = [e for e in seen if e.reason == "Unhealthy"]
        why = max(unhealthy or kills, key=lambda e: e.last or 0.0).message
        return ProbeKill(kind, sum(e.count for e in kills), why)
    return None


def _container_status(state: dict) -> str:
    if "running" in state:
        return "Running"
    if "waiting" in state:
        return str(state["waiting"].get("reason") or "Waiting")
    if "terminated" in state:
        t = state["terminated"]
        return "Completed" if t.get("exitCode") == 0 else str(t.get("reason") or "Error")
    return "Pending"


def _volume_event(events: list[EventRecord]) -> EventRecord | None:
    """Latest volume warning; a Multi-Attach error wins because it names the holder."""
    candidates = [e for e in events if e.is_warning and e.reason in VOLUME_EVENT_REASONS]
    if not candidates:
        return None
    return max(candidates, key=lambda e: (MULTI_ATTACH in e.message, e.last or 0.0))


def _ladder(pod, init_h, app_h, events, volume_event) -> tuple[Verdict, str]:
    meta = pod.get("metadata") or {}
    st = pod.get("status") or {}
    phase = st.get("phase") or "Pending"
    if meta.get("deletionTimestamp"):
        return Verdict(State.PROGRESSING, "Terminating", "pod is being deleted"), "Terminating"
    if phase == "Succeeded":
        return Verdict(State.READY, "Completed", "all containers exited successfully"), "Completed"
    if phase == "Failed":
        reason = str(st.get("reason") or "Failed")
        return Verdict(State.FAILED, reason, one_line(str(st.get("message") or ""))), reason
    scheduled = next(
        (c for c in st.get("conditions") or () if c.get("type") == "PodScheduled"), None
    )
    if scheduled is not None and scheduled.get("status") == "False":
        reason = str(scheduled.get("reason") or "Unschedulable")
        msg = one_line(str(scheduled.get("message") or "")) or _latest_message(
            events, "FailedScheduling"
        )
        claims = claims_of(pod)
        if "PersistentVolumeClaim" in msg and claims:
            msg = f"{msg} (claims: {', '.join(claims)})"
        if claims and WAITS_FOR_VOLUME.search(msg):
            return Verdict(State.WAITING, reason, msg), "Pending"
        return Verdict(State.FAILED, reason, msg), "Pending"
    if not (pod.get("spec") or {}).get("nodeName") and phase == "Pending":
        return Verdict(State.PROGRESSING, "Pending", "waiting to be scheduled"), "Pending"
    statuses = {s.get("name"): s for s in st.get("initContainerStatuses") or ()}
    for index, c in enumerate(init_h):
        s = statuses.get(c.name) or {}
        state = s.get("state") or {}
        if "terminated" in state and state["terminated"].get("exitCode") == 0:
            continue
        problem = _container_problem(c, s, f"init container {c.name}")
        if problem is not None:
            return Verdict(
                problem.state, f"Init:{problem.reason}", problem.message
            ), f"Init:{problem.reason}"
        return Verdict(
            State.PROGRESSING, "PodInitializing", f"init container {c.name} running"
        ), f"Init:{index}/{len(init_h)}"
    app_statuses = {s.get("name"): s for s in st.get("containerStatuses") or ()}
    problems = [
        p
        for c in app_h
        if (p := _container_problem(c, app_statuses.get(c.name) or {}, f"container {c.name}"))
        is not None
    ]
    if problems:
        top = max(problems, key=lambda v: v.state is State.STALLED)
        return top, top.reason
    killed = _killed_by_probe(app_h)
    if killed is not None:
        return killed, "Running" if phase == "Running" else phase
    if any(c.status == "ContainerCreating" for c in app_h) or (
        phase == "Pending" and not app_statuses
    ):
        if volume_event is not None:
            return Verdict(
                State.FAILED, volume_event.reason, volume_event.message
            ), "ContainerCreating"
        return Verdict(
            State.PROGRESSING, "ContainerCreating", "creating containers"
        ), "ContainerCreating"
    if app_h and all(c.ready for c in app_h):
        return Verdict(
            State.READY, "Running", f"{len(app_h)}/{len(app_h)} containers ready"
        ), "Running"
    return _not_ready(app_h, app_statuses), "Running" if phase == "Running" else phase


def _container_problem(c: ContainerHealth, status: dict, what: str) -> Verdict | None:
    """A waiting/terminated container that the kubelet is failing to run, None otherwise."""
    state = status.get("state") or {}
    waiting = state.get("waiting") or {}
    reason = str(waiting.get("reason") or "")
    if reason in FAILED_WAITING or reason in STALLED_WAITING:
        detail = one_line(str(waiting.get("message") or ""))
        last = (status.get("lastState") or {}).get("terminated")
        if reason == "CrashLoopBackOff" and last:
            detail = f"{what} exited {last.get('exitCode')} ({last.get('reason', 'Error')}), restarted {c.restarts} times"
            if last.get("message"):
                detail += f": {one_line(str(last['message']))}"
            killer = [
                p for k, p in c.probes.items() if k != "readiness" and p.state == probes.FAILING
            ]
            if killer:
                detail += f"; {killer[0].last_message}"
        elif detail:
            detail = f"{what}: {detail}"
        else:
            detail = f"{what} {reason}"
        state_ = State.STALLED if reason in STALLED_WAITING else State.FAILED
        return Verdict(state_, reason, detail)
    term = state.get("terminated")
    if c.init and term and term.get("exitCode") not in (0, None):
        return Verdict(
            State.FAILED,
            str(term.get("reason") or "Error"),
            f"{what} exited {term.get('exitCode')}",
        )
    return None


def _killed_by_probe(app_h: tuple[ContainerHealth, ...]) -> Verdict | None:
    """A container the kubelet restarted for a failing liveness/startup probe and that is still
    failing it or not ready again: failed, with a reason that names the probe."""
    for c in app_h:
        kill = c.probe_kill
        if kill is None or (c.ready and c.probes[kill.kind].state != probes.FAILING):
            continue
        return Verdict(
            State.FAILED,
            PROBE_KILL_REASONS[kill.kind],
            f"container {c.name} killed by its {kill.kind} probe, restarted {c.restarts} times: "
            f"{kill.message}",
        )
    return None


def _not_ready(app_h: tuple[ContainerHealth, ...], statuses: dict) -> Verdict:
    ready = sum(1 for c in app_h if c.ready)
    for c in app_h:
        last = ((statuses.get(c.name) or {}).get("lastState") or {}).get("terminated") or {}
        if not c.ready and c.restarts and last.get("exitCode") not in (0, None):
            detail = f"container {c.name} restarted {c.restarts} times, last exit {last['exitCode']} ({last.get('reason', 'Error')})"
            if last.get("message"):
                detail += f": {one_line(str(last['message']))}"
            return Verdict(State.FAILED, str(last.get("reason") or "Error"), detail)
    for c in app_h:
        for kind in ("liveness", "startup"):
            p = c.probes[kind]
            if p.state == probes.FAILING and c.restarts:
                return Verdict(
                    State.FAILED,
                    "Unhealthy",
                    f"container {c.name}: {p.last_message} ({p.failures}×)",
                )
    for c in app_h:
        p = c.probes["readiness"]
        if p.state == probes.FAILING:
            return Verdict(
                State.PROGRESSING,
                "Unhealthy",
                f"container {c.name}: {p.last_message} ({p.failures}×)",
            )
    return Verdict(
        State.PROGRESSING, "ContainersNotReady", f"{ready}/{len(app_h)} containers ready"
    )


def _latest_message(events: list[EventRecord], reason: str) -> str:
    matching = [e for e in events if e.reason == reason]
    return max(matching, key=lambda e: e.last or 0.0).message if matching else ""
