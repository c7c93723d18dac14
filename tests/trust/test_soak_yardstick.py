"""The soak's yardstick for Events: sovwatch's window against the emulator's newest Events.

sovwatch keeps a bounded window of Events while the emulator keeps all of them, so the soak
compares sovwatch's store with a truth that keeps the same window. These tests show that the
comparison is exact however the Events reached sovwatch (a relist hands them over in name order),
and that it still catches an Event sovwatch lost or holds at an old resourceVersion.
"""

from __future__ import annotations

import random

import pytest

from scripts.soak_truth import fingerprint_of_store, truth_store
from sovsim.objects import ObjectStore
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.slimming import slim
from sovwatch.store.store import Store

WINDOW = 10


def _event(i: int) -> dict:
    pod = f"loki-{i % 3}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod}.17f3a{i:04x}", "namespace": "loki"},
        "involvedObject": {"kind": "Pod", "namespace": "loki", "name": pod},
        "reason": "BackOff",
        "message": f"Back-off restarting failed container loki in pod {pod}_loki({i})",
        "type": "Warning",
        "source": {"component": "kubelet", "host": "node-1"},
        "count": 1,
    }


@pytest.fixture
def cluster() -> tuple[ObjectStore, list[dict], dict]:
    """30 Events, two of them bumped (count 2) later; the versions sovwatch saw, oldest first,
    and the first version of each bumped Event."""
    emulator = ObjectStore()
    seen = [emulator.put(_event(i)) for i in range(30)]
    first = {}
    for i in (3, 27):  # one far outside the window, one inside
        first[i] = seen[i]
        seen.append(emulator.put({**seen[i], "count": 2}))
    return emulator, seen, first


def _sovwatch(versions: list[dict]) -> Store:
    store = Store(max_events=WINDOW)
    for obj in versions:
        store.apply(WatchEvent("events", EventType.MODIFIED, slim(obj), 0.0))
    return store


def _diff(store: Store, emulator: ObjectStore) -> dict[str, int]:
    truth = fingerprint_of_store(truth_store(emulator, max_events=WINDOW))
    seen = fingerprint_of_store(store)
    return {
        "missing": len(truth.keys() - seen.keys()),
        "extra": len(seen.keys() - truth.keys()),
        "stale": sum(1 for k in truth.keys() & seen.keys() if truth[k] != seen[k]),
    }


EXACT = {"missing": 0, "extra": 0, "stale": 0}


@pytest.mark.parametrize("order", ["as they happened", "relisted by name", "shuffled"])
def test_a_store_that_saw_every_event_matches_the_window_whatever_the_order(cluster, order):
    emulator, seen, _ = cluster
    versions = list(seen)
    if order == "relisted by name":
        latest = {v["metadata"]["name"]: v for v in versions}
        versions = [latest[name] for name in sorted(latest)]
    elif order == "shuffled":
        random.Random(5).shuffle(versions)
    assert _diff(_sovwatch(versions), emulator) == EXACT


def test_an_event_lost_inside_the_window_is_missing(cluster):
    emulator, seen, _ = cluster
    lost = seen[25]
    assert _diff(_sovwatch([v for v in seen if v is not lost]), emulator) == {
        "missing": 1,
        "extra": 1,  # the window reaches one further back instead
        "stale": 0,
    }


def test_a_missed_count_bump_inside_the_window_is_stale(cluster):
    emulator, seen, first = cluster
    bump = seen[-1]  # Event 27, count 2
    assert bump["metadata"]["name"] == first[27]["metadata"]["name"]
    assert _diff(_sovwatch(seen[:-1]), emulator)["stale"] == 1


def test_an_event_older_than_the_window_is_not_missed(cluster):
    emulator, seen, _ = cluster
    assert _diff(_sovwatch(seen[1:]), emulator) == EXACT  # Event 0 is long out of the window
