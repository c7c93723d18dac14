"""The emulator's object store: resource types, objects, resourceVersions and the change history.

It is what a real apiserver keeps in etcd plus its watch cache, reduced to what sovwatch and kubectl
rely on: one global, monotonically increasing resourceVersion; per-object `uid`, `generation`
(bumped when `spec` changes) and `creationTimestamp`; a bounded history of changes so a watch can
resume from a resourceVersion, and an expiry point below which a resume gets 410 Gone.

CustomResourceDefinitions are objects like any other, and a CRD-backed group is served exactly when
its CRD object exists, so a scenario brings Flux "online" by creating the Flux CRDs, as a real
bootstrap does. The store is synchronous and single-threaded (it lives on one event loop); watchers
subscribe with an asyncio.Queue and receive every change to their resource.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import hashlib
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sovsim.container_logs import ContainerLogs


def json_copy(value):
    """A deep copy of JSON-shaped data (dicts, lists, scalars): what objects are, and several times
    faster than copy.deepcopy, which matters when a scenario writes 100,000 pods' worth of changes."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


@dataclass(frozen=True)
class ResourceType:
    """One served resource: what discovery lists and what the URL paths name."""

    group: str
    """API group, "" for the core group."""
    versions: tuple[str, ...]
    """Versions that can be served, the storage version first."""
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    crd: bool = False
    """Served only while its CustomResourceDefinition object exists."""
    view_of: str | None = None
    """Another resource (`plural.group`) whose objects this one serves in a different shape."""

    @property
    def key(self) -> str:
        """`plural.group` (just `plural` for the core group): how kubectl names a resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular(self) -> str:
        return self.kind.lower()

    def api_version(self, version: str | None = None) -> str:
        version = version or self.versions[0]
        return f"{self.group}/{version}" if self.group else version


_VERBS = ("get", "list", "watch")

CATALOGUE: tuple[ResourceType, ...] = (
    ResourceType("", ("v1",), "namespaces", "Namespace", False, ("ns",)),
    ResourceType("", ("v1",), "pods", "Pod", True, ("po",)),
    ResourceType("", ("v1",), "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",)),
    ResourceType("", ("v1",), "events", "Event", True, ("ev",)),
    ResourceType("events.k8s.io", ("v1",), "events", "Event", True, ("ev",), view_of="events"),
    ResourceType("storage.k8s.io", ("v1",), "volumeattachments", "VolumeAttachment", False),
    ResourceType("apps", ("v1",), "deployments", "Deployment", True, ("deploy",)),
    ResourceType("apps", ("v1",), "statefulsets", "StatefulSet", True, ("sts",)),
    ResourceType("apps", ("v1",), "daemonsets", "DaemonSet", True, ("ds",)),
    ResourceType("apps", ("v1",), "replicasets", "ReplicaSet", True, ("rs",)),
    ResourceType(
        "apiextensions.k8s.io",
        ("v1",),
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        ("crd", "crds"),
    ),
    ResourceType(
        "helm.toolkit.fluxcd.io",
        ("v2", "v2beta2", "v2beta1"),
        "helmreleases",
        "HelmRelease",
        True,
        ("hr",),
        crd=True,
    ),
    ResourceType(
        "kustomize.toolkit.fluxcd.io",
        ("v1", "v1beta2"),
        "kustomizations",
        "Kustomization",
        True,
        ("ks",),
        crd=True,
    ),
    ResourceType(
        "source.toolkit.fluxcd.io",
        ("v1", "v1beta2"),
        "helmrepositories",
        "HelmRepository",
        True,
        ("helmrepo",),
        crd=True,
    ),
    ResourceType(
        "source.toolkit.fluxcd.io",
        ("v1", "v1beta2"),
        "helmcharts",
        "HelmChart",
        True,
        ("hc",),
        crd=True,
    ),
    ResourceType(
        "source.toolkit.fluxcd.io",
        ("v1", "v1beta2"),
        "gitrepositories",
        "GitRepository",
        True,
        ("gitrepo",),
        crd=True,
    ),
    ResourceType(
        "source.toolkit.fluxcd.io",
        ("v1", "v1beta2"),
        "ocirepositories",
        "OCIRepository",
        True,
        ("ocirepo",),
        crd=True,
    ),
)

VERBS = _VERBS
"""Every resource is read-only in the emulator: sovwatch never changes a cluster."""

_BY_KEY = {r.key: r for r in CATALOGUE}
_BY_GROUP_KIND = {(r.group, r.kind): r for r in CATALOGUE if r.view_of is None}


def resource_type(key: str) -> ResourceType:
    """The resource named `plural.group` (or `plural` for core), KeyError if not catalogued."""
    return _BY_KEY[key]


def resource_type_for(api_version: str, kind: str) -> ResourceType:
    """The stored resource that an object of this apiVersion and kind belongs to."""
    group = api_version.rpartition("/")[0]
    try:
        return _BY_GROUP_KIND[(group, kind)]
    except KeyError:
        raise KeyError(f"the emulator does not serve {kind} in {api_version}") from None


def crd_object(rt: ResourceType, served: Iterable[str] | None = None) -> dict:
    """A CustomResourceDefinition object for a CRD-backed resource, as Flux's install ships it."""
    served_versions = tuple(served) if served is not None else rt.versions[:1]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{rt.plural}.{rt.group}"},
        "spec": {
            "group": rt.group,
            "names": {
                "plural": rt.plural,
                "singular": rt.singular,
                "kind": rt.kind,
                "listKind": f"{rt.kind}List",
                "shortNames": list(rt.short_names),
            },
            "scope": "Namespaced" if rt.namespaced else "Cluster",
            "versions": [
                {"name": v, "served": True, "storage": v == served_versions[0]}
                for v in served_versions
            ],
        },
        "status": {"acceptedNames": {"kind": rt.kind, "plural": rt.plural}},
    }


