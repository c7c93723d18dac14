"""Progress (expected from --expect, the inventory, or what was seen) and the outcome rules."""

from __future__ import annotations

import pytest

from sovwatch.model.outcome import Outcome, decide_outcome
from sovwatch.model.progress import expected_releases, summarize
from sovwatch.model.settings import ModelSettings
from sovwatch.model.snapshot import build_snapshot
from sovwatch.model.states import State
from tests.model.builders import (
    T0_EPOCH,
    helmrelease,
    hr_install_failed,
    hr_installing,
    hr_ready,
    hr_waiting,
    kustomization,
    store_of,
)

SETTINGS = ModelSettings(timeout=3600, first_seen_timeout=900)


def test_expected_prefers_explicit_then_inventory_then_seen():
    assert expected_releases(explicit=38, inventory=35, seen=3) == (38, "explicit")
    assert expected_releases(explicit=None, inventory=35, seen=3) == (35, "inventory")
    assert expected_releases(explicit=None, inventory=0, seen=3) == (3, "seen")


def test_expected_from_bootstrap_kustomization_inventory():
    objs = [
        hr_ready("bp-cilium"),
        hr_ready("bp-vpa"),
        kustomization(
            releases=["bp-cilium", "bp-vpa", "bp-reloader"], extra_entries=["_vpa__Namespace"]
        ),
    ]
    snap = build_snapshot(store_of(*objs), now=T0_EPOCH)
    assert (
        snap.progress.ready,
        snap.progress.total,
        snap.progress.expected,
        snap.progress.expected_source,
    ) == (2, 2, 3, "inventory")
    assert not snap.progress.done
    assert snap.outcome == "in-progress"


def test_named_bootstrap_kustomization_only_counts_its_own_inventory():
    objs = [
        hr_ready("bp-cilium"),
        kustomization(releases=["bp-cilium"]),
        kustomization("apps", releases=["a", "b"]),
    ]
    snap = build_snapshot(
        store_of(*objs),
        now=T0_EPOCH,
        settings=ModelSettings(bootstrap_kustomization="flux-system/bootstrap-kit"),
    )
    assert snap.progress.expected == 1
    assert snap.outcome == "ready"


def test_never_done_while_fewer_than_expected_appeared():
    store = store_of(hr_ready("bp-cilium"))
    settings = ModelSettings(expect=38)
    snap = build_snapshot(store, now=T0_EPOCH + 10, started_at=T0_EPOCH, settings=settings)
    assert snap.progress.ready == snap.progress.total == 1
    assert snap.outcome == "in-progress"
    assert (
        build_snapshot(store, now=T0_EPOCH + 5000, started_at=T0_EPOCH, settings=settings).outcome
        == "timeout"
    )


def test_ready_when_all_expected_ready():
    objs = [hr_ready(f"bp-{i}") for i in range(3)]
    snap = build_snapshot(store_of(*objs), now=T0_EPOCH, settings=ModelSettings(expect=3))
    assert snap.outcome == "ready"


def _progress(**counts):
    states = {State(k): v for k, v in counts.items()}
    return summarize(states, expected=sum(states.values()), expected_source="seen")


OUTCOME_CASES = [
    # (id, progress, blocked_for_good, reconciled_any, now-started, first_release_after, expected)
    ("all-ready", _progress(ready=3), 0, True, 10, 0, Outcome.READY),
    ("nothing-seen-yet", _progress(), 0, False, 60, None, Outcome.IN_PROGRESS),
    ("nothing-seen-15m", _progress(), 0, False, 900, None, Outcome.FLUX_NOT_RECONCILING),
    (
        "seen-but-never-reconciled",
        _progress(unknown=35),
        0,
        False,
        1000,
        0,
        Outcome.FLUX_NOT_RECONCILING,
    ),
    (
        "stalled-and-rest-blocked",
        _progress(ready=30, stalled=1, waiting=4),
        4,
        True,
        600,
        0,
        Outcome.FAILED,
    ),
    (
        # a stalled release blocks the rollout until a person acts: failed, whatever still moves
        "stalled-while-others-still-moving",
        _progress(ready=30, stalled=1, progressing=1),
        0,
        True,
        600,
        0,
        Outcome.FAILED,
    ),
    (
        "stalled-wins-over-timeout",
        _progress(ready=30, stalled=1, progressing=1),
        0,
        True,
        4000,
        0,
        Outcome.FAILED,
    ),
    (
        # a crash loop or a failed install with retries left may still recover
        "failed-with-retries-left",
        _progress(ready=30, failed=1),
        0,
        True,
        600,
        0,
        Outcome.IN_PROGRESS,
    ),
    (
        "missing-dependency-while-others-move",
        _progress(ready=30, waiting=1, progressing=1),
        1,
        True,
        600,
        0,
        Outcome.IN_PROGRESS,
    ),
    (
        "waiting-not-for-good",
        _progress(ready=30, failed=1, waiting=4),
        3,
        True,
        600,
        0,
        Outcome.IN_PROGRESS,
    ),
    ("cycle-only", _progress(ready=3, waiting=2), 2, True, 600, 0, Outcome.FAILED),
    (
        "suspended-alone-is-not-failure",
        _progress(ready=3, suspended=1),
        0,
        True,
        600,
        0,
        Outcome.IN_PROGRESS,
    ),
    ("timeout", _progress(ready=3, progressing=1), 0, True, 3600, 0, Outcome.TIMEOUT),
    (
        "timeout-with-failures-remaining",
        _progress(ready=3, failed=1),
        0,
        True,
        4000,
        0,
        Outcome.TIMEOUT,
    ),
]


@pytest.mark.parametrize(
    ("progress", "blocked", "reconciled", "elapsed", "first", "expected"),
    [c[1:] for c in OUTCOME_CASES],
    ids=[c[0] for c in OUTCOME_CASES],
)
def test_outcome_rules(progress, blocked, reconciled, elapsed, first, expected):
    outcome = decide_outcome(
        progress,
        blocked_for_good=blocked,
        reconciled_any=reconciled,
        now=1000.0 + elapsed,
        started_at=1000.0,
        first_release_at=None if first is None else 1000.0 + first,
        settings=SETTINGS,
    )
    assert outcome is expected


def test_outcome_failed_end_to_end_with_stalled_chain():
    objs = [
        hr_ready("bp-cilium"),
        hr_install_failed("bp-seaweedfs", "boom", failures=4, stalled=True),
        hr_waiting("bp-loki", "bp-seaweedfs"),
        hr_waiting("bp-grafana", "bp-loki"),
    ]
    snap = build_snapshot(store_of(*objs), now=T0_EPOCH)
    assert snap.outcome == "failed"
    assert (snap.progress.failed, snap.progress.stalled, snap.progress.waiting) == (1, 1, 2)


def test_flux_not_reconciling_when_no_release_has_status():
    objs = [helmrelease(f"bp-{i}", observed=None) for i in range(3)]
    store = store_of(*objs, received_at=T0_EPOCH)
    assert build_snapshot(store, now=T0_EPOCH + 60, started_at=T0_EPOCH).outcome == "in-progress"
    assert (
        build_snapshot(store, now=T0_EPOCH + 901, started_at=T0_EPOCH).outcome
        == "flux-not-reconciling"
    )


def test_in_progress_counts():
    objs = [hr_ready("bp-a"), hr_installing("bp-b"), hr_waiting("bp-c", "bp-b")]
    p = build_snapshot(store_of(*objs), now=T0_EPOCH).progress
    assert (p.ready, p.progressing, p.waiting, p.total) == (1, 1, 1, 3)
