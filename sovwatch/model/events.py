"""Events, normalised: core/v1 and events.k8s.io/v1 shapes read into one record, deduplicated.

core/v1 writes `involvedObject`, `message`, `count`, `firstTimestamp`/`lastTimestamp`; events.k8s.io/v1
writes `regarding`, `note`, `eventTime` and, for repeats, `series {count, lastObservedTime}` (plus the
`deprecated*` copies of the old fields). Either API may be watched and new-style events show through
the core/v1 view with `eventTime` + `series` and no timestamps, so every field is read from whichever
place holds it. Records about the same object with the same type, reason and message collapse into
one (counts summed, first/last widened).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sovwatch.model.times import parse_time

ObjectKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class EventRecord:
    involved: ObjectKey
    field_path: str
    """e.g. "spec.containers{loki}": which container a kubelet event is about."""
    type: str
    """"Normal" or "Warning"."""
    reason: str
    message: str
    count: int
    first: float | None
    last: float | None
    source: str
    """The reporting controller or component ("kubelet", "attachdetach-controller", ...)."""

    @property
    def is_warning(self) -> bool:
        return self.type == "Warning"


def normalize(ev: dict) -> EventRecord:
    """One record from either Event shape."""
    ref = ev.get("regarding") or ev.get("involvedObject") or {}
    meta = ev.get("metadata") or {}
    series = ev.get("series") or {}
    created = parse_time(meta.get("creationTimestamp"))
    event_time = parse_time(ev.get("eventTime"))
    first = (
        parse_time(ev.get("firstTimestamp"))
        or parse_time(ev.get("deprecatedFirstTimestamp"))
        or event_time
        or created
    )
    last = (
        parse_time(series.get("lastObservedTime"))
        or parse_time(ev.get("lastTimestamp"))
        or parse_time(ev.get("deprecatedLastTimestamp"))
        or event_time
        or created
    )
    count = series.get("count") or ev.get("count") or ev.get("deprecatedCount") or 1
    source = (
        ev.get("reportingController")
        or ev.get("reportingComponent")
        or (ev.get("source") or {}).get("component")
        or ""
    )
    return EventRecord(
        involved=(ref.get("kind", ""), ref.get("namespace", ""), ref.get("name", "")),
        field_path=str(ref.get("fieldPath") or ""),
        type=str(ev.get("type") or "Normal"),
        reason=str(ev.get("reason") or ""),
        message=str(ev.get("note") or ev.get("message") or "").strip(),
        count=int(count),
        first=first,
        last=last,
        source=str(source),
    )


def dedupe(records: Iterable[EventRecord]) -> list[EventRecord]:
    """Collapse records that say the same thing about the same object."""
    merged: dict[tuple, EventRecord] = {}
    for rec in records:
        key = (rec.involved, rec.field_path, rec.type, rec.reason, rec.message)
        seen = merged.get(key)
        if seen is None:
            merged[key] = rec
            continue
        merged[key] = EventRecord(
            rec.involved,
            rec.field_path,
            rec.type,
            rec.reason,
            rec.message,
            seen.count + rec.count,
            _min(seen.first, rec.first),
            _max(seen.last, rec.last),
            seen.source or rec.source,
        )
    return list(merged.values())


def ordered(records: Iterable[EventRecord]) -> list[EventRecord]:
    """Warnings first, then most recent first (ties broken by content, so the order is total)."""
    return sorted(
        records,
        key=lambda r: (
            not r.is_warning,
            -(r.last or 0.0),
            r.reason,
            r.message,
            r.involved,
            r.field_path,
            -r.count,
        ),
    )


def normalized_for(raw_events: Iterable[dict]) -> list[EventRecord]:
    """The deduplicated, ordered records for a list of raw Events (e.g. `store.events_for(...)`)."""
    return ordered(dedupe(normalize(ev) for ev in raw_events))


def _min(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)