class Expired(Exception):
    """A watch asked to resume from a resourceVersion older than the kept history (410 Gone)."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


@dataclass(frozen=True)
class Change:
    """One entry of the history: what a watch on `resource` would see."""

    rv: int
    resource: str
    """`ResourceType.key` of the stored resource."""
    type: str
    """ADDED, MODIFIED or DELETED."""
    obj: dict
    """The object as it was after (or, for DELETED, at) this change; never mutated."""
    prev: dict | None = None
    """For MODIFIED, the object before the change (never mutated): a filtered watch turns a change
    that makes an object start or stop matching into ADDED or DELETED, as the apiserver's watch
    cache does."""


def _now_rfc3339(clock: Callable[[], float]) -> str:
    return _rfc3339_second(int(clock()))


@functools.lru_cache(maxsize=64)
def _rfc3339_second(second: int) -> str:
    # Cached: a scenario writes thousands of objects within the same simulated second.
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_UID_NAMESPACE = uuid.NAMESPACE_URL.bytes


def _uid(key: str) -> str:
    """str(uuid.uuid5(NAMESPACE_URL, key)) without building a UUID object (a third of the cost
    of creating an object when a scenario creates 40,000 of them)."""
    raw = bytearray(hashlib.sha1(_UID_NAMESPACE + key.encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass
class ObjectStore:
    """All objects of the emulated cluster and the history of their changes."""

    history_limit: int = 20_000
    """How many changes are kept for watch resumption; older resourceVersions get 410 Gone."""
    clock: Callable[[], float] = time.time
    """Source of timestamps (creationTimestamp, managedFields time)."""
    _rv: int = 1
    _oldest_rv: int = 1
    _objects: dict[str, dict[tuple[str, str], dict]] = field(default_factory=dict)
    _keys: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _history: deque[Change] = field(default_factory=deque)
    _subscribers: dict[str, set[asyncio.Queue[Change]]] = field(default_factory=dict)
    _uid_seq: int = 0
    listeners: list[Callable[[Change], None]] = field(default_factory=list)
    """Synchronous callbacks run on every change (request logs, tests)."""
    logs: ContainerLogs = field(default_factory=ContainerLogs)
    """Container output, served by `pods/log` (not objects: no resourceVersion, no watch)."""

    # -- reading -------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The current (newest) resourceVersion of the whole store."""
        return self._rv

    @property
    def oldest_resource_version(self) -> int:
        """Watching from below this gets 410 Gone."""
        return self._oldest_rv

    def is_served(self, rt: ResourceType, version: str) -> bool:
        """Built-in resources always are; CRD-backed ones while their CRD serves `version`."""
        if not rt.crd:
            return version in rt.versions
        crd = self.peek(
            "customresourcedefinitions.apiextensions.k8s.io", "", f"{rt.plural}.{rt.group}"
        )
        if crd is None:
            return False
        return any(v["name"] == version and v.get("served") for v in crd["spec"]["versions"])

    def served_versions(self, rt: ResourceType) -> list[str]:
        return [v for v in rt.versions if self.is_served(rt, v)]

    def get(self, resource: str, namespace: str, name: str) -> dict | None:
        """A deep copy of one object, or None."""
        obj = self._objects.get(resource, {}).get((namespace, name))
        return json_copy(obj) if obj is not None else None

    def peek(self, resource: str, namespace: str, name: str) -> dict | None:
        """The stored object itself, not a copy: for in-process readers that never mutate it
        (the scenario engine reads thousands of objects per simulated minute)."""
        return self._objects.get(resource, {}).get((namespace, name))

    def keys(self, resource: str) -> list[tuple[str, str]]:
        """(namespace, name) of every object of `resource`, sorted: a live list kept in order as
        objects come and go, so list pages resume from a key by bisection (do not modify)."""
        return self._keys.get(resource, [])

    def list(self, resource: str, namespace: str | None = None) -> tuple[list[dict], int]:
        """Deep copies of the objects (all namespaces when `namespace` is None) and the store RV."""
        bucket = self._objects.get(resource, {})
        items = [
            json_copy(obj)
            for (ns, _), obj in sorted(bucket.items())
            if namespace is None or ns == namespace
        ]
        return items, self._rv

    def changes_since(self, resource: str, rv: int) -> list[Change]:
        """Changes to `resource` after `rv`, oldest first; Expired if `rv` is below the history."""
        if rv < self._oldest_rv:
            raise Expired(rv, self._oldest_rv)
        newer = []
        for change in reversed(self._history):  # from the newest: a resumed watch is usually near
            if change.rv <= rv:
                break
            if change.resource == resource:
                newer.append(change)
        newer.reverse()
        return newer

    # -- writing ---------------------------------------------------------------------------------

    def put(self, obj: dict, *, owned: bool = False) -> dict:
        """Create or replace an object (keyed by apiVersion/kind, namespace, name); returns a copy.

        Sets resourceVersion, uid and creationTimestamp as an apiserver would, bumps `generation`
        when `spec` changed, and records the change. With `owned=True` the caller hands `obj` over:
        it is stored, recorded in the history and returned as is, never copied, and nobody may
        mutate it afterwards (the scenario engine writes 100,000 changes this way).
        """
        rt = resource_type_for(obj["apiVersion"], obj["kind"])
        if not owned:
            obj = json_copy(obj)
        meta = obj.setdefault("metadata", {})
        namespace = meta.get("namespace", "") if rt.namespaced else ""
        if rt.namespaced and not namespace:
            raise ValueError(f"{rt.kind} {meta.get('name')!r} needs a namespace")
        if not rt.namespaced:
            meta.pop("namespace", None)
        if rt.crd and not self.served_versions(rt):
            raise LookupError(f"no matches for kind {rt.kind!r} in group {rt.group!r}: CRD absent")
        bucket = self._objects.setdefault(rt.key, {})
        old = bucket.get((namespace, meta["name"]))
        if old is None:
            bisect.insort(self._keys.setdefault(rt.key, []), (namespace, meta["name"]))
            self._uid_seq += 1
            meta["uid"] = _uid(f"{rt.key}/{namespace}/{meta['name']}/{self._uid_seq}")
            meta.setdefault("creationTimestamp", _now_rfc3339(self.clock))
            meta["generation"] = 1
            change_type = "ADDED"
        else:
            meta["uid"] = old["metadata"]["uid"]
            meta["creationTimestamp"] = old["metadata"]["creationTimestamp"]
            generation = old["metadata"].get("generation", 1)
            meta["generation"] = generation + (obj.get("spec") != old.get("spec"))
            change_type = "MODIFIED"
        obj["apiVersion"] = rt.api_version()
        meta["managedFields"] = [
            {
                "manager": "sovwatch-sim",
                "operation": "Update",
                "apiVersion": obj["apiVersion"],
                "time": _now_rfc3339(self.clock),
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {}, "f:spec": {}, "f:status": {}},
            }
        ]
        self._rv += 1
        meta["resourceVersion"] = str(self._rv)
        bucket[(namespace, meta["name"])] = obj
        if owned:
            self._record(Change(self._rv, rt.key, change_type, obj, prev=old))
            return obj
        self._record(Change(self._rv, rt.key, change_type, json_copy(obj), prev=old))
        return json_copy(obj)

    def delete(self, resource: str, namespace: str, name: str) -> dict | None:
        """Remove an object; a CRD takes all of its custom resources with it. Returns the object."""
        bucket = self._objects.get(resource, {})
        obj = bucket.pop((namespace, name), None)
        if obj is None:
            return None
        keys = self._keys[resource]
        del keys[bisect.bisect_left(keys, (namespace, name))]
        obj = json_copy(obj)  # the stored object may be shared with history entries
        if resource == "customresourcedefinitions.apiextensions.k8s.io":
            for (ns, child), _ in list(self._objects.get(name, {}).items()):
                self.delete(name, ns, child)
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        self._record(Change(self._rv, resource, "DELETED", json_copy(obj)))
        return json_copy(obj)

    def compact(self) -> None:
        """Forget the whole history: every resourceVersion handed out before now gets 410 Gone.

        The current resourceVersion stays watchable, as after an etcd compaction.
        """
        self._history.clear()
        self._oldest_rv = self._rv

    # -- watching --------------------------------------------------------------------------------

    def subscribe(self, resource: str) -> asyncio.Queue[Change]:
        """A queue that receives every future change to `resource`."""
        queue: asyncio.Queue[Change] = asyncio.Queue()
        self._subscribers.setdefault(resource, set()).add(queue)
        return queue

    def unsubscribe(self, resource: str, queue: asyncio.Queue[Change]) -> None:
        self._subscribers.get(resource, set()).discard(queue)

    def _record(self, change: Change) -> None:
        self._history.append(change)
        while len(self._history) > self.history_limit:
            self._oldest_rv = self._history.popleft().rv
        for queue in self._subscribers.get(change.resource, ()):
            queue.put_nowait(change)
        for listener in self.listeners:
            listener(change)
