"""ETA from the critical path of the remaining releases, with typical steps of finished ones."""

from __future__ import annotations

import pytest

from sovwatch.model import graph
from sovwatch.model.eta import estimate
from sovwatch.model.rollout import Rollout
from sovwatch.model.snapshot import snapshot_of
from sovwatch.model.states import State
from sovwatch.model.timeline import ReleaseTimes, Timeline
from tests.model.scenario_feed import START, Feed


def _k(name: str) -> tuple[str, str, str]:
    return ("HelmRelease", "flux-system", name)


A, B, C, D, E = (_k(f"bp-{n}") for n in "abcde")
DEPS = {A: (), B: (A,), C: (A,), D: (B,), E: (D,)}
FINISHED = {
    # a: could start at 0, ready at 100 → step 100; b, c could start when a was ready (100)
    A: ReleaseTimes(first_seen=0, started=10, ready=100),
    B: ReleaseTimes(first_seen=0, started=130, ready=220),  # step 120 (incl. 30 s requeue)
    C: ReleaseTimes(first_seen=0, started=110, ready=240),  # step 140
}
READY3 = {A: State.READY, B: State.READY, C: State.READY}


def _eta(states, extra=None, *, now=300.0, min_finished=3):
    timeline = Timeline({**FINISHED, **(extra or {})})
    deps = {k: v for k, v in DEPS.items() if k in states}
    return estimate(timeline, deps, states, graph.analyse(deps), now, min_finished=min_finished)


@pytest.mark.parametrize(
    ("d_state", "d_started", "now", "seconds"),
    [
        pytest.param(
            State.WAITING,
            None,
            300.0,
            240.0,  # two typical (median 120) steps in a chain, not in parallel
            id="waiting-chain",
        ),
        pytest.param(
            State.PROGRESSING,
            230,
            300.0,
            # d could start at 220 (b ready): 80 s in; finished steps longer than 80 needed
            # 20/40/60 more (median 40), then e a typical 120
            160.0,
            id="progressing-part-way",
        ),
        pytest.param(
            State.PROGRESSING,
            230,
            600.0,
            # at 600, 380 s in: slower than every finished step → one more typical step
            240.0,
            id="overrunning-progressing",
        ),
        pytest.param(
            State.FAILED,
            230,
            600.0,
            500.0,  # failing for 380 s: at least as long again, then e's typical 120
            id="failing-takes-as-long-again",
        ),
    ],
)
def test_critical_path_of_what_remains(d_state, d_started, now, seconds):
    """a, b and c finished; d (in `d_state`) and then e, waiting on d, remain."""
    states = {**READY3, D: d_state, E: State.WAITING}
    extra = {D: ReleaseTimes(first_seen=0, started=d_started), E: ReleaseTimes(first_seen=0)}
    est = _eta(states, extra, now=now)
    assert (est.seconds, est.path) == (seconds, (D, E))
    assert (est.finished, est.typical, est.unknown_because) == (3, 120.0, None)


@pytest.mark.parametrize(
    ("states", "min_finished", "why"),
    [
        ({A: State.READY, B: State.WAITING}, 3, "1 release(s) finished, 3 needed for an estimate"),
        ({**READY3, D: State.STALLED}, 3, "bp-d is stalled"),
        ({**READY3, D: State.SUSPENDED}, 3, "bp-d is suspended"),
    ],
    ids=["too-few-finished", "stalled", "suspended"],
)
def test_no_eta_when_it_would_be_a_guess(states, min_finished, why):
    est = _eta(states, {D: ReleaseTimes(first_seen=0)}, min_finished=min_finished)
    assert est.seconds is None
    assert est.unknown_because == why


def test_bootstrap_kit_eta_never_collapses_while_much_is_running():
    """The demo once said "ETA <1m" with 15 releases still progressing. Watched every 30 s, the
    ETA exists once 3 releases finished, stays above a minute while 5 or more are not ready, and is
    0 when all are."""
    feed = Feed("bootstrap-kit")
    rollout = Rollout(started_at=START)
    seen = []
    for t in range(30, 2701, 30):
        feed.run_until(t)
        rollout.update(feed.store, feed.store.drain_changes(), START + t)
        snap = snapshot_of(rollout, feed.store, now=START + t)
        seen.append((snap.progress, snap.eta, snap.eta_detail))
    estimated = [(p, eta) for p, eta, detail in seen if detail.finished >= 3]
    assert estimated
    assert all(eta is not None for _, eta in estimated)
    busy = [eta for p, eta in estimated if p.total - p.ready >= 5]
    assert len(busy) > 20
    assert min(busy) >= 60
    last_progress, last_eta, _ = seen[-1]
    assert last_progress.ready == last_progress.total == 38
    assert last_eta == 0
