"""The incremental rollout model: store changes in, updated picture out.

`Rollout.update(store, changed, now)` does work proportional to what changed, not to the store:
- per-object verdicts (pods with their events, PVCs, VolumeAttachments, Flux objects, workloads) are
  cached and recomputed only for changed objects and the objects whose inputs they are;
- relations (pod → release claims, owner chains, PV ↔ PVC ↔ VolumeAttachment, dependsOn, sources)
  live in `index.RelationIndex`, updated one object at a time;
- a release is re-assembled only when its HelmRelease, one of its pods, workloads or volumes changed;
  root causes are recomputed for those releases, for releases whose source changed, and for everything
  that (transitively) depends on them;
- progress counters are adjusted by the releases that were re-assembled; the dependency graph (waves)
  is re-analysed only when a dependsOn list or the set of releases changed.
Time-dependent verdicts (a VolumeAttachment detaching for too long) are re-evaluated on every update,
but only for the few attachments that are detaching.

An update runs in two phases: `intake.Intake` takes each changed key in (objects judged on their
own, relations, what became stale), then this module recomputes the stale derived state in
dependency order (attachments, pods, PVCs, releases, graph, root causes, timeline, outcome).

The full recomputation is the same code fed every stored key at once (`snapshot.build_snapshot`);
tests check that a sequence of incremental updates and the full recomputation agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sovwatch.model import graph
from sovwatch.model.controller_log import controller_log_targets
from sovwatch.model.events import EventRecord
from sovwatch.model.helmrelease import judge_with_source
from sovwatch.model.index import RelationIndex
from sovwatch.model.intake import PVC, VA, Intake, ObjectRow, Work
from sovwatch.model.outcome import Outcome, decide_outcome
from sovwatch.model.pod import PodHealth, assess_pod, claims_of
from sovwatch.model.progress import Progress, expected_releases, summarize
from sovwatch.model.release import ReleaseCore, assemble_release
from sovwatch.model.root_cause_logs import log_targets, with_excerpt
from sovwatch.model.rootcause import RootCause, blocked_by, find_root_cause
from sovwatch.model.settings import ModelSettings
from sovwatch.model.states import State, Verdict
from sovwatch.model.timeline import Timeline
from sovwatch.model.volumes import VolumeHealth, assess_volume, classify_volume_attachment
from sovwatch.model.workloads import ownership
from sovwatch.sources.events import ControllerLogTarget, LogTarget
from sovwatch.store.store import Store

Key = tuple[str, str, str]
__all__ = ["ObjectRow", "Rollout", "RolloutUpdate", "SnapshotMemo"]


@dataclass(frozen=True, slots=True)
class RolloutUpdate:
    """What one `update` recomputed, and the rollout's standing after it."""

    releases: frozenset[Key]
    objects: frozenset[Key]
    progress: Progress
    outcome: Outcome


@dataclass
class SnapshotMemo:
    """What `snapshot.snapshot_of` reuses from the previous snapshot, so that a refresh after a
    small change does not rebuild (and re-serialise) what did not change."""

    views: dict[Key, object] = field(default_factory=dict)
    """The last `snapshot.ReleaseView` of each release, with its built document."""
    object_order: tuple[int, tuple[Key, ...]] = (-1, ())
    """(`Intake.object_keys_revision`, the object keys sorted) as of the last snapshot."""
    warnings: tuple[int, list[EventRecord]] = (-1, [])
    """(`Intake.events_revision`, the Warning Events deduplicated and ordered) as of the last
    snapshot: Events change far less often than the snapshot is taken."""


