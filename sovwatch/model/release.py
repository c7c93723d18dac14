"""One release's picture: the HelmRelease's own verdict, its workloads, pods and volumes, combined.

The combination rule (why "released" is not "ready"): with `install.disableWait` helm-controller
sets Ready=True as soon as the manifests are applied, so
- while the HelmRelease is not ready, the release's state is the HelmRelease's (waiting, failed, ...);
- once it is ready, the workloads decide: ready when every expected pod is ready (or completed),
  failed/stalled when a pod or workload is (crash loop, image pull, Multi-Attach, ...) or when a
  pod waits on a claim that is failing (ProvisioningFailed), progressing while pods are still
  starting. The message reads "released · 2/3 pods ready".
Progress counts a release as ready only by this combined state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

from sovwatch.model import conditions
from sovwatch.model.helmrelease import chart_label, dependencies, source_of
from sovwatch.model.pod import PodHealth
from sovwatch.model.release_times import RecordedTimes, recorded_times
from sovwatch.model.states import BAD_STATES, State, Verdict, severity
from sovwatch.model.times import parse_time
from sovwatch.model.volumes import VolumeHealth
from sovwatch.model.workloads import desired_pods

Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class WorkloadSummary:
    state: State
    ready: int
    """Pods ready (running and ready, or completed)."""
    total: int
    """Pods expected: the workloads' desired replicas, or the pods seen if more."""

    def to_dict(self) -> dict:
        return {"state": str(self.state), "ready": self.ready, "total": self.total}


@dataclass(frozen=True, slots=True)
class ReleaseCore:
    key: Key
    helm: Verdict
    """The HelmRelease's own verdict (helm-controller's view)."""
    verdict: Verdict
    """The release's state under the combination rule."""
    since: float | None
    chart: str
    depends_on: tuple[Key, ...]
    source: Key | None
    workloads: WorkloadSummary
    pods: tuple[PodHealth, ...]
    volumes: tuple[VolumeHealth, ...]
    reconciled: bool
    """helm-controller has written any status (used to tell "Flux not reconciling")."""
    recorded: RecordedTimes = RecordedTimes()
    """The rollout's instants as the objects record them (see `release_times`)."""


def summarize_workloads(
    workloads: Iterable[tuple[dict, Verdict]],
    pods: Iterable[PodHealth],
    volumes: Iterable[VolumeHealth] = (),
) -> tuple[WorkloadSummary, Verdict | None]:
    """Pod counts and the worst problem (a failed/stalled pod or workload, or a failing claim a
    waiting pod needs) among them."""
    workloads = list(workloads)
    seen = ready = 0
    problems: list[Verdict] = []
    waiting = set()
    for p in pods:  # one pass: a release is re-assembled at every change of one of its pods
        if p.status == "Terminating":
            continue
        seen += 1
        state = p.verdict.state
        if state is State.READY:
            ready += 1
        elif state in BAD_STATES:
            problems.append(p.verdict)
        elif state is State.WAITING:
            waiting.add((p.key[1], p.key[2]))
    total = max(sum(desired_pods(obj) for obj, _ in workloads), seen)
    problems += [v for _, v in workloads if v.state in BAD_STATES]
    problems += [
        v.verdict
        for v in volumes
        if v.verdict.state in BAD_STATES and any((v.key[1], c) in waiting for c in v.consumers)
    ]
    worst = max(problems, key=lambda v: severity(v.state), default=None)
    if worst is not None:
        state = worst.state
    elif ready >= total and all(v.state is State.READY for _, v in workloads):
        state = State.READY
    else:
        state = State.PROGRESSING
    return WorkloadSummary(state, ready, total), worst


_BY_KEY = attrgetter("key")


def assemble_release(
    hr: dict,
    helm: Verdict,
    *,
    workloads: Iterable[tuple[dict, Verdict]],
    pods: Iterable[PodHealth],
    volumes: Iterable[VolumeHealth],
) -> ReleaseCore:
    meta = hr.get("metadata") or {}
    pods = tuple(sorted(pods, key=_BY_KEY))
    volumes = tuple(sorted(volumes, key=_BY_KEY))
    summary, problem = summarize_workloads(workloads, pods, volumes)
    ready_cond = conditions.find(hr, conditions.READY)
    since = parse_time((ready_cond or {}).get("lastTransitionTime")) or parse_time(
        meta.get("creationTimestamp")
    )
    return ReleaseCore(
        key=("HelmRelease", meta.get("namespace", ""), meta.get("name", "")),
        helm=helm,
        verdict=combine(helm, summary, problem, pods, volumes),
        since=since,
        chart=chart_label(hr),
        depends_on=tuple(("HelmRelease", ns, name) for ns, name in dependencies(hr)),
        source=source_of(hr),
        workloads=summary,
        pods=pods,
        volumes=volumes,
        reconciled=bool((hr.get("status") or {}).get("conditions")),
        recorded=recorded_times(hr, pods),
    )


def combine(
    helm: Verdict,
    summary: WorkloadSummary,
    problem: Verdict | None,
    pods: tuple[PodHealth, ...],
    volumes: tuple[VolumeHealth, ...] = (),
) -> Verdict:
    """The combination rule from the module docstring."""
    if helm.state is not State.READY:
        return helm
    counts = f"released · {summary.ready}/{summary.total} pods ready"
    if problem is not None:
        culprit = next((f"pod {p.key[2]}" for p in pods if p.verdict is problem), None) or next(
            (f"pvc {v.key[2]}" for v in volumes if v.verdict is problem), None
        )
        where = f"{culprit}: " if culprit else ""
        return Verdict(problem.state, problem.reason, f"{counts} · {where}{problem.message}")
    if summary.state is State.READY:
        return Verdict(State.READY, helm.reason, counts if summary.total else "released · no pods")
    return Verdict(State.PROGRESSING, "WorkloadsNotReady", counts)
