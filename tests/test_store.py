"""The store folds watch events into current truth, keyed by kind/namespace/name."""

from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.store.store import Store


def _pod(name: str, ns: str = "loki", rv: str = "1") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "resourceVersion": rv},
    }


def _event(name: str, pod: str, ns: str = "loki", rv: str | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns}
        | ({"resourceVersion": rv} if rv is not None else {}),
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


def _kept(store: Store) -> list[str]:
    return sorted(e["metadata"]["name"] for e in store.objects("Event"))


def test_the_events_window_keeps_the_newest_by_resource_version_whatever_the_arrival_order():
    # A relist hands Events over in name order, not in the order they happened: the window
    # must still be the newest ones, as if they had arrived one by one.
    by_name = [("a-new", "40"), ("b-old", "10"), ("c-newest", "50"), ("d-older", "20")]
    relisted = Store(max_events=2)
    for name, rv in by_name:
        relisted.apply(WatchEvent("events", EventType.ADDED, _event(name, "loki-0", rv=rv), 1.0))
    assert _kept(relisted) == ["a-new", "c-newest"]
    assert not relisted.first_seen  # only non-Events are timed
    # An Event that happens again (count bumped, new resourceVersion) is new again.
    relisted.apply(
        WatchEvent("events", EventType.MODIFIED, _event("b-old", "loki-0", rv="60"), 2.0)
    )
    assert _kept(relisted) == ["b-old", "c-newest"]
    # A deleted Event frees its place: nothing else is forgotten for the next one.
    relisted.apply(
        WatchEvent("events", EventType.DELETED, _event("c-newest", "loki-0", rv="70"), 3.0)
    )
    relisted.apply(WatchEvent("events", EventType.ADDED, _event("e-late", "loki-0", rv="80"), 3.0))
    assert _kept(relisted) == ["b-old", "e-late"]
    assert [e["metadata"]["name"] for e in relisted.events_for("Pod", "loki", "loki-0")] == [
        "b-old",
        "e-late",
    ]


def test_many_changes_to_few_events_keep_the_window_exact():
    store = Store(max_events=3)
    for rv in range(1, 3001):
        store.apply(
            WatchEvent("events", EventType.MODIFIED, _event(f"ev{rv % 5}", "p", rv=str(rv)), 0.0)
        )
    assert _kept(store) == ["ev0", "ev3", "ev4"]  # resourceVersions 3000, 2998, 2999
    assert len(store._event_heap) < 3000  # stale entries are dropped as they pile up


def test_health_is_latest_per_resource():
    store = Store()
    store.apply(StreamHealth("pods", HealthState.CONNECTING, 1.0))
    store.apply(StreamHealth("pods", HealthState.LIVE, 2.0))
    assert store.health["pods"].state is HealthState.LIVE
    assert store.health["pods"].settled
