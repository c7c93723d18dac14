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

The full recomputation is the same code fed every stored key at once (`snapshot.build_snapshot`);
tests check that a sequence of incremental updates and the full recomputation agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sovwatch.model import graph
from sovwatch.model.events import EventRecord, normalize, normalized_for
from sovwatch.model.flux_sources import SOURCE_KINDS, classify_source, upstream_of
from sovwatch.model.helmrelease import classify_helmrelease, dependencies, source_of
from sovwatch.model.index import RelationIndex
from sovwatch.model.kustomization import classify_kustomization, inventory_helmreleases
from sovwatch.model.outcome import Outcome, decide_outcome
from sovwatch.model.pod import PodHealth, assess_pod, claims_of
from sovwatch.model.progress import Progress, expected_releases, summarize
from sovwatch.model.release import ReleaseCore, assemble_release
from sovwatch.model.rootcause import RootCause, blocked_by, find_root_cause
from sovwatch.model.settings import ModelSettings
from sovwatch.model.states import State, Verdict
from sovwatch.model.timeline import Timeline
from sovwatch.model.volumes import VolumeHealth, assess_volume, classify_volume_attachment
from sovwatch.model.workloads import (
    WORKLOAD_KINDS,
    classify_workload,
    is_top_level,
    own_claims,
    ownership,
    release_claims,
)
from sovwatch.store.store import Store

Key = tuple[str, str, str]
HR = "HelmRelease"
PVC = "PersistentVolumeClaim"
VA = "VolumeAttachment"


@dataclass(frozen=True, slots=True)
class ObjectRow:
    """One watched object's verdict, for the snapshot's `objects` list."""

    kind: str
    api_version: str
    namespace: str
    name: str
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class RolloutUpdate:
    """What one `update` recomputed, and the rollout's standing after it."""

    releases: frozenset[Key]
    objects: frozenset[Key]
    progress: Progress
    outcome: Outcome


@dataclass
class _Work:
    objects: set[Key] = field(default_factory=set)
    pods: set[Key] = field(default_factory=set)
    pvcs: set[Key] = field(default_factory=set)
    releases: set[Key] = field(default_factory=set)
    root_causes: set[Key] = field(default_factory=set)
    graph: bool = False
    inventory: bool = False


