"""Timeline from the objects' own timestamps: recorded instants, observation fallback, cold start,
record → replay. The ETA from the critical path is in test_eta.py."""

from __future__ import annotations

import pytest

from sovwatch.model import release_times as rt
from sovwatch.model.pod import assess_pod
from sovwatch.model.release_times import recorded_times
from sovwatch.model.rollout import Rollout
from sovwatch.model.snapshot import build_snapshot, snapshot_of
from sovwatch.model.states import State
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.recording import Recorder, RecordingReader
from sovwatch.store.store import Store
from tests.model.builders import (
    T0_EPOCH,
    cond,
    container_status,
    helmrelease,
    pod,
    ts,
)
from tests.model.scenario_feed import START, Feed, store_at

INSTALL_MSG = "Helm install succeeded for release loki/loki.v1 with chart bp-loki@1.0.0"
UPGRADE_MSG = "Helm upgrade succeeded for release loki/loki.v2 with chart bp-loki@1.1.0"


def _snap(version: int, status: str, first: float, last: float | None = None) -> dict:
    """A `status.history` entry as helm-controller v2 writes it."""
    return {
        "name": "loki",
        "namespace": "loki",
        "version": version,
        "status": status,
        "chartName": "bp-loki",
        "chartVersion": "1.0.0",
        "firstDeployed": ts(first),
        "lastDeployed": ts(last if last is not None else first),
    }


def _hr(conditions, history=None, api_version="helm.toolkit.fluxcd.io/v2"):
    return helmrelease(
        "bp-loki",
        api_version=api_version,
        conditions=conditions,
        status={"history": history} if history is not None else None,
    )


def _pod_at(name: str, *, start: float, ready_at: float | None):
    obj = pod(
        name,
        "loki",
        release="loki",
        statuses=[container_status("loki", ready=ready_at is not None)],
        conditions=[
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": ts(start)},
            {
                "type": "Ready",
                "status": str(ready_at is not None),
                "lastTransitionTime": ts(ready_at if ready_at is not None else start),
            },
        ],
    )
    obj["status"]["startTime"] = ts(start)
    return assess_pod(obj, [])


RUNNING_INSTALL = "Running 'install' action with timeout of 5m0s"
RUNNING_UPGRADE = "Running 'upgrade' action with timeout of 5m0s"
INSTALLED_AT_100 = _hr(
    [cond("Ready", "True", "InstallSucceeded", INSTALL_MSG, gen=1, at=100)],
    [_snap(1, "deployed", 60)],
)
"""Install started at 60 (history), Ready=True at 100."""


@pytest.mark.parametrize(
    ("hr", "pods", "started", "ready"),
    [
        pytest.param(
            INSTALLED_AT_100,
            [],
            (60, rt.HISTORY),
            (100, rt.READY_TRUE),
            id="installed-no-pods",
        ),
        pytest.param(
            _hr(
                [
                    cond("Reconciling", "True", "Progressing", RUNNING_INSTALL, gen=1, at=30),
                    cond("Ready", "Unknown", "Progressing", RUNNING_INSTALL, gen=1, at=45),
                ]
            ),
            [],
            (45, rt.READY_UNKNOWN),
            None,
            id="install-running",
        ),
        pytest.param(
            _hr(
                [cond("Ready", "True", "InstallSucceeded", INSTALL_MSG, gen=1, at=500)],
                [_snap(1, "deployed", 400), _snap(1, "uninstalled", 100)],
            ),
            [],
            (100, rt.HISTORY),
            (500, rt.READY_TRUE),
            id="retried-install-counts-from-first-attempt",
        ),
        pytest.param(
            _hr(
                [cond("Ready", "True", "UpgradeSucceeded", UPGRADE_MSG, gen=2, at=3100)],
                [_snap(2, "deployed", 60, 3000), _snap(1, "superseded", 60)],
            ),
            [],
            (3000, rt.HISTORY),
            (3100, rt.READY_TRUE),
            id="day2-upgrade-is-a-new-episode",
        ),
        pytest.param(
            _hr(
                [cond("Ready", "Unknown", "Progressing", RUNNING_UPGRADE, gen=2, at=3000)],
                [_snap(1, "deployed", 60)],
            ),
            [],
            (3000, rt.READY_UNKNOWN),
            None,
            id="upgrade-running-after-a-deployed-version",
        ),
        pytest.param(
            INSTALLED_AT_100,
            [
                _pod_at("loki-0", start=105, ready_at=180),
                _pod_at("loki-1", start=110, ready_at=240),
            ],
            (60, rt.HISTORY),
            (240, rt.PODS_READY),
            id="disable-wait-ready-when-the-last-pod-is",
        ),
        pytest.param(
            INSTALLED_AT_100,
            [
                _pod_at("loki-0", start=105, ready_at=180),
                _pod_at("loki-1", start=110, ready_at=None),
            ],
            (60, rt.HISTORY),
            None,
            id="a-pod-not-ready",
        ),
        pytest.param(
            _hr(
                [
                    cond(
                        "Ready",
                        "True",
                        "ReconciliationSucceeded",
                        "Release reconciliation succeeded",
                        at=300,
                    )
                ],
                api_version="helm.toolkit.fluxcd.io/v2beta1",
            ),
            [_pod_at("loki-0", start=120, ready_at=200)],
            (120, rt.POD_START),
            (300, rt.READY_TRUE),
            id="v2beta1-no-history-pods-start",
        ),
        pytest.param(
            _hr(
                [
                    cond(
                        "Ready",
                        "False",
                        "DependencyNotReady",
                        "dependency 'flux-system/bp-seaweedfs' is not ready",
                        at=10,
                    )
                ]
            ),
            [],
            None,
            None,
            id="waiting-never-started",
        ),
    ],
)
def test_recorded_instants(hr, pods, started, ready):
    times = recorded_times(hr, pods)
    assert times.created == rt.Instant(T0_EPOCH, rt.CREATED)
    as_pair = lambda i: (i.at - T0_EPOCH, i.basis) if i else None  # noqa: E731
    assert as_pair(times.started) == started
    assert as_pair(times.ready) == ready


