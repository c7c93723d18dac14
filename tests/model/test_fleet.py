"""The fleet summary over realistic snapshots: the emulator's scenarios played to an instant, listed
into a store with every stream's health as the watch engine reports it, and run through the model."""

from __future__ import annotations

import pytest

from sovwatch.kube.resources import WATCHED
from sovwatch.model.fleet import (
    HOLD,
    MemberState,
    cause_links,
    fleet_row,
    fleet_rows,
    fleet_totals,
    steady_order,
    worst_cause,
)
from sovwatch.model.settings import ModelSettings
from sovwatch.model.snapshot import ClusterInfo, Snapshot, build_snapshot
from sovwatch.sources.events import HealthState, StreamHealth
from sovwatch.store.store import Store
from tests.model.scenario_feed import START, store_at

STUCK_AT = 600.0
"""Ten minutes into `stuck`: keycloak's chart cannot authenticate, spire crash-loops, loki's volume
is attached elsewhere, mimir's claim cannot be provisioned; nothing has stalled yet."""


def snapshot(
    scenario: str,
    seconds: float,
    *,
    seed: int = 0,
    unhealthy: dict[str, HealthState] | None = None,
    timeout: float | None = None,
) -> Snapshot:
    store = store_at(scenario, seconds, seed=seed)
    for rt in WATCHED:
        state = (unhealthy or {}).get(rt.key, HealthState.LIVE)
        store.apply(StreamHealth(rt.key, state, since=START + 1, attempt=int(state != "live")))
    settings = ModelSettings(timeout=timeout) if timeout is not None else None
    return build_snapshot(
        store,
        now=START + seconds,
        started_at=START,
        settings=settings,
        cluster=ClusterInfo("sov", "https://203.0.113.10:6443"),
    )


@pytest.fixture(scope="module")
def stuck() -> Snapshot:
    return snapshot("stuck", STUCK_AT)


@pytest.fixture(scope="module")
def stalled() -> Snapshot:
    return snapshot("stuck", 3500)


@pytest.fixture(scope="module")
def finished() -> Snapshot:
    return snapshot("bootstrap-kit", 2700)


def line(links: tuple[str, ...]) -> str:
    return " ← ".join(links)


def member(context: str, snap: Snapshot | None, **kw) -> MemberState:
    return MemberState(
        context=context,
        server=f"https://{context}.example:6443",
        snapshot=snap,
        started_at=START,
        now=START + 600,
        **kw,
    )


def test_a_rollout_with_failing_releases_names_the_culprit_holding_back_the_most(stuck):
    # spire's crash loop holds back nats-jetstream, openbao and external-secrets (4 releases);
    # keycloak's chart three, loki's volume two: the line is read from the nearest one behind spire
    assert line(worst_cause(stuck)) == (
        "bp-nats-jetstream ← bp-spire ← container spire-controller-manager restarted 5 times, "
        "last exit 1 (Error)"
    )
    row = fleet_row(member("sov-par1", stuck))
    assert row.outcome == "in-progress"
    assert (row.progress, row.failed, row.waiting) == ("7/20 ready", 4, 7)
    assert row.fraction == pytest.approx(7 / 20)
    assert row.failing  # failing releases rank it above the quiet rollouts
    assert row.streams.quiet
    assert row.streams.text == "live"
    assert row.elapsed == 600


def test_a_stalled_release_is_worse_than_more_releases_held_back_by_a_failing_one(stalled):
    assert stalled.outcome == "failed"
    text = line(worst_cause(stalled))
    assert text.startswith("bp-nats-jetstream ← bp-spire ← RetriesExceeded: Failed to install")
    assert "\n" not in text


def test_a_release_failing_on_its_own_is_its_culprit_and_its_last_link():
    snap = snapshot("stuck", 600)
    mimir = snap.release("flux-system", "bp-mimir")
    assert line(cause_links(mimir)) == (
        "bp-mimir ← ProvisioningFailed: failed to provision volume with StorageClass "
        '"hcloud-volumes-immediate": rpc error: code = ResourceExhausted desc = volume limit '
        "exceeded"
    )
    loki_behind = snap.release("flux-system", "bp-grafana")
    assert line(cause_links(loki_behind)).startswith(
        "bp-grafana ← bp-loki ← Multi-Attach error for volume"
    )


def test_a_finished_rollout_has_no_cause_and_sorts_last(finished, stuck, stalled):
    assert finished.outcome == "ready"
    assert line(worst_cause(finished)) == ""
    rows = fleet_rows(
        [
            member("sov-ams1", finished),
            member("sov-fra1", None),  # nothing published yet
            member("sov-lon1", stuck),
            member("sov-mad1", None, trouble="dial tcp 127.0.0.1:1: connect: connection refused"),
            member("sov-par1", stalled),
        ]
    )
    assert [(r.context, r.outcome) for r in rows] == [
        ("sov-par1", "failed"),
        ("sov-mad1", "trouble"),
        ("sov-lon1", "in-progress"),
        ("sov-fra1", "connecting"),
        ("sov-ams1", "ready"),
    ]
    ready = rows[-1]
    assert (ready.progress, ready.cause, ready.eta) == ("38/38 ready", (), 0)
    trouble = rows[1]
    assert trouble.cause_text == "dial tcp 127.0.0.1:1: connect: connection refused"
    assert (trouble.streams.text, trouble.progress, trouble.fraction) == ("trouble", "0/0 ready", 0)
    assert fleet_totals(rows).text == (
        "5 Sovereigns: 1 ready, 1 failed, 1 in trouble, 1 in progress, 1 connecting"
    )


