"""The `sovwatch.snapshot/v1` contract: one frozen picture that every view and output reads.

JSON shape (documented in the README; field names are the contract):
    schema, cluster {context, server, warnings}, observedAt, outcome, waitingFor, eta, etaDetail {finished,
    typicalStepSeconds, unknownBecause}, progress {ready, total, expected,
    expectedSource, failed, stalled, waiting, progressing, suspended, unknown},
    graph {waves, criticalPath, cycles, missing}, streams [{resource, state, since, attempt,
    detail}],
    releases [{namespace, name, state, reason, message, since, chart, dependsOn, blockedBy,
    rootCause {kind, namespace, name, state, reason, message, chain} | null, helm {state, reason,
    message}, wave, workloads {state, ready, total}, timeline {firstSeen, started, ready,
    durationSeconds, installed, workloadsReady, basis {firstSeen, started, ready}} | null, pods [{namespace, name, state, reason, status, message, ready,
    containers, restarts, probes {readiness, liveness, startup: {state, failures, lastMessage}},
    containerStatuses [{name, init, ready, started, restarts, state, reason, message, exitCode,
    lastTermination {reason, exitCode, finishedAt, message} | null, probes {readiness, liveness, startup}}]}],
    volumes [{namespace, name, phase, attach, state, reason, message, consumers}]}],
    objects [{kind, apiVersion, namespace, name, state, reason, message}] (every watched object
    except Events), events [{namespace, involvedObject {kind, namespace, name}, type, reason,
    message, count, firstSeen, lastSeen, source}] (recent warnings, newest first),
    stale {since, ageSeconds} | null (a picture from the disk cache, not from the cluster).
Times are RFC 3339 UTC strings; `eta` is seconds or null.

Cost: `snapshot_of` reuses the previous snapshot's view of every release whose inputs are the same
objects (`Rollout.snapshot_memo`), and views and object rows build their JSON document once, so a
refresh after a small change re-serialises only what changed. Documents therefore share unchanged
parts: treat them as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sovwatch.model import eta
from sovwatch.model.awaiting import HELMRELEASES, waiting_for
from sovwatch.model.controller_log import ControllerLine
from sovwatch.model.events import EventRecord, dedupe, ordered
from sovwatch.model.intake import ObjectRow
from sovwatch.model.pod import ContainerHealth, PodHealth
from sovwatch.model.probes import PROBE_KINDS
from sovwatch.model.progress import Progress
from sovwatch.model.release import ReleaseCore, WorkloadSummary
from sovwatch.model.rollout import Rollout
from sovwatch.model.rootcause import RootCause
from sovwatch.model.settings import ModelSettings
from sovwatch.model.states import Verdict
from sovwatch.model.timeline import ReleaseTimes, Timeline
from sovwatch.model.times import format_time
from sovwatch.model.volumes import VolumeHealth
from sovwatch.sources.events import StreamHealth
from sovwatch.store.store import Store, object_key

SCHEMA = "sovwatch.snapshot/v1"
Key = tuple[str, str, str]


def _ref(key: Key) -> str:
    return f"{key[1]}/{key[2]}"


def _verdict(v: Verdict) -> dict:
    return {"state": str(v.state), "reason": v.reason, "message": v.message}


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    context: str = ""
    server: str = ""
    warnings: tuple[str, ...] = ()
    """Things about the connection the operator must see (insecure-skip-tls-verify), one line each."""


@dataclass(frozen=True)
class ReleaseView:
    """One release as the snapshot shows it. `snapshot_of` reuses the previous snapshot's view while
    its inputs are unchanged, so its document is built once, not on every refresh."""

    core: ReleaseCore
    blocked_by: tuple[Key, ...]
    root_cause: RootCause | None
    wave: int | None
    timeline: ReleaseTimes | None
    controller_log: tuple[ControllerLine, ...] = ()
    """helm-controller's lines about the release (read while it was failing)."""

    @property
    def key(self) -> Key:
        return self.core.key

    @property
    def verdict(self) -> Verdict:
        """The release's state under the combination rule, its reason and message."""
        return self.core.verdict

    def same_inputs(self, other: ReleaseView) -> bool:
        """Cheap equality: the core is replaced whenever the release is re-assembled."""
        return (
            self.core is other.core
            and self.wave == other.wave
            and self.blocked_by == other.blocked_by
            and self.root_cause == other.root_cause
            and self.timeline == other.timeline
            and self.controller_log is other.controller_log
        )

    def to_dict(self) -> dict:
        """The release's JSON document, built once per view: treat it as read-only."""
        return self.document

    @cached_property
    def document(self) -> dict:
        c = self.core
        return {
            "namespace": c.key[1],
            "name": c.key[2],
            **_verdict(c.verdict),
            "since": format_time(c.since),
            "chart": c.chart,
            "dependsOn": [_ref(k) for k in c.depends_on],
            "blockedBy": [_ref(k) for k in self.blocked_by],
            "rootCause": self.root_cause.to_dict() if self.root_cause else None,
            "helm": _verdict(c.helm),
            "wave": self.wave,
            "workloads": c.workloads.to_dict(),
            "timeline": self.timeline.to_dict() if self.timeline else None,
            "pods": [_pod(p) for p in c.pods],
            "volumes": [_volume(v) for v in c.volumes],
            "helmControllerLog": [line.to_dict() for line in self.controller_log],
        }


