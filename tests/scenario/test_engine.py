"""Engine guarantees that the cheap write paths must keep: history is never mutated after the
fact, and Events are named and aggregated as client-go does it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from sovsim.objects import Change, ObjectStore
from sovsim.scenario import ScenarioRunner, load_scenario

from .conftest import HR, START, play


@pytest.mark.parametrize(("name", "until"), [("tiny", None), ("stuck", 20 * 60)])
def test_recorded_changes_are_never_mutated_later(name, until):
    """Objects share unchanged parts between versions; a later write must never reach into an
    earlier version (a watch replaying history would see the future)."""
    store = ObjectStore(history_limit=1_000_000)
    runner = ScenarioRunner(store, load_scenario(name), seed=3, start=START)
    changes: list[Change] = []
    at_write: list[str] = []

    def record(change: Change) -> None:
        changes.append(change)
        at_write.append(repr(change.obj) + repr(change.prev))

    store.listeners.append(record)
    runner.run_until(until if until is not None else runner.scenario.duration)
    assert len(changes) > 150
    assert {c.resource for c in changes} >= {"pods", "events", HR, "deployments.apps"}
    assert [repr(c.obj) + repr(c.prev) for c in changes] == at_write


def test_events_are_named_like_client_go():
    played = play("stuck", 15 * 60)
    events, _ = played.store.list("events")
    assert len(events) > 200
    names = [e["metadata"]["name"] for e in events]
    assert len(set(names)) == len(names)
    for event in events:
        involved, _, nano = event["metadata"]["name"].rpartition(".")
        assert involved == event["involvedObject"]["name"]
        assert re.fullmatch(r"[0-9a-f]{16}", nano)
        created = datetime.fromtimestamp(int(nano, 16) // 10**9, UTC)
        assert created.strftime("%Y-%m-%dT%H:%M:%SZ") == event["firstTimestamp"]


def test_same_image_in_two_containers_gives_two_pulling_events():
    """spire-server-0 runs two containers from one image: one Pulling event per container."""
    played = play("stuck", 6 * 60)
    pulling = [
        e["involvedObject"]["fieldPath"]
        for e in played.events_for("spire-system", "spire-server-0")
        if e["reason"] == "Pulling"
    ]
    assert sorted(set(pulling)) == sorted(pulling)
    assert len(pulling) == 2


def test_repeated_event_is_counted_not_duplicated():
    played = play("stuck", 15 * 60)
    pod = played.store.get("pods", "spire-system", "spire-server-0")
    backoffs = [
        e
        for e in played.events_for("spire-system", "spire-server-0")
        if e["reason"] == "BackOff" and e["involvedObject"]["uid"] == pod["metadata"]["uid"]
    ]
    assert len(backoffs) == 1
    assert backoffs[0]["count"] >= 3
    assert backoffs[0]["lastTimestamp"] > backoffs[0]["firstTimestamp"]


def test_helm_wait_reaches_its_deadline_for_any_seed():
    """Seed 3 once left `stuck`'s Helm --wait poll a float's width before its deadline, spinning
    for ever at one simulated instant."""
    played = play("stuck", 25 * 60, seed=3)
    assert played.runner.sim_time == 25 * 60
    failures = [
        e for e in played.events_for("flux-system", "bp-loki") if e["reason"] == "InstallFailed"
    ]
    assert failures
    assert failures[0]["message"].endswith(": context deadline exceeded")
