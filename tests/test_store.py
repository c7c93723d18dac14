"""The store folds watch events into current truth, keyed by kind/namespace/name."""

from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.store.store import Store


def _pod(name: str, ns: str = "loki", rv: str = "1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "resourceVersion": rv},
    }


def _event(name: str, pod: str, ns: str = "loki") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"kind": "Pod", "namespace": ns, "name": pod},
        "reason": "FailedAttachVolume",
        "type": "Warning",
    }


def test_add_modify_delete_and_change_set():
    store = Store()
    store.apply(WatchEvent("pods", EventType.ADDED, _pod("loki-0"), 10.0))
    store.apply(WatchEvent("pods", EventType.MODIFIED, _pod("loki-0", rv="2"), 11.0))
    assert store.get("Pod", "loki", "loki-0")["metadata"]["resourceVersion"] == "2"
    assert store.first_seen[("Pod", "loki", "loki-0")] == 10.0
    assert store.drain_changes() == {("Pod", "loki", "loki-0")}
    assert store.drain_changes() == set()
    store.apply(WatchEvent("pods", EventType.DELETED, _pod("loki-0", rv="3"), 12.0))
    assert store.get("Pod", "loki", "loki-0") is None
    assert store.count("Pod") == 0


def test_events_are_indexed_by_involved_object_and_bounded():
    store = Store(max_events=3)
    for i in range(5):
        store.apply(WatchEvent("events", EventType.ADDED, _event(f"ev{i}", "loki-0"), float(i)))
    assert store.count("Event") == 3
    names = sorted(e["metadata"]["name"] for e in store.events_for("Pod", "loki", "loki-0"))
    assert names == ["ev2", "ev3", "ev4"]


def test_health_is_latest_per_resource():
    store = Store()
    store.apply(StreamHealth("pods", HealthState.CONNECTING, 1.0))
    store.apply(StreamHealth("pods", HealthState.LIVE, 2.0))
    assert store.health["pods"].state is HealthState.LIVE
    assert store.health["pods"].settled