def _pod(p: PodHealth) -> dict:
    probes = p.probes
    return {
        "namespace": p.key[1],
        "name": p.key[2],
        **_verdict(p.verdict),
        "status": p.status,
        "ready": p.ready,
        "containers": p.total,
        "restarts": p.restarts,
        "probes": {k: probes[k].to_dict() for k in PROBE_KINDS},
        "containerStatuses": [_container(c) for c in p.containers],
    }


def _container(c: ContainerHealth) -> dict:
    last = c.last_termination
    return {
        "name": c.name,
        "init": c.init,
        "ready": c.ready,
        "started": c.started,
        "restarts": c.restarts,
        "state": c.state,
        "reason": c.reason,
        "message": c.message,
        "exitCode": c.exit_code,
        "lastTermination": None
        if last is None
        else {
            "reason": last.reason,
            "exitCode": last.exit_code,
            "finishedAt": format_time(last.finished_at),
            "message": last.message,
        },
        "probes": {k: c.probes[k].to_dict() for k in PROBE_KINDS},
    }


def _volume(v: VolumeHealth) -> dict:
    return {
        "namespace": v.key[1],
        "name": v.key[2],
        "phase": v.phase,
        "attach": v.attach,
        **_verdict(v.verdict),
        "consumers": list(v.consumers),
    }


def _stream(h: StreamHealth) -> dict:
    return {
        "resource": h.resource,
        "state": str(h.state),
        "since": format_time(h.since),
        "attempt": h.attempt,
        "detail": h.detail,
    }


def _event(e: EventRecord) -> dict:
    kind, ns, name = e.involved
    return {
        "namespace": ns,
        "involvedObject": {"kind": kind, "namespace": ns, "name": name},
        "type": e.type,
        "reason": e.reason,
        "message": e.message,
        "count": e.count,
        "firstSeen": format_time(e.first),
        "lastSeen": format_time(e.last),
        "source": e.source,
    }


@dataclass(frozen=True, slots=True)
class Stale:
    """The snapshot is the last picture kept on disk (`sources.disk_cache`), not what the cluster
    shows now: views mark it, and nothing decides from it."""

    since: float
    """When the picture was taken (epoch seconds)."""

    def age(self, now: float) -> float:
        return max(now - self.since, 0.0)


@dataclass(frozen=True, slots=True)
class Snapshot:
    cluster: ClusterInfo
    observed_at: float
    outcome: str
    eta: float | None
    progress: Progress
    waves: tuple[tuple[Key, ...], ...]
    critical_path: tuple[Key, ...]
    cycles: tuple[tuple[Key, ...], ...]
    missing: tuple[tuple[Key, Key], ...]
    streams: tuple[StreamHealth, ...]
    """Every watched resource's stream health, by resource."""
    releases: tuple[ReleaseView, ...]
    objects: tuple[ObjectRow, ...]
    events: tuple[EventRecord, ...]
    eta_detail: eta.Estimate | None = None
    waiting_for: str | None = None
    """What sovwatch waits for while no HelmRelease exists (`awaiting.waiting_for`)."""
    stale: Stale | None = None
    """Set on a cached picture shown until the cluster's own arrives."""
    schema: str = SCHEMA

    def release(self, namespace: str, name: str) -> ReleaseView | None:
        return next((r for r in self.releases if r.core.key[1:] == (namespace, name)), None)

    def to_dict(self) -> dict:
        return {
            "schema": self.schema,
            "cluster": {
                "context": self.cluster.context,
                "server": self.cluster.server,
                "warnings": list(self.cluster.warnings),
            },
            "observedAt": format_time(self.observed_at),
            "outcome": self.outcome,
            "waitingFor": self.waiting_for,
            "eta": self.eta,
            "etaDetail": self.eta_detail.to_dict() if self.eta_detail else None,
            "progress": self.progress.to_dict(),
            "graph": {
                "waves": [[_ref(k) for k in wave] for wave in self.waves],
                "criticalPath": [_ref(k) for k in self.critical_path],
                "cycles": [[_ref(k) for k in c] for c in self.cycles],
                "missing": [{"release": _ref(r), "dependency": _ref(d)} for r, d in self.missing],
            },
            "streams": [_stream(s) for s in self.streams],
            "releases": [r.to_dict() for r in self.releases],
            "objects": [o.to_dict() for o in self.objects],
            "events": [_event(e) for e in self.events],
            "stale": None
            if self.stale is None
            else {
                "since": format_time(self.stale.since),
                "ageSeconds": round(self.stale.age(self.observed_at), 1),
            },
        }


