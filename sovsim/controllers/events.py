"""core/v1 Events as client-go's event recorder writes them: aggregated, counted, spam-filtered.

Events are named as client-go names them (`<object name>.<hex UnixNano>`). A repeated event (same
object, type, reason, message and source) bumps `count` and `lastTimestamp` on the existing Event
instead of creating a new one. Like client-go's EventSourceObjectSpamFilter,
each source and object get a burst of 25 events and then one more per five minutes, which is why a
crash loop's BackOff count grows quickly at first and slowly later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sovsim.controllers.common import short_hash

if TYPE_CHECKING:
    from sovsim.controllers.sim import Sim

SPAM_BURST = 25
SPAM_REFILL_SECONDS = 300.0


@dataclass
class _Bucket:
    tokens: float
    at: float


class EventRecorder:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self._names: dict[tuple, tuple[str, str]] = {}
        self._buckets: dict[tuple, _Bucket] = {}
        self._last_nano = 0

    def _unix_nano(self) -> int:
        """The event time in nanoseconds, unique per recorder: client-go names an Event
        `<object name>.<hex UnixNano>`."""
        nano = round((self.sim.start + self.sim.now) * 1e6) * 1000
        self._last_nano = max(nano, self._last_nano + 1)
        return self._last_nano

    def _allow(self, key: tuple) -> bool:
        bucket = self._buckets.setdefault(key, _Bucket(SPAM_BURST, self.sim.now))
        bucket.tokens = min(
            SPAM_BURST, bucket.tokens + (self.sim.now - bucket.at) / SPAM_REFILL_SECONDS
        )
        bucket.at = self.sim.now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def record(
        self,
        involved: dict,
        type_: str,
        reason: str,
        message: str,
        *,
        component: str,
        host: str = "",
        field_path: str = "",
        annotations: dict[str, str] | None = None,
    ) -> None:
        """Record an event about `involved` (a stored object) from `component` (on `host`)."""
        meta = involved["metadata"]
        uid = meta["uid"]
        if not self._allow((component, host, uid, type_, reason)):
            return
        namespace = meta.get("namespace") or "default"
        key = (uid, type_, reason, message, component, host, field_path)
        now = self.sim.timestamp()
        existing = self._names.get(key)
        if existing is not None:
            event = self.sim.get("events", *existing)
            if event is not None:
                self.sim.patch(
                    "events", *existing, {"count": event["count"] + 1, "lastTimestamp": now}
                )
                return
        name = f"{meta['name']}.{self._unix_nano():x}"
        involved_ref = {
            "apiVersion": involved["apiVersion"],
            "kind": involved["kind"],
            "name": meta["name"],
            "uid": uid,
            "resourceVersion": meta.get("resourceVersion", ""),
        }
        if meta.get("namespace"):
            involved_ref["namespace"] = meta["namespace"]
        if field_path:
            involved_ref["fieldPath"] = field_path
        source = {"component": component}
        if host:
            source["host"] = host
        event_meta: dict = {"name": name, "namespace": namespace}
        if annotations:
            event_meta["annotations"] = dict(annotations)
        self.sim.apply(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": event_meta,
                "involvedObject": involved_ref,
                "reason": reason,
                "message": message,
                "source": source,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
                "type": type_,
                "eventTime": None,
                "reportingComponent": component,
                "reportingInstance": host or f"{component}-{short_hash(component, length=10)}",
            }
        )
        self._names[key] = (namespace, name)