def test_in_progress_without_failures_sorts_after_failing_ones_by_context():
    quiet = snapshot("bootstrap-kit", 450)
    assert quiet.outcome == "in-progress"
    assert quiet.progress.failed == 0
    assert line(worst_cause(quiet)) == ""
    rows = fleet_rows([member("b", quiet), member("a", quiet), member("c", snapshot("stuck", 600))])
    assert [r.context for r in rows] == ["c", "a", "b"]
    assert rows[1].eta == quiet.eta


def test_a_retrying_rollout_keeps_its_row_until_it_has_been_well_for_a_while(stuck, finished):
    quiet = snapshot("bootstrap-kit", 450)
    assert (stuck.outcome, quiet.outcome) == ("in-progress", "in-progress")
    assert stuck.progress.failed
    assert not quiet.progress.failed

    def order(b: Snapshot, now: float, held: dict[str, float]):
        members = [member("a", quiet), member("b", b), member("c", quiet), member("d", quiet)]
        return steady_order(fleet_rows(members), now=now, held_until=held)

    failing = order(stuck, 0.0, {})
    assert [r.context for r in failing.rows] == ["b", "a", "c", "d"]
    # b's failed release recovers (Helm retried): its row stays where it is, marked held
    recovered = order(quiet, 10.0, failing.held_until)
    assert [(r.context, r.held) for r in recovered.rows] == [
        ("b", True),
        ("a", False),
        ("c", False),
        ("d", False),
    ]
    assert not recovered.rows[0].failing
    # fails again, recovers again: still no move, and the hold counts from the last failure
    again = order(stuck, HOLD - 1, recovered.held_until)
    well = order(quiet, HOLD + 1, again.held_until)
    assert [r.context for r in well.rows] == ["b", "a", "c", "d"]
    # well for HOLD seconds: back among its peers, by context
    settled = order(quiet, 2 * HOLD, well.held_until)
    assert [(r.context, r.held) for r in settled.rows][:2] == [("a", False), ("b", False)]
    assert settled.held_until == {}
    # another outcome moves it at once: a finished rollout goes to the end, hold or not
    done = order(finished, 20.0, failing.held_until)
    assert [r.context for r in done.rows] == ["a", "c", "d", "b"]


def test_a_broken_cause_shows_before_its_release_counts_as_failed():
    early = snapshot("bootstrap-kit", 500)  # powerdns's pod waits for its database's Secret
    assert (early.outcome, early.progress.failed) == ("in-progress", 0)
    assert line(worst_cause(early)) == (
        'bp-external-dns ← bp-powerdns ← container pdns: secret "pdns-pg-app" not found'
    )
    assert not fleet_row(member("x", early)).failing


def test_a_timed_out_rollout_without_a_broken_release_names_its_first_waiting_one():
    slow = snapshot("bootstrap-kit", 450, timeout=60)
    assert slow.outcome == "timeout"
    assert slow.progress.failed == 0
    # cert-manager installs (its pod not ready yet): the nearest release behind it names it
    assert line(worst_cause(slow)) == "bp-coraza ← bp-cert-manager ← 0/1 containers ready"
    assert fleet_row(member("x", slow)).failing


def test_before_the_first_helmrelease_the_row_says_what_it_waits_for():
    early = snapshot("bootstrap-kit", 5)
    assert not early.releases
    assert line(worst_cause(early)) == early.waiting_for
    assert early.waiting_for


def test_stream_trouble_names_the_worst_stream_and_how_many_more():
    snap = snapshot(
        "stuck",
        600,
        unhealthy={
            "pods": HealthState.RECONNECTING,
            "events": HealthState.STALE,
            "persistentvolumeclaims": HealthState.RECONNECTING,
        },
    )
    summary = fleet_row(member("x", snap)).streams
    assert summary.text == "stale events +2"
    assert not summary.quiet
    gone = snapshot("stuck", 600, unhealthy={rt.key: HealthState.RECONNECTING for rt in WATCHED})
    assert fleet_row(member("x", gone)).streams.text == "reconnecting all"


def test_a_member_in_trouble_after_it_was_watched_keeps_its_numbers(stuck):
    row = fleet_row(member("x", stuck, trouble="the server rejected the credentials"))
    assert (row.progress, row.outcome, row.rank) == ("7/20 ready", "in-progress", 1)
    assert row.cause == ("the server rejected the credentials",)


def test_totals_of_one_and_of_none():
    assert fleet_totals([]).text == "0 Sovereigns"
    assert fleet_totals([fleet_row(member("a", None))]).text == "1 Sovereign: 1 connecting"


def test_a_snapshot_before_any_stream_reported_says_nothing_about_the_cluster():
    empty = build_snapshot(Store(), now=START + 3600, started_at=START)
    assert not empty.streams
    assert empty.outcome == "flux-not-reconciling"  # what the model makes of nothing at all
    row = fleet_row(member("x", empty, trouble="connection refused"))
    assert (row.outcome, row.cause_text, row.progress) == (
        "trouble",
        "connection refused",
        "0/0 ready",
    )
    assert fleet_row(member("y", empty)).outcome == "connecting"
