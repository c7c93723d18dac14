"""events.k8s.io/v1 Events as a converted view of the stored core/v1 Events.

A real apiserver stores one Event and serves it in both groups, converting field by field
(pkg/apis/events/v1 conversion); names, uids and resourceVersions are therefore identical, and a
client may watch either group. Fields that are empty are left out, except `eventTime`, which the
apiserver always writes (null when the recorder did not set it).
"""

from __future__ import annotations

_RENAMED = {
    "involvedObject": "regarding",
    "message": "note",
    "reportingComponent": "reportingController",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
}
_KEPT = ("reason", "type", "action", "related", "reportingInstance", "series")


def to_events_v1(core: dict) -> dict:
    """The events.k8s.io/v1 shape of a core/v1 Event (the input is not modified)."""
    event: dict = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": core.get("metadata", {}),
        "eventTime": core.get("eventTime"),
    }
    for old, new in _RENAMED.items():
        if core.get(old) not in (None, "", {}, 0):
            event[new] = core[old]
    for key in _KEPT:
        if core.get(key) not in (None, "", {}, []):
            event[key] = core[key]
    if series := core.get("series"):
        event["series"] = {
            "count": series.get("count", 0),
            "lastObservedTime": series.get("lastObservedTime"),
        }
    return event
