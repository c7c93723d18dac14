"""Relations between stored objects, kept up to date one object at a time.

Every relation is a forward map (object → what it points at) plus its reverse (target → objects),
so a change to one object costs work proportional to its own links, never to the store's size.
`Links.relink` replaces an object's links and returns the old and new targets, which is exactly the
set whose derived state may have changed.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from itertools import repeat

Key = tuple[str, str, str]


@dataclass
class Links:
    """A many-to-many relation with both directions indexed.

    Most targets have a single source (an object's one Event, a claim's one workload); the reverse
    map holds such a source as it is and a set only from the second on: a set is 216 bytes, and a
    large cluster has tens of thousands of targets. Sources are hashable, so never sets."""

    forward: dict[Hashable, tuple] = field(default_factory=dict)
    reverse: dict[Hashable, Hashable | set] = field(default_factory=dict)

    def relink(self, source: Hashable, targets: Iterable[Hashable]) -> set:
        """Point `source` at `targets` (empty removes it); returns old ∪ new targets."""
        new = tuple(dict.fromkeys(targets))
        old = self.forward.get(source, ())
        if new == old:  # most re-judged objects keep their links
            return set(old)
        if old:
            del self.forward[source]
        reverse = self.reverse
        for target in old:
            bucket = reverse.get(target)
            if type(bucket) is set:
                bucket.discard(source)
                if len(bucket) == 1:
                    reverse[target] = next(iter(bucket))
            elif bucket == source:
                del reverse[target]
        if new:
            self.forward[source] = new
            for target in new:
                bucket = reverse.get(target, _NONE)
                if bucket is _NONE:
                    reverse[target] = source
                elif type(bucket) is set:
                    bucket.add(source)
                elif bucket != source:
                    reverse[target] = {bucket, source}
        return set(old) | set(new)

    def targets(self, source: Hashable) -> tuple:
        return self.forward.get(source, ())

    def sources(self, target: Hashable) -> set:
        """The sources pointing at `target` (do not modify)."""
        bucket = self.reverse.get(target, _NONE)
        if bucket is _NONE:
            return set()
        return bucket if type(bucket) is set else {bucket}

    def sources_of_all(self, targets: Iterable[Hashable]) -> set:
        out: set = set()
        reverse = self.reverse
        for target in targets:
            bucket = reverse.get(target, _NONE)
            if type(bucket) is set:
                out |= bucket
            elif bucket is not _NONE:
                out.add(bucket)
        return out


_NONE = object()
"""No source (a source may be any hashable, None included)."""


@dataclass
class RelationIndex:
    """All the joins the rollout model needs."""

    pod_claims: Links = field(default_factory=Links)
    """Pod → release claims (see `workloads.ownership`)."""
    pod_owners: Links = field(default_factory=Links)
    """Pod → its controller owner chain (ReplicaSet, Deployment, ...)."""
    pod_pvcs: Links = field(default_factory=Links)
    """Pod → PVC keys it mounts."""
    workload_claims: Links = field(default_factory=Links)
    """Top-level workload → release claims."""
    pvc_claims: Links = field(default_factory=Links)
    """PVC → release claims from its own labels."""
    pvc_pv: Links = field(default_factory=Links)
    """PVC → PV name."""
    va_pv: Links = field(default_factory=Links)
    """VolumeAttachment → PV name."""
    hr_claims: Links = field(default_factory=Links)
    """HelmRelease → the claims it answers to."""
    hr_deps: Links = field(default_factory=Links)
    """HelmRelease → HelmReleases it depends on."""
    hr_source: Links = field(default_factory=Links)
    """HelmRelease → its HelmChart / OCIRepository."""
    chart_upstream: Links = field(default_factory=Links)
    """HelmChart → its HelmRepository."""
    event_involved: Links = field(default_factory=Links)
    """Event → the object it is about."""

    def releases_of_claims(self, claims: Iterable[Hashable]) -> set[Key]:
        return self.hr_claims.sources_of_all(claims)

    def pods_of_release(self, release: Key) -> set[Key]:
        return self.pod_claims.sources_of_all(self.hr_claims.targets(release))

    def workloads_of_release(self, release: Key) -> set[Key]:
        return self.workload_claims.sources_of_all(self.hr_claims.targets(release))

    def pvcs_of_release(self, release: Key, pods: Iterable[Key]) -> set[Key]:
        found = self.pvc_claims.sources_of_all(self.hr_claims.targets(release))
        found.update(*map(self.pod_pvcs.forward.get, pods, repeat(())))
        return found

    def releases_of_pod(self, pod: Key) -> set[Key]:
        return self.releases_of_claims(self.pod_claims.targets(pod))

    def releases_of_pvc(self, pvc: Key) -> set[Key]:
        found = self.releases_of_claims(self.pvc_claims.targets(pvc))
        for pod in self.pod_pvcs.sources(pvc):
            found |= self.releases_of_pod(pod)
        return found

    def pvcs_of_pv(self, pvs: Iterable[Hashable]) -> set[Key]:
        return self.pvc_pv.sources_of_all(pvs)

    def dependants_closure(self, roots: Iterable[Key]) -> set[Key]:
        """The roots and every release that (transitively) depends on one of them."""
        seen = set(roots)
        todo = list(seen)
        while todo:
            for dependant in self.hr_deps.sources(todo.pop()):
                if dependant not in seen:
                    seen.add(dependant)
                    todo.append(dependant)
        return seen