def snapshot_of(
    rollout: Rollout, store: Store, *, now: float, cluster: ClusterInfo | None = None
) -> Snapshot:
    """Assemble the snapshot from a rollout's cached picture (no classification happens here)."""
    report = rollout.graph_report
    deps = {k: r.depends_on for k, r in rollout.releases.items()}
    states = {k: r.verdict.state for k, r in rollout.releases.items()}
    estimate = eta.estimate(
        rollout.timeline,
        deps,
        states,
        report,
        now,
        min_finished=rollout.settings.eta_min_finished,
    )
    memo = rollout.snapshot_memo
    views: dict[Key, object] = {}
    for key, core in rollout.releases.items():
        view = ReleaseView(
            core,
            rollout.blocked.get(key, ()),
            rollout.root_causes.get(key),
            report.waves.get(key),
            rollout.timeline.releases.get(key),
            rollout.intake.controller_logs.get(key, ()),
        )
        previous = memo.views.get(key)
        views[key] = (
            previous if isinstance(previous, ReleaseView) and previous.same_inputs(view) else view
        )
    memo.views = views
    releases = tuple(
        view
        for key, view in sorted(
            views.items(), key=lambda kv: (_wave_order(report.waves.get(kv[0])), kv[0])
        )
    )
    if memo.warnings[0] != rollout.intake.events_revision:
        memo.warnings = (
            rollout.intake.events_revision,
            ordered(e for e in dedupe(rollout.events.values()) if e.is_warning),
        )
    warnings = memo.warnings[1]
    streams = tuple(h for _, h in sorted(store.health.items()))
    hr_stream = store.health.get(HELMRELEASES)
    return Snapshot(
        cluster=cluster or ClusterInfo(),
        observed_at=now,
        outcome=str(rollout.outcome),
        waiting_for=waiting_for(
            len(rollout.releases),
            str(hr_stream.state) if hr_stream else None,
            hr_stream.detail if hr_stream else "",
        ),
        eta=estimate.seconds,
        eta_detail=estimate,
        progress=rollout.progress,
        waves=tuple(tuple(w) for w in report.by_wave()),
        critical_path=estimate.path,
        cycles=report.cycles,
        missing=report.missing,
        streams=streams,
        releases=releases,
        objects=_objects_in_order(rollout),
        events=tuple(warnings[: rollout.settings.recent_events]),
    )


def _objects_in_order(rollout: Rollout) -> tuple[ObjectRow, ...]:
    """Every object row sorted by key; the sort is redone only when keys came or went."""
    memo, revision = rollout.snapshot_memo, rollout.intake.object_keys_revision
    if memo.object_order[0] != revision:
        memo.object_order = (revision, tuple(sorted(rollout.objects)))
    return tuple(map(rollout.objects.__getitem__, memo.object_order[1]))


def _wave_order(wave: int | None) -> int:
    return 1_000_000 if wave is None else wave


def build_snapshot(
    store: Store,
    *,
    now: float,
    settings: ModelSettings | None = None,
    cluster: ClusterInfo | None = None,
    started_at: float | None = None,
    timeline: Timeline | None = None,
) -> Snapshot:
    """The full recomputation: every stored object classified and joined from scratch.

    `timeline` (e.g. a live Rollout's) is copied, never modified.
    """
    rollout = Rollout(
        settings=settings or ModelSettings(),
        started_at=started_at,
        timeline=Timeline(dict(timeline.releases)) if timeline is not None else Timeline(),
    )
    keys = [object_key(obj) for kind in store.kinds() for obj in store.objects(kind)]
    rollout.update(store, keys, now)
    return snapshot_of(rollout, store, now=now, cluster=cluster)


__all__ = [
    "SCHEMA",
    "ClusterInfo",
    "ReleaseView",
    "Snapshot",
    "WorkloadSummary",
    "build_snapshot",
    "snapshot_of",
]
