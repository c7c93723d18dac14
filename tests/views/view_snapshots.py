"""Snapshots for view tests, built from the model's own types as `snapshot_of` builds them.

Each builder takes only what a test varies; the rest is what a bootstrap-kit rollout really shows.
"""

from __future__ import annotations

from dataclasses import replace

from sovwatch.model.intake import ObjectRow
from sovwatch.model.progress import Progress
from sovwatch.model.release import ReleaseCore, WorkloadSummary
from sovwatch.model.rootcause import Cause, RootCause
from sovwatch.model.snapshot import ClusterInfo, ReleaseView, Snapshot
from sovwatch.model.states import State, Verdict
from sovwatch.sources.events import HealthState, StreamHealth

T0 = 1_795_781_071.0  # 2026-11-27T12:04:31Z
HR = "HelmRelease"

MSG_INSTALLING = "Running 'install' action with timeout of 5m0s"
MSG_DEPENDENCY = "dependency 'flux-system/{dep}' is not ready"
MSG_INSTALLED = "Helm install succeeded for release {ns}/{name}.v1 with chart {chart}@{version}"
MSG_MULTI_ATTACH = (
    'Multi-Attach error for volume "pvc-7c1d2f3a-1b2c-4d5e-8f90-123456789abc" Volume is already '
    "used by pod(s) loki-0-old"
)


def release(
    name: str,
    state: str,
    *,
    reason: str,
    message: str,
    ready: int = 0,
    total: int = 0,
    blocked_by: tuple[str, ...] = (),
    root_cause: RootCause | None = None,
    namespace: str = "flux-system",
) -> ReleaseView:
    verdict = Verdict(State(state), reason, message)
    deps = tuple((HR, "flux-system", b) for b in blocked_by)
    core = ReleaseCore(
        key=(HR, namespace, name),
        helm=verdict,
        verdict=verdict,
        since=T0,
        chart=f"{name.removeprefix('bp-')}@1.0.0",
        depends_on=deps,
        source=None,
        workloads=WorkloadSummary(State(state), ready, total),
        pods=(),
        volumes=(),
        reconciled=True,
    )
    return ReleaseView(core, deps, root_cause, None, None)


def reworded(view: ReleaseView, message: str) -> ReleaseView:
    """The same release saying `message`."""
    verdict = replace(view.verdict, message=message)
    return replace(view, core=replace(view.core, verdict=verdict, helm=verdict))


def pod_object(namespace: str, name: str, state: str, reason: str, message: str = "") -> ObjectRow:
    return ObjectRow("Pod", "v1", namespace, name, Verdict(State(state), reason, message))


def stream(resource: str, state: HealthState = HealthState.LIVE) -> StreamHealth:
    return StreamHealth(resource, state, since=T0 - 1)


def snapshot(
    releases: list[ReleaseView],
    *,
    outcome: str = "in-progress",
    expected: int | None = None,
    objects: list[ObjectRow] = (),
    streams: list[StreamHealth] | None = None,
) -> Snapshot:
    def count(*states: str) -> int:
        return sum(1 for r in releases if r.verdict.state in states)

    hr_objects = [
        ObjectRow(HR, "helm.toolkit.fluxcd.io/v2", r.key[1], r.key[2], r.verdict) for r in releases
    ]
    progress = Progress(
        ready=count("ready"),
        total=len(releases),
        expected=expected or len(releases),
        expected_source="seen",
        failed=count("failed", "stalled"),
        stalled=0,
        waiting=count("waiting"),
        progressing=count("progressing"),
        suspended=0,
        unknown=0,
    )
    return Snapshot(
        cluster=ClusterInfo(context="sov-prod", server="https://10.0.0.1:6443"),
        observed_at=T0,
        outcome=outcome,
        eta=None,
        progress=progress,
        waves=(),
        critical_path=(),
        cycles=(),
        missing=(),
        streams=tuple(streams)
        if streams is not None
        else (stream("helmreleases.helm.toolkit.fluxcd.io"), stream("pods")),
        releases=tuple(releases),
        objects=tuple(hr_objects + list(objects)),
        events=(),
    )


def cilium(state: str = "ready") -> ReleaseView:
    if state == "ready":
        return release(
            "bp-cilium",
            "ready",
            reason="InstallSucceeded",
            ready=2,
            total=2,
            message=MSG_INSTALLED.format(
                ns="kube-system", name="cilium", chart="cilium", version="1.16.5"
            ),
        )
    return release("bp-cilium", "progressing", reason="Progressing", message=MSG_INSTALLING)


def loki(state: str) -> ReleaseView:
    if state == "waiting":
        return release(
            "bp-loki",
            "waiting",
            reason="DependencyNotReady",
            message=MSG_DEPENDENCY.format(dep="bp-seaweedfs"),
            blocked_by=("bp-seaweedfs",),
        )
    if state == "progressing":
        return release(
            "bp-loki", "progressing", reason="Progressing", message=MSG_INSTALLING, total=1
        )
    return release(
        "bp-loki",
        "ready",
        reason="InstallSucceeded",
        ready=1,
        total=1,
        message=MSG_INSTALLED.format(ns="loki", name="loki", chart="loki", version="6.6.2"),
    )


def grafana_blocked() -> ReleaseView:
    return release(
        "bp-grafana",
        "waiting",
        reason="DependencyNotReady",
        message=MSG_DEPENDENCY.format(dep="bp-loki"),
        blocked_by=("bp-loki",),
        root_cause=RootCause(
            Cause(
                "Pod", "loki", "loki-0", State.PROGRESSING, "FailedAttachVolume", MSG_MULTI_ATTACH
            ),
            chain=("bp-grafana", "bp-loki", "pod loki/loki-0 ContainerCreating", MSG_MULTI_ATTACH),
            releases=((HR, "flux-system", "bp-grafana"), (HR, "flux-system", "bp-loki")),
        ),
    )
