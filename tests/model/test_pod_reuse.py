"""A pod's assessment is kept while its inputs are unchanged, and redone as soon as one changes.

`Rollout` keeps each pod's `PodHealth` with the stored pod and `Intake.events_about` the pod that
it was computed from; a pod re-judged for another reason (its owner changed) keeps it. These tests
change one input at a time (the pod, an Event about it added, counted up, deleted, or forgotten by
the store's window) and check the picture follows, and agrees with a full recomputation.
"""

from __future__ import annotations

from sovwatch.model.rollout import Rollout
from sovwatch.model.snapshot import build_snapshot, snapshot_of
from sovwatch.model.states import State
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.store.store import Store, object_key
from tests.model.builders import (
    T0_EPOCH,
    container_status,
    event,
    pod,
    replicaset,
    waiting,
    workload,
)

NS = "loki"
POD = ("Pod", NS, "loki-0")
READINESS_FAILED = "Readiness probe failed: HTTP probe failed with statuscode: 503"


def _pod(**status) -> dict:
    return pod(
        "loki-0",
        NS,
        release="loki",
        owner=("ReplicaSet", "loki-7d9c5b8f6c"),
        statuses=[container_status("loki", **status)],
    )


def _unhealthy(count: int, *, last: float = 60) -> dict:
    """The kubelet's readiness failure for the pod's container (one Event, counted up)."""
    return event(
        POD,
        "Unhealthy",
        READINESS_FAILED,
        count=count,
        last=last,
        field_path="spec.containers{loki}",
        name="loki-0.unhealthy",
    )


class Watched:
    """A store and a rollout kept current by it, as the pipeline keeps them."""

    def __init__(self, *objects: dict, max_events: int = 20_000) -> None:
        self.store = Store(max_events=max_events)
        self.rollout = Rollout()
        self.now = T0_EPOCH + 100
        self.apply(*objects)

    def apply(self, *objects: dict, type_: EventType = EventType.MODIFIED) -> None:
        for obj in objects:
            self.store.apply(WatchEvent("x", type_, obj, self.now))
        self.now += 1
        self.rollout.update(self.store, self.store.drain_changes(), self.now)

    def delete(self, obj: dict) -> None:
        self.apply(obj, type_=EventType.DELETED)

    def agrees_with_full_recomputation(self) -> bool:
        incremental = snapshot_of(self.rollout, self.store, now=self.now).to_dict()
        full = build_snapshot(self.store, now=self.now).to_dict()
        return incremental == full


def _started() -> Watched:
    """A running pod, not ready, owned by a ReplicaSet of a Deployment; no Events yet."""
    return Watched(
        workload("Deployment", "loki", NS, release="loki"),
        replicaset("loki", NS, release="loki"),
        _pod(ready=False),
    )


def test_an_owner_change_keeps_the_pods_assessment():
    watched = _started()
    before = watched.rollout.pods[POD]
    watched.apply(replicaset("loki", NS, release="loki", ready=0))
    assert watched.rollout.pods[POD] is before
    assert watched.agrees_with_full_recomputation()


def test_a_pod_change_is_assessed_again():
    watched = _started()
    assert watched.rollout.pods[POD].verdict.reason == "ContainersNotReady"
    watched.apply(_pod(ready=False, restarts=3, state=waiting("CrashLoopBackOff", "back-off 40s")))
    assert watched.rollout.pods[POD].verdict.reason == "CrashLoopBackOff"
    watched.apply(_pod(ready=True))
    assert watched.rollout.pods[POD].verdict.state is State.READY
    assert watched.agrees_with_full_recomputation()


def test_a_pod_recreated_under_its_name_is_assessed_again():
    watched = _started()
    watched.delete(_pod(ready=False))
    assert POD not in watched.rollout.pods
    watched.apply(_pod(ready=True), type_=EventType.ADDED)
    assert watched.rollout.pods[POD].verdict.state is State.READY
    assert watched.agrees_with_full_recomputation()


def test_an_event_added_counted_up_and_deleted_is_seen_each_time():
    watched = _started()
    watched.apply(_unhealthy(3), type_=EventType.ADDED)
    health = watched.rollout.pods[POD]
    assert (health.verdict.reason, health.probes["readiness"].failures) == ("Unhealthy", 3)
    watched.apply(_unhealthy(7, last=80))
    assert watched.rollout.pods[POD].probes["readiness"].failures == 7
    assert watched.agrees_with_full_recomputation()
    watched.delete(_unhealthy(7, last=80))
    health = watched.rollout.pods[POD]
    assert (health.verdict.reason, health.probes["readiness"].failures) == ("ContainersNotReady", 0)
    assert watched.agrees_with_full_recomputation()


def test_an_event_forgotten_by_the_window_is_forgotten_by_the_pod():
    watched = Watched(
        workload("Deployment", "loki", NS, release="loki"),
        replicaset("loki", NS, release="loki"),
        _pod(ready=False),
        _unhealthy(5),
        max_events=1,
    )
    assert watched.rollout.pods[POD].probes["readiness"].failures == 5
    other = event(("Pod", NS, "loki-1"), "FailedMount", "MountVolume.SetUp failed", name="x")
    watched.apply(other, type_=EventType.ADDED)  # the window keeps one Event: this one
    assert watched.store.get(*object_key(_unhealthy(5))) is None
    assert watched.rollout.pods[POD].probes["readiness"].failures == 0
    assert watched.agrees_with_full_recomputation()