@dataclass
class Rollout:
    """The picture of a rollout, kept current by `update`. Read its public fields; do not modify."""

    settings: ModelSettings = field(default_factory=ModelSettings)
    started_at: float | None = None
    """When the watch began (defaults to the first update's `now`)."""
    intake: Intake = field(default_factory=Intake)
    """Phase one: per-object verdicts, events and the relation index."""
    timeline: Timeline = field(default_factory=Timeline)
    releases: dict[Key, ReleaseCore] = field(default_factory=dict)
    root_causes: dict[Key, RootCause] = field(default_factory=dict)
    blocked: dict[Key, tuple[Key, ...]] = field(default_factory=dict)
    pods: dict[Key, PodHealth] = field(default_factory=dict)
    volumes: dict[Key, VolumeHealth] = field(default_factory=dict)
    graph_report: graph.GraphReport = field(default_factory=lambda: graph.analyse({}))
    progress: Progress = field(
        default_factory=lambda: summarize({}, expected=0, expected_source="seen")
    )
    outcome: Outcome = Outcome.IN_PROGRESS
    _inventory_count: int = 0
    _attachments: dict[Key, Verdict] = field(default_factory=dict)
    _detaching: set[Key] = field(default_factory=set)
    _counts: Counter = field(default_factory=Counter)
    _hopeless: set[Key] = field(default_factory=set)
    _reconciled: set[Key] = field(default_factory=set)
    _assessed: dict[Key, tuple[dict, Sequence[EventRecord]]] = field(default_factory=dict)
    """The inputs (the stored pod, `Intake.events_about` it) of each pod's `pods` entry: a pod
    re-judged because an owner or an excerpt changed keeps its assessment (store objects and
    those sequences are replaced, never modified, and no Events is always the same empty one,
    so identity says "unchanged")."""
    snapshot_memo: SnapshotMemo = field(default_factory=lambda: SnapshotMemo(), repr=False)
    """Kept by `snapshot.snapshot_of` between snapshots; the model itself never reads it."""

    @property
    def index(self) -> RelationIndex:
        return self.intake.index

    @property
    def objects(self) -> dict[Key, ObjectRow]:
        return self.intake.objects

    @property
    def events(self) -> dict[Key, EventRecord]:
        return self.intake.events

    @property
    def first_release_at(self) -> float | None:
        return self.intake.first_release_at

    def update(self, store: Store, changed: Iterable[Key], now: float) -> RolloutUpdate:
        """Fold changed keys (from `store.drain_changes()`) into the picture, at wall-clock `now`."""
        if self.started_at is None:
            self.started_at = now
        work = Work()
        for key in changed:
            self.intake.take(store, key, work)
        for key in sorted(self._detaching | {k for k in work.objects if k[0] == VA}):
            self._refresh_attachment(store, key, work, now)
        for key in work.pods:  # each pod is judged on its own: in any order
            self._refresh_pod(store, key, work)
        for key in sorted(work.pvcs):
            self._refresh_volume(store, key, work)
        for key in sorted(work.releases):
            self._refresh_release(store, key, work)
        if work.graph:
            self.graph_report = graph.analyse({k: r.depends_on for k, r in self.releases.items()})
        if work.inventory:
            self._inventory_count = self._count_inventory()
        for key in self.index.dependants_closure(work.releases | work.root_causes):
            self._refresh_root_cause(key)
        self.timeline.observe(
            ((k, self.releases.get(k), store.first_seen.get(k)) for k in sorted(work.releases)),
            now,
        )
        self._decide(now)
        return RolloutUpdate(
            frozenset(work.releases), frozenset(work.objects), self.progress, self.outcome
        )

    # -- derived state -------------------------------------------------------------------------

    def _refresh_attachment(self, store: Store, key: Key, work: Work, now: float) -> None:
        obj = store.get(*key)
        verdict = None
        if obj is not None:
            verdict = classify_volume_attachment(
                obj, now=now, stuck_after=self.settings.stuck_detach_after
            )
        if key not in work.objects and verdict == self._attachments.get(key):
            return
        self.intake.set_row(key, obj, verdict)
        if verdict is None:
            self._attachments.pop(key, None)
        else:
            self._attachments[key] = verdict
        if (
            obj is not None
            and (obj.get("metadata") or {}).get("deletionTimestamp")
            and (obj.get("status") or {}).get("attached")
        ):
            self._detaching.add(key)
        else:
            self._detaching.discard(key)
        work.objects.add(key)
        work.pvcs |= self.index.pvcs_of_pv(self.index.va_pv.targets(key))

    def _refresh_pod(self, store: Store, key: Key, work: Work) -> None:
        idx = self.index
        obj = store.get(*key)
        before = idx.releases_of_pod(key) | set(idx.pod_pvcs.targets(key))
        if obj is None:
            for links in (idx.pod_claims, idx.pod_owners, idx.pod_pvcs):
                links.relink(key, ())
            self.pods.pop(key, None)
            self._assessed.pop(key, None)
            self.intake.set_row(key, None, None)
        else:
            own = ownership(obj, store.get)
            idx.pod_claims.relink(key, own.claims)
            idx.pod_owners.relink(key, own.owners)
            idx.pod_pvcs.relink(key, [(PVC, key[1], claim) for claim in claims_of(obj)])
            events = self.intake.events_about(store, key)
            inputs = self._assessed.get(key)
            if inputs is None or inputs[0] is not obj or inputs[1] is not events:
                health = assess_pod(obj, events)
                self._assessed[key] = (obj, events)
                self.pods[key] = health
                self.intake.set_row(key, obj, health.verdict)
        work.objects.add(key)
        after = idx.releases_of_pod(key) | set(idx.pod_pvcs.targets(key))
        for k in before | after:
            (work.pvcs if k[0] == PVC else work.releases).add(k)

    def _refresh_volume(self, store: Store, key: Key, work: Work) -> None:
        idx = self.index
        obj = store.get(*key)
        if obj is None:
            self.volumes.pop(key, None)
            self.intake.set_row(key, None, None)
        else:
            consumers = sorted(idx.pod_pvcs.sources(key))
            attachments = sorted(idx.va_pv.sources_of_all(idx.pvc_pv.targets(key)))
            health = assess_volume(
                obj,
                self.intake.events_about(store, key),
                attachments=[self._attachments[a] for a in attachments if a in self._attachments],
                consumers=[p for k in consumers if (p := store.get(*k)) is not None],
                consumer_events=[
                    e for k in consumers if k in self.pods and (e := self.pods[k].volume_event)
                ],
            )
            self.volumes[key] = health
            self.intake.set_row(key, obj, health.verdict)
        work.objects.add(key)
        work.releases |= idx.releases_of_pvc(key)

    def _refresh_release(self, store: Store, key: Key, work: Work) -> None:
        idx = self.index
        old = self.releases.pop(key, None)
        if old is not None:
            self._counts[old.verdict.state] -= 1
        self._reconciled.discard(key)
        obj = store.get(*key)
        if obj is None or key not in self.intake.helm:
            return
        pods = idx.pods_of_release(key)
        helm = self.intake.helm[key]
        source = idx.hr_source.targets(key)
        judged = judge_with_source(helm, self.intake.sources.get(source[0]) if source else None)
        row = self.intake.objects.get(key)
        if row is None or row.verdict != judged:
            self.intake.set_row(key, obj, judged)
        core = assemble_release(
            obj,
            judged,
            workloads=[
                self.intake.workloads[w]
                for w in sorted(idx.workloads_of_release(key))
                if w in self.intake.workloads
            ],
            pods=[self.pods[p] for p in pods if p in self.pods],  # put in order there
            volumes=[
                self.volumes[v] for v in sorted(idx.pvcs_of_release(key, pods)) if v in self.volumes
            ],
        )
        self.releases[key] = core
        self._counts[core.verdict.state] += 1
        if core.reconciled:
            self._reconciled.add(key)

    def _refresh_root_cause(self, key: Key) -> None:
        self.root_causes.pop(key, None)
        self.blocked.pop(key, None)
        self._hopeless.discard(key)
        core = self.releases.get(key)
        if core is None:
            return
        self.blocked[key] = blocked_by(core, self.releases.get)
        cause = find_root_cause(key, release=self.releases.get, source=self._source)
        if cause is not None:
            cause = with_excerpt(cause, self.pods, self.intake.excerpts)
            self.root_causes[key] = cause
            if core.verdict.state is State.WAITING and cause.hopeless:
                self._hopeless.add(key)

    def log_targets(self, store: Store) -> list[LogTarget]:
        """The container runs whose logs would explain the current root causes (for a source
        that fetches them; see `log_excerpts`)."""
        return log_targets(
            (self.root_causes[k] for k in sorted(self.root_causes)),
            self.pods,
            lambda k: str(((store.get(*k) or {}).get("metadata") or {}).get("uid") or ""),
        )

    def controller_log_targets(self) -> list[ControllerLogTarget]:
        """The failed or stalled releases whose helm-controller lines are worth reading."""
        return controller_log_targets(
            (k, c.verdict.state, c.verdict.reason) for k, c in sorted(self.releases.items())
        )

    def _source(self, key: Key) -> tuple[Verdict, Key | None] | None:
        verdict = self.intake.sources.get(key)
        if verdict is None:
            return None
        upstream = self.index.chart_upstream.targets(key)
        return verdict, (upstream[0] if upstream else None)

    def _count_inventory(self) -> int:
        wanted = self.settings.bootstrap_kustomization
        if wanted:
            ns, _, name = wanted.partition("/")
            return len(self.intake.inventories.get(("Kustomization", ns, name), ()))
        return (
            len(frozenset().union(*self.intake.inventories.values()))
            if self.intake.inventories
            else 0
        )

    def _decide(self, now: float) -> None:
        seen = sum(self._counts.values())
        expected, source = expected_releases(
            explicit=self.settings.expect, inventory=self._inventory_count, seen=seen
        )
        self.progress = summarize(self._counts, expected=expected, expected_source=source)
        self.outcome = decide_outcome(
            self.progress,
            blocked_for_good=len(self._hopeless),
            reconciled_any=bool(self._reconciled),
            now=now,
            started_at=self.started_at if self.started_at is not None else now,
            first_release_at=self.first_release_at,
            settings=self.settings,
        )
