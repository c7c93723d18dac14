"""Transitions between two snapshots of one rollout: comparing only the rows the model replaced
gives exactly what comparing every object's state gives."""

from __future__ import annotations

from sovwatch.model.rollout import Rollout
from sovwatch.model.snapshot import Snapshot, snapshot_of
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.views.transitions import Transition, diff, states_of
from tests.model.builders import (
    T0_EPOCH,
    container_status,
    hr_ready,
    pod,
    pvc,
    store_of,
    waiting,
)

NS = "loki"


def _pod(name: str, **status) -> dict:
    return pod(name, NS, release="loki", statuses=[container_status("loki", **status)])


def _by_states(before: Snapshot, after: Snapshot, ts: float) -> list[Transition]:
    """The transitions as every object's state says them (the definition)."""
    old, new = states_of(before), states_of(after)
    changed = [
        Transition(
            *key, str(old[key].state) if key in old else None, str(v.state), v.reason, v.message, ts
        )
        for key, v in new.items()
        if key not in old or old[key].state != v.state
    ]
    changed += [
        Transition(*k, str(v.state), None, "Deleted", "", ts)
        for k, v in old.items()
        if k not in new
    ]
    return changed


def test_transitions_are_those_of_every_objects_state():
    store = store_of(hr_ready("bp-loki"), *(_pod(f"loki-{i}") for i in range(5)), pvc("data", NS))
    rollout = Rollout()
    now = T0_EPOCH + 100
    rollout.update(store, store.drain_changes(), now)
    before = snapshot_of(rollout, store, now=now)
    steps = [
        # a pod crash-loops and another becomes unready: the same objects, two rows replaced
        [
            _pod(
                "loki-1", ready=False, restarts=2, state=waiting("CrashLoopBackOff", "back-off 20s")
            ),
            _pod("loki-3", ready=False),
        ],
        # a pod changes without changing state: its row is replaced, no transition
        [_pod("loki-3", ready=False, restarts=1)],
        # a new pod: the objects differ
        [_pod("loki-9", ready=False)],
    ]
    seen = []
    for changes in steps:
        now += 10
        for obj in changes:
            store.apply(WatchEvent("x", EventType.MODIFIED, obj, now))
        rollout.update(store, store.drain_changes(), now)
        after = snapshot_of(rollout, store, now=now)
        got = diff(before, after, ts=now)
        assert got == _by_states(before, after, now)
        seen.append([(t.name, t.before, t.after) for t in got])
        before = after
    now += 10
    store.apply(WatchEvent("x", EventType.DELETED, _pod("loki-0"), now))
    rollout.update(store, store.drain_changes(), now)
    after = snapshot_of(rollout, store, now=now)
    assert diff(before, after, ts=now) == _by_states(before, after, now)
    assert seen == [
        [
            ("bp-loki", "ready", "failed"),
            ("loki-1", "ready", "failed"),
            ("loki-3", "ready", "progressing"),
        ],
        [],
        [("loki-9", None, "progressing")],
    ]
