"""The store's packed form of Events is exact: what goes in comes back out equal."""

from __future__ import annotations

import pytest

from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.store.packing import field_of, pack, unpack
from sovwatch.store.store import Store

KUBELET_EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "loki-0.17a8b9c0d1e2f3a4", "namespace": "loki", "uid": "u-1"},
    "involvedObject": {"kind": "Pod", "namespace": "loki", "name": "loki-0"},
    "type": "Warning",
    "reason": "BackOff",
    "message": "Back-off restarting failed container loki in pod loki-0_loki(u-0)",
    "count": 12,
    "series": {"count": 3, "lastObservedTime": "2026-11-27T10:00:00.000000Z"},
    "reportingController": "kubelet",
}


@pytest.mark.parametrize(
    "value",
    [KUBELET_EVENT, {"a": [], "b": {}, "c": [{"x": None}, 1.5, True, "s"]}, [], {}, "s", None],
    ids=["event", "nested", "empty-list", "empty-dict", "string", "null"],
)
def test_unpack_gives_back_what_was_packed(value):
    assert unpack(pack(value)) == value


@pytest.mark.parametrize("key", [*KUBELET_EVENT, "regarding", "note"])
def test_one_field_of_a_packed_mapping_is_that_field(key):
    assert field_of(pack(KUBELET_EVENT), key) == KUBELET_EVENT.get(key)


def test_equal_shapes_share_one_key_tuple():
    other = {**KUBELET_EVENT, "metadata": {**KUBELET_EVENT["metadata"], "name": "loki-0.2"}}
    assert pack(KUBELET_EVENT)[0] is pack(other)[0]


def test_store_hands_out_events_equal_to_those_applied():
    store = Store()
    store.apply(WatchEvent("events", EventType.ADDED, KUBELET_EVENT, 1.0))
    assert store.get("Event", "loki", "loki-0.17a8b9c0d1e2f3a4") == KUBELET_EVENT
    assert store.events_for("Pod", "loki", "loki-0") == [KUBELET_EVENT]
    assert list(store.objects("Event")) == [KUBELET_EVENT]
    assert ("Event", "loki", "loki-0.17a8b9c0d1e2f3a4") not in store.first_seen
