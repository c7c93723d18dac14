"""Phase one of a rollout update: take each changed object in, note what it made stale.

Objects that are judged on their own (HelmReleases, Flux sources, Kustomizations, workloads, Events)
are classified here, as they arrive, and their relations (claims, owners, PV links, dependsOn,
sources, involved objects) are re-linked in the `RelationIndex`. What depends on other objects (pods
with their events, PVCs with their attachments, releases with everything they own, root causes) is
only marked in a `Work` record; `rollout.Rollout` recomputes it in phase two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from sovwatch.model.controller_log import ControllerLine, read_controller_log
from sovwatch.model.events import EventRecord, normalize, normalized_for
from sovwatch.model.flux_sources import SOURCE_KINDS, classify_source, upstream_of
from sovwatch.model.helmrelease import classify_helmrelease, dependencies, source_of
from sovwatch.model.index import RelationIndex
from sovwatch.model.kustomization import classify_kustomization, inventory_helmreleases
from sovwatch.model.log_excerpts import LogExcerpt, read_excerpt
from sovwatch.model.states import Verdict
from sovwatch.model.workloads import (
    WORKLOAD_KINDS,
    classify_workload,
    is_top_level,
    own_claims,
    ownership,
    release_claims,
)
from sovwatch.sources.events import CONTROLLER_LOG_KIND, EXCERPT_KIND
from sovwatch.store.store import Store

Key = tuple[str, str, str]
NO_EVENTS: tuple[EventRecord, ...] = ()
HR = "HelmRelease"
PVC = "PersistentVolumeClaim"
VA = "VolumeAttachment"


@dataclass(frozen=True)
class ObjectRow:
    """One watched object's verdict, for the snapshot's `objects` list."""

    kind: str
    api_version: str
    namespace: str
    name: str
    verdict: Verdict

    def to_dict(self) -> dict:
        """Its JSON document, built once per row (rows are replaced when the object changes)."""
        return self.document

    @cached_property
    def document(self) -> dict:
        v = self.verdict
        return {
            "kind": self.kind,
            "apiVersion": self.api_version,
            "namespace": self.namespace,
            "name": self.name,
            "state": str(v.state),
            "reason": v.reason,
            "message": v.message,
        }


@dataclass
class Work:
    """What one update has to recompute after the changes were taken in."""

    objects: set[Key] = field(default_factory=set)
    pods: set[Key] = field(default_factory=set)
    pvcs: set[Key] = field(default_factory=set)
    releases: set[Key] = field(default_factory=set)
    root_causes: set[Key] = field(default_factory=set)
    graph: bool = False
    inventory: bool = False


@dataclass
class Intake:
    """The per-object caches and the relation index, kept current one changed key at a time."""

    index: RelationIndex = field(default_factory=RelationIndex)
    objects: dict[Key, ObjectRow] = field(default_factory=dict)
    """Every watched object's verdict except Events (the snapshot's `objects`)."""
    events: dict[Key, EventRecord] = field(default_factory=dict)
    events_revision: int = 0
    """Bumped whenever `events` changes."""
    helm: dict[Key, Verdict] = field(default_factory=dict)
    """HelmRelease verdicts (helm-controller's own view)."""
    sources: dict[Key, Verdict] = field(default_factory=dict)
    workloads: dict[Key, tuple[dict, Verdict]] = field(default_factory=dict)
    """Top-level workloads (not owned by another workload) with their verdicts."""
    inventories: dict[Key, frozenset[Key]] = field(default_factory=dict)
    first_release_at: float | None = None
    """When the store first received any HelmRelease."""
    object_keys_revision: int = 0
    """Bumped whenever a key is added to or removed from `objects` (not when a row is replaced)."""
    excerpts: dict[Key, dict[str, LogExcerpt]] = field(default_factory=dict)
    """Fetched container log excerpts by pod, then container (only for the pod's current uid)."""
    _excerpt_uids: dict[Key, str] = field(default_factory=dict)
    controller_logs: dict[Key, tuple[ControllerLine, ...]] = field(default_factory=dict)
    """helm-controller's lines about each release that was failing (`controller_log`)."""
    _about: dict[Key, list[EventRecord]] = field(default_factory=dict)
    """`events_about` per object some Event is about, until one of them changes or the object is
    deleted."""

    def events_about(self, store: Store, key: Key) -> Sequence[EventRecord]:
        """The normalised Events about `key` (`events.normalized_for` of `store.events_for`),
        unpacked once and then the same sequence (do not modify) until an Event about `key` is
        added, changed or forgotten: a pod is re-judged far more often than its Events change.
        No Events is always `NO_EVENTS` (nothing is kept for the many objects without any)."""
        records = self._about.get(key)
        if records is None:
            records = normalized_for(store.events_for(*key))
            if not records:
                return NO_EVENTS
            self._about[key] = records
        return records

    def take(self, store: Store, key: Key, work: Work) -> None:
        """Fold one changed key in; record in `work` what derived state it made stale."""
        kind = key[0]
        obj = store.get(*key)
        idx = self.index
        if kind == "Event":
            record = normalize(obj) if obj is not None else None
            self.events_revision += 1
            if record is None:
                self.events.pop(key, None)
            else:
                self.events[key] = record
            for involved in idx.event_involved.relink(key, [record.involved] if record else []):
                self._about.pop(involved, None)
                if involved[0] == "Pod":
                    work.pods.add(involved)
                elif involved[0] == PVC:
                    work.pvcs.add(involved)
            return
        if kind == EXCERPT_KIND:
            self._on_excerpt(store, key, obj, work)
            return
        if kind == CONTROLLER_LOG_KIND:
            release = (HR, key[1], key[2])
            lines = read_controller_log(obj) if obj is not None else ()
            if lines:
                self.controller_logs[release] = lines
            else:
                self.controller_logs.pop(release, None)
            work.releases.add(release)
            return
        work.objects.add(key)
        if obj is None:
            self._about.pop(key, None)
        if kind == "Pod":
            work.pods.add(key)
            self._forget_excerpts(key, obj)
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
            self.inventories.pop(key, None)
            if obj is not None:
                self.inventories[key] = inventory_helmreleases(obj)
            self.set_row(key, obj, classify_kustomization(obj) if obj else None)

    def _on_excerpt(self, store: Store, key: Key, obj: dict | None, work: Work) -> None:
        """An excerpt is an input of its pod: the pod's release and root causes are redone."""
        pod_name, _, container = key[2].partition("/")
        pod_key = ("Pod", key[1], pod_name)
        read = read_excerpt(obj) if obj is not None else None
        pod = store.get(*pod_key)
        by_container = self.excerpts.setdefault(pod_key, {})
        if read is not None and pod is not None and _uid(pod) == read[1]:
            by_container[container] = read[2]
            self._excerpt_uids[pod_key] = read[1]
        else:
            by_container.pop(container, None)
        if not by_container:
            del self.excerpts[pod_key]
            self._excerpt_uids.pop(pod_key, None)
        work.pods.add(pod_key)

    def _forget_excerpts(self, key: Key, pod: dict | None) -> None:
        """A pod deleted or re-created under its name takes its excerpts with it."""
        if key in self.excerpts and (pod is None or _uid(pod) != self._excerpt_uids.get(key)):
            del self.excerpts[key]
            del self._excerpt_uids[key]

    def _on_workload(self, store: Store, key: Key, obj: dict | None, work: Work) -> None:
        claims: tuple = ()
        if obj is None:
            self.workloads.pop(key, None)
            self.set_row(key, None, None)
        else:
            verdict = classify_workload(obj)
            self.set_row(key, obj, verdict)
            if is_top_level(obj):
                self.workloads[key] = (obj, verdict)
                claims = ownership(obj, store.get).claims
            else:
                self.workloads.pop(key, None)
        work.releases |= self.index.releases_of_claims(
            self.index.workload_claims.relink(key, claims)
        )
        work.pods |= self.index.pod_owners.sources(key)

    def _on_helmrelease(self, store: Store, key: Key, obj: dict | None, work: Work) -> None:
        idx = self.index
        known = key in self.helm  # before this change: the set of releases may change
        work.releases.add(key)
        claims: tuple = ()
        deps: list[Key] = []
        source: list[Key] = []
        if obj is None:
            self.helm.pop(key, None)
            self.set_row(key, None, None)
        else:
            verdict = classify_helmrelease(obj)
            self.helm[key] = verdict
            self.set_row(key, obj, verdict)
            claims = release_claims(obj)
            deps = [(HR, ns, name) for ns, name in dependencies(obj)]
            source = [s] if (s := source_of(obj)) else []
            if self.first_release_at is None:
                self.first_release_at = store.first_seen.get(key)
        if (obj is None) == known or tuple(deps) != idx.hr_deps.targets(key):
            work.graph = True
        idx.hr_claims.relink(key, claims)
        idx.hr_deps.relink(key, deps)
        idx.hr_source.relink(key, source)

    def _on_source(self, key: Key, obj: dict | None, work: Work) -> None:
        upstream: list[Key] = []
        if obj is None:
            self.sources.pop(key, None)
            self.set_row(key, None, None)
        else:
            verdict = classify_source(obj)
            self.sources[key] = verdict
            self.set_row(key, obj, verdict)
            upstream = [u] if (u := upstream_of(obj)) else []
        self.index.chart_upstream.relink(key, upstream)
        work.releases |= self.index.hr_source.sources(key)  # `judge_with_source`
        for chart in self.index.chart_upstream.sources(key):
            work.root_causes |= self.index.hr_source.sources(chart)

    def set_row(self, key: Key, obj: dict | None, verdict: Verdict | None) -> None:
        if obj is None or verdict is None:
            if self.objects.pop(key, None) is not None:
                self.object_keys_revision += 1
            return
        if key not in self.objects:
            self.object_keys_revision += 1
        self.objects[key] = ObjectRow(
            key[0], str(obj.get("apiVersion", "")), key[1], key[2], verdict
        )


def _uid(obj: dict) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")