@dataclass
class Rollout:
    """The picture of a rollout, kept current by `update`. Read its public fields; do not modify."""

    settings: ModelSettings = field(default_factory=ModelSettings)
    started_at: float | None = None
    """When the watch began (defaults to the first update's `now`)."""
    index: RelationIndex = field(default_factory=RelationIndex)
    timeline: Timeline = field(default_factory=Timeline)
    releases: dict[Key, ReleaseCore] = field(default_factory=dict)
    root_causes: dict[Key, RootCause] = field(default_factory=dict)
    blocked: dict[Key, tuple[Key, ...]] = field(default_factory=dict)
    objects: dict[Key, ObjectRow] = field(default_factory=dict)
    pods: dict[Key, PodHealth] = field(default_factory=dict)
    volumes: dict[Key, VolumeHealth] = field(default_factory=dict)
    events: dict[Key, EventRecord] = field(default_factory=dict)
    graph_report: graph.GraphReport = field(default_factory=lambda: graph.analyse({}))
    progress: Progress = field(
        default_factory=lambda: summarize({}, expected=0, expected_source="seen")
    )
    outcome: Outcome = Outcome.IN_PROGRESS
    first_release_at: float | None = None
    _helm: dict[Key, Verdict] = field(default_factory=dict)
    _sources: dict[Key, Verdict] = field(default_factory=dict)
    _workloads: dict[Key, tuple[dict, Verdict]] = field(default_factory=dict)
    _inventories: dict[Key, frozenset[Key]] = field(default_factory=dict)
    _inventory_count: int = 0
    _attachments: dict[Key, Verdict] = field(default_factory=dict)
    _detaching: set[Key] = field(default_factory=set)
    _counts: Counter = field(default_factory=Counter)
    _hopeless: set[Key] = field(default_factory=set)
    _reconciled: set[Key] = field(default_factory=set)

    def update(self, store: Store, changed: Iterable[Key], now: float) -> RolloutUpdate:
        """Fold changed keys (from `store.drain_changes()`) into the picture, at wall-clock `now`."""
        if self.started_at is None:
            self.started_at = now
        work = _Work()
        for key in changed:
            self._on_change(store, key, work)
        for key in sorted(self._detaching | {k for k in work.objects if k[0] == VA}):
            self._refresh_attachment(store, key, work, now)
        for key in sorted(work.pods):
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

    # -- per kind ------------------------------------------------------------------------------

    def _on_change(self, store: Store, key: Key, work: _Work) -> None:
        kind = key[0]
        obj = store.get(*key)
        idx = self.index
        if kind == "Event":
            record = normalize(obj) if obj is not None else None
            if record is None:
                self.events.pop(key, None)
            else:
                self.events[key] = record
            for involved in idx.event_involved.relink(key, [record.involved] if record else []):
                if involved[0] == "Pod":
                    work.pods.add(involved)
                elif involved[0] == PVC:
                    work.pvcs.add(involved)
            return
        work.objects.add(key)
        if kind == "Pod":
            work.pods.add(key)
        elif kind == PVC:
            work.pvcs.add(key)
            pv = (obj or {}).get("spec", {}).get("volumeName")
            idx.pvc_pv.relink(key, [pv] if pv else [])
            claims = own_claims(obj) if obj is not None else ()
            work.releases |= idx.releases_of_claims(idx.pvc_claims.relink(key, claims))
        elif kind == VA:
            pv = ((obj or {}).get("spec", {}).get("source") or {}).get("persistentVolumeName")
            work.pvcs |= idx.pvcs_of_pv(idx.va_pv.relink(key, [pv] if pv else []))
        elif kind in WORKLOAD_KINDS:
            self._on_workload(store, key, obj, work)
        elif kind == HR:
            self._on_helmrelease(store, key, obj, work)
        elif kind in SOURCE_KINDS:
            self._on_source(key, obj, work)
        elif kind == "Kustomization":
            work.inventory = True
            self._inventories.pop(key, None)
            if obj is not None:
                self._inventories[key] = inventory_helmreleases(obj)
            self._set_row(key, obj, classify_kustomization(obj) if obj else None)

    def _on_workload(self, store: Store, key: Key, obj: dict | None, work: _Work) -> None:
        claims: tuple = ()
        if obj is None:
            self._workloads.pop(key, None)
            self._set_row(key, None, None)
        else:
            verdict = classify_workload(obj)
            self._set_row(key, obj, verdict)
            if is_top_level(obj):
                self._workloads[key] = (obj, verdict)
                claims = ownership(obj, store.get).claims
            else:
                self._workloads.pop(key, None)
        work.releases |= self.index.releases_of_claims(
            self.index.workload_claims.relink(key, claims)
        )
        work.pods |= self.index.pod_owners.sources(key)

    def _on_helmrelease(self, store: Store, key: Key, obj: dict | None, work: _Work) -> None:
        idx = self.index
        work.releases.add(key)
        claims: tuple = ()
        deps: list[Key] = []
        source: list[Key] = []
        if obj is None:
            self._helm.pop(key, None)
            self._set_row(key, None, None)
        else:
            verdict = classify_helmrelease(obj)
            self._helm[key] = verdict
            self._set_row(key, obj, verdict)
            claims = release_claims(obj)
            deps = [(HR, ns, name) for ns, name in dependencies(obj)]
            source = [s] if (s := source_of(obj)) else []
            if self.first_release_at is None:
                self.first_release_at = store.first_seen.get(key)
        if (obj is None) != (key not in self.releases) or tuple(deps) != idx.hr_deps.targets(key):
            work.graph = True
        idx.hr_claims.relink(key, claims)
        idx.hr_deps.relink(key, deps)
        idx.hr_source.relink(key, source)

    def _on_source(self, key: Key, obj: dict | None, work: _Work) -> None:
        upstream: list[Key] = []
        if obj is None:
            self._sources.pop(key, None)
            self._set_row(key, None, None)
        else:
            verdict = classify_source(obj)
            self._sources[key] = verdict
            self._set_row(key, obj, verdict)
            upstream = [u] if (u := upstream_of(obj)) else []
        self.index.chart_upstream.relink(key, upstream)
        work.root_causes |= self.index.hr_source.sources(key)
        for chart in self.index.chart_upstream.sources(key):
            work.root_causes |= self.index.hr_source.sources(chart)

    # -- derived state -------------------------------------------------------------------------

    def _refresh_attachment(self, store: Store, key: Key, work: _Work, now: float) -> None:
        obj = store.get(*key)
        verdict = None
        if obj is not None:
            verdict = classify_volume_attachment(
                obj, now=now, stuck_after=self.settings.stuck_detach_after
            )
        if key not in work.objects and verdict == self._attachments.get(key):
            return
        self._set_row(key, obj, verdict)
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

    def _refresh_pod(self, store: Store, key: Key, work: _Work) -> None:
        idx = self.index
        obj = store.get(*key)
        before = idx.releases_of_pod(key) | set(idx.pod_pvcs.targets(key))
        if obj is None:
            for links in (idx.pod_claims, idx.pod_owners, idx.pod_pvcs):
                links.relink(key, ())
            self.pods.pop(key, None)
            self._set_row(key, None, None)
        else:
            own = ownership(obj, store.get)
            idx.pod_claims.relink(key, own.claims)
            idx.pod_owners.relink(key, own.owners)
            idx.pod_pvcs.relink(key, [(PVC, key[1], claim) for claim in claims_of(obj)])
            health = assess_pod(obj, normalized_for(store.events_for(*key)))
            self.pods[key] = health
            self._set_row(key, obj, health.verdict)
        work.objects.add(key)
        after = idx.releases_of_pod(key) | set(idx.pod_pvcs.targets(key))
        for k in before | after:
            (work.pvcs if k[0] == PVC else work.releases).add(k)

    def _refresh_volume(self, store: Store, key: Key, work: _Work) -> None:
        idx = self.index
        obj = store.get(*key)
        if obj is None:
            self.volumes.pop(key, None)
            self._set_row(key, None, None)
        else:
            consumers = sorted(idx.pod_pvcs.sources(key))
            attachments = sorted(idx.va_pv.sources_of_all(idx.pvc_pv.targets(key)))
            health = assess_volume(
                obj,
                normalized_for(store.events_for(*key)),
                attachments=[self._attachments[a] for a in attachments if a in self._attachments],
                consumers=[p for k in consumers if (p := store.get(*k)) is not None],
                consumer_events=[
                    e for k in consumers if k in self.pods and (e := self.pods[k].volume_event)
                ],
            )
            self.volumes[key] = health
            self._set_row(key, obj, health.verdict)
        work.objects.add(key)
        work.releases |= idx.releases_of_pvc(key)

    def _refresh_release(self, store: Store, key: Key, work: _Work) -> None:
        idx = self.index
        old = self.releases.pop(key, None)
        if old is not None:
            self._counts[old.verdict.state] -= 1
        self._reconciled.discard(key)
        obj = store.get(*key)
        if obj is None or key not in self._helm:
            return
        pods = idx.pods_of_release(key)
        core = assemble_release(
            obj,
            self._helm[key],
            workloads=[
                self._workloads[w]
                for w in sorted(idx.workloads_of_release(key))
                if w in self._workloads
            ],
            pods=[self.pods[p] for p in sorted(pods) if p in self.pods],
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
            self.root_causes[key] = cause
            if core.verdict.state is State.WAITING and cause.hopeless:
                self._hopeless.add(key)

    def _source(self, key: Key) -> tuple[Verdict, Key | None] | None:
        verdict = self._sources.get(key)
        if verdict is None:
            return None
        upstream = self.index.chart_upstream.targets(key)
        return verdict, (upstream[0] if upstream else None)

    def _count_inventory(self) -> int:
        wanted = self.settings.bootstrap_kustomization
        if wanted:
            ns, _, name = wanted.partition("/")
            return len(self._inventories.get(("Kustomization", ns, name), ()))
        return len(frozenset().union(*self._inventories.values())) if self._inventories else 0

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

    def _set_row(self, key: Key, obj: dict | None, verdict: Verdict | None) -> None:
        if obj is None or verdict is None:
            self.objects.pop(key, None)
            return
        self.objects[key] = ObjectRow(
            key[0], str(obj.get("apiVersion", "")), key[1], key[2], verdict
        )