def _update(rollout: Rollout, store: Store, obj: dict, at: float) -> None:
    store.apply(WatchEvent("helmreleases", EventType.MODIFIED, obj, at))
    rollout.update(store, store.drain_changes(), at)


def test_observation_time_only_when_nothing_is_recorded():
    """v2beta1 keeps no history: a failed first attempt starts the clock when it is seen, the start
    is kept, and the ready instant is still read from the Ready condition."""
    key = ("HelmRelease", "flux-system", "bp-loki")
    failed = _hr(
        [cond("Ready", "False", "InstallFailed", "install retries exhausted", at=20)],
        api_version="helm.toolkit.fluxcd.io/v2beta1",
    )
    rollout, store = Rollout(), Store()
    _update(rollout, store, failed, T0_EPOCH + 50)
    times = rollout.timeline.releases[key]
    assert (times.first_seen, times.started) == (T0_EPOCH, T0_EPOCH + 50)
    assert times.basis == {"firstSeen": rt.CREATED, "started": rt.OBSERVED}
    ready = _hr(
        [
            cond(
                "Ready",
                "True",
                "ReconciliationSucceeded",
                "Release reconciliation succeeded",
                at=200,
            )
        ],
        api_version="helm.toolkit.fluxcd.io/v2beta1",
    )
    _update(rollout, store, ready, T0_EPOCH + 400)
    times = rollout.timeline.releases[key]
    assert (times.started, times.ready, times.duration) == (T0_EPOCH + 50, T0_EPOCH + 200, 150)
    assert times.basis["ready"] == rt.READY_TRUE


def _watched(scenario: str, until: float, *, step: float = 30, also=None) -> tuple[Rollout, Store]:
    feed = Feed(scenario, also=also)
    rollout = Rollout(started_at=START)
    t = 0.0
    while t < until:
        t = min(t + step, until)
        feed.run_until(t)
        rollout.update(feed.store, feed.store.drain_changes(), START + t)
    return rollout, feed.store


@pytest.fixture(scope="module")
def watched_to_minute_20():
    return _watched("bootstrap-kit", 1200)


def _timelines(snapshot) -> dict[str, dict]:
    return {r["name"]: r["timeline"] for r in snapshot.to_dict()["releases"]}


def test_cold_start_mid_bootstrap_agrees_with_watching_from_the_start(watched_to_minute_20):
    rollout, store = watched_to_minute_20
    now = START + 1200
    live = snapshot_of(rollout, store, now=now)
    cold = build_snapshot(store_at("bootstrap-kit", 1200), now=now, started_at=now)
    finished = {r.core.key[2] for r in live.releases if r.core.verdict.state is State.READY}
    assert len(finished) >= 20
    live_times, cold_times = _timelines(live), _timelines(cold)
    for name in finished:
        assert cold_times[name] == live_times[name], name
        assert cold_times[name]["basis"]["started"] == rt.HISTORY, name
    durations = [cold_times[n]["durationSeconds"] for n in finished]
    assert min(durations) > 0
    assert max(durations) > 300
    cilium = live_times["bp-cilium"]
    assert cilium["installed"] <= cilium["workloadsReady"] == cilium["ready"]


def test_replay_at_instant_speed_gives_the_live_timeline(tmp_path, watched_to_minute_20):
    """Recorded while watched live; replayed into a fresh store with one model update at the end
    (what an instant replay does): the timeline is the live one, for every release."""
    path = tmp_path / "bootstrap.jsonl"
    with Recorder(path, context="sim", server="https://127.0.0.1", started=START) as recorder:
        rollout, store = _watched("bootstrap-kit", 1200, also=recorder.write)
    now = START + 1200
    live = snapshot_of(rollout, store, now=now)
    replayed_store, replayed = Store(), Rollout(started_at=START)
    with RecordingReader(path) as reader:
        for item in reader:
            replayed_store.apply(item)
    replayed.update(replayed_store, replayed_store.drain_changes(), now)
    replay = snapshot_of(replayed, replayed_store, now=now)
    live_times, replay_times = _timelines(live), _timelines(replay)
    assert replay_times.keys() == live_times.keys()
    recorded_only = {
        name for name, times in live_times.items() if rt.OBSERVED not in times["basis"].values()
    }
    assert len(recorded_only) == len(live_times)
    for name in recorded_only:
        assert replay_times[name] == live_times[name], name
