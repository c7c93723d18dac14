"""The timeline's ETA line, from snapshots the model builds: the estimate and what it rests on, or
why there is none."""

from __future__ import annotations

from dataclasses import replace

from sovwatch.model.eta import Estimate
from sovwatch.model.snapshot import Snapshot, build_snapshot
from sovwatch.views.tui.viewmodel import eta_text
from tests.model.builders import (
    T0_EPOCH,
    hr_install_failed,
    hr_installing,
    hr_ready,
    hr_waiting,
    store_of,
)


def _snapshot(*objects: dict) -> Snapshot:
    return build_snapshot(store_of(*objects), now=T0_EPOCH + 600)


def test_too_few_finished_releases():
    doc = _snapshot(
        hr_ready("bp-cilium"), hr_installing("bp-cert-manager", depends_on=["bp-cilium"])
    )
    assert doc.eta is None
    assert eta_text(doc) == f"ETA unknown: {doc.eta_detail.unknown_because}"
    assert "needed for an estimate" in eta_text(doc)


def test_a_stalled_release_makes_it_unknown():
    doc = _snapshot(
        hr_ready("bp-cilium"),
        hr_install_failed("bp-spire", "context deadline exceeded", failures=4, stalled=True),
        hr_waiting("bp-openbao", "bp-spire"),
    )
    assert eta_text(doc) == "ETA unknown: bp-spire is stalled"


def test_an_estimate_says_what_it_rests_on():
    detail = Estimate(780.0, (), finished=7, typical=95.0, unknown_because=None)
    doc = replace(
        _snapshot(hr_ready("bp-cilium")), outcome="in-progress", eta=780.0, eta_detail=detail
    )
    assert eta_text(doc) == "ETA 13m (from 7 finished releases, typical step 1m)"


def test_nothing_once_the_rollout_is_over():
    doc = _snapshot(hr_ready("bp-cilium"), hr_ready("bp-reloader"))
    assert doc.outcome == "ready"
    assert eta_text(doc) == ""
