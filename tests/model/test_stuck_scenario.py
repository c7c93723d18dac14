"""The model over the emulator's `stuck` scenario names the right root cause for every blocked release.

The scenario (sovsim/scenarios/stuck.yaml) has three independent root causes: a
Multi-Attach volume under bp-loki, a crash-looping spire-controller-manager under bp-spire (stalled
after its retries, around minute 45), and a missing `ghcr-pull` secret behind bp-keycloak's HelmChart.
It is played instantly (simulated time), its objects fed to a Store exactly as the watch engine would
(slimmed WatchEvents), and the model's snapshot is checked release by release.
"""

from __future__ import annotations

import pytest

from sovwatch.model.rollout import Rollout
from sovwatch.model.snapshot import build_snapshot, snapshot_of
from sovwatch.model.states import State
from tests.model.scenario_feed import START, Feed, store_at

KEYCLOAK_CHART = ("HelmChart", "flux-system", "flux-system-bp-keycloak")
LOKI_CLAIM = ("PersistentVolumeClaim", "loki", "storage-loki-0")
BLOCKED = {
    "bp-grafana",
    "bp-keycloak",
    "bp-gitea",
    "bp-catalyst-platform",
    "bp-nats-jetstream",
    "bp-openbao",
    "bp-external-secrets",
}


@pytest.fixture(scope="module")
def at_ten_minutes():
    return build_snapshot(store_at("stuck", 600), now=START + 600, started_at=START)


def _cause(snapshot, name):
    view = snapshot.release("flux-system", name)
    assert view is not None, name
    assert view.root_cause is not None, name
    return view.root_cause


def test_exactly_the_blocked_releases_are_waiting(at_ten_minutes):
    waiting = {
        r.core.key[2] for r in at_ten_minutes.releases if r.core.verdict.state is State.WAITING
    }
    assert waiting == BLOCKED
    assert at_ten_minutes.outcome == "in-progress"


def test_grafana_blocked_by_loki_multi_attach(at_ten_minutes):
    rc = _cause(at_ten_minutes, "bp-grafana")
    assert rc.chain[:3] == ("bp-grafana", "bp-loki", "pod loki/loki-0 ContainerCreating")
    assert (rc.cause.kind, rc.cause.namespace, rc.cause.name) == LOKI_CLAIM
    assert rc.cause.reason == "Multi-Attach"
    assert rc.cause.message.startswith("Multi-Attach error for volume ")
    assert rc.cause.message.endswith("Volume is already used by pod(s) loki-0")
    loki = at_ten_minutes.release("flux-system", "bp-loki")
    assert loki.core.volumes[0].attach == "multi-attach"


@pytest.mark.parametrize("name", ["bp-keycloak", "bp-gitea", "bp-catalyst-platform"])
def test_keycloak_chain_blocked_by_missing_pull_secret(at_ten_minutes, name):
    rc = _cause(at_ten_minutes, name)
    assert (rc.cause.kind, rc.cause.namespace, rc.cause.name) == KEYCLOAK_CHART
    assert rc.cause.state is State.FAILED
    assert "ghcr-pull" in rc.cause.message
    assert rc.chain[-3] == "bp-keycloak"


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("bp-nats-jetstream", ("bp-nats-jetstream", "bp-spire")),
        ("bp-openbao", ("bp-openbao", "bp-spire")),
        ("bp-external-secrets", ("bp-external-secrets", "bp-openbao", "bp-spire")),
    ],
)
def test_spire_dependants_blocked_by_crash_looping_container(at_ten_minutes, name, path):
    rc = _cause(at_ten_minutes, name)
    assert rc.chain[: len(path)] == path
    assert rc.chain[len(path)] == "pod spire-system/spire-server-0 Running"
    assert (rc.cause.kind, rc.cause.namespace, rc.cause.name) == (
        "Pod",
        "spire-system",
        "spire-server-0",
    )
    assert rc.cause.state is State.FAILED
    assert "spire-controller-manager" in rc.cause.message


def test_noise_is_not_blocking(at_ten_minutes):
    """disableWait releases with broken pods are failed themselves but block nobody."""
    for name, reason in [
        ("bp-powerdns", "CreateContainerConfigError"),
        ("bp-external-dns", "CrashLoopBackOff"),
        ("bp-vpa", "ImagePullBackOff"),
        ("bp-mimir", "ProvisioningFailed"),
    ]:
        view = at_ten_minutes.release("flux-system", name)
        assert view.core.helm.state is State.READY
        assert (view.core.verdict.state, view.core.verdict.reason) == (State.FAILED, reason)


def test_mimir_ingester_waits_on_its_claim_down_to_the_provisioner(at_ten_minutes):
    """The storage chain: the unschedulable pod waits on its PVC, the PVC on the provisioner."""
    rc = _cause(at_ten_minutes, "bp-mimir")
    assert rc.chain[1:3] == (
        "pod mimir/mimir-ingester-0 Pending",
        "pvc mimir/storage-mimir-ingester-0 Pending",
    )
    assert rc.chain[3].startswith(
        'ProvisioningFailed: failed to provision volume with StorageClass "hcloud-volumes-immediate": '
    )
    assert (rc.cause.kind, rc.cause.name, rc.cause.state) == (
        "PersistentVolumeClaim",
        "storage-mimir-ingester-0",
        State.FAILED,
    )
    ingester = next(
        p
        for p in at_ten_minutes.release("flux-system", "bp-mimir").core.pods
        if "ingester" in p.key[2]
    )
    assert (ingester.verdict.state, ingester.verdict.reason) == (State.WAITING, "Unschedulable")


def test_streamed_rollout_to_the_end():
    """Every change streamed through the incremental Rollout; at minute 60 spire is stalled, its
    dependants name it, the rollout has failed (a stalled release blocks it until a person acts, before
    the 60-minute timeout), and incremental agrees with full recomputation."""
    feed = Feed("stuck")
    store = feed.store
    rollout = Rollout(started_at=START)
    etas = {}
    for t in range(30, 3601, 30):
        feed.run_until(t)
        rollout.update(store, store.drain_changes(), START + t)
        if t in (1200, 2400):
            etas[t] = snapshot_of(rollout, store, now=START + t).eta
    assert etas[2400] > etas[1200] > 600  # failing for good: the ETA grows, it never says "1m"
    now = START + 3600
    incremental = snapshot_of(rollout, store, now=now)
    full = build_snapshot(store, now=now, started_at=START, timeline=rollout.timeline)
    assert incremental.to_dict() == full.to_dict()
    assert incremental.outcome == "failed"
    spire = incremental.release("flux-system", "bp-spire")
    assert (spire.core.verdict.state, spire.core.verdict.reason) == (
        State.STALLED,
        "RetriesExceeded",
    )
    for name in ("bp-nats-jetstream", "bp-openbao", "bp-external-secrets"):
        rc = _cause(incremental, name)
        assert (rc.cause.kind, rc.cause.name, rc.cause.state) == (
            "HelmRelease",
            "bp-spire",
            State.STALLED,
        )
        assert rc.hopeless
    assert _cause(incremental, "bp-grafana").cause.reason == "Multi-Attach"
    assert _cause(incremental, "bp-catalyst-platform").cause.name == "flux-system-bp-keycloak"
    assert incremental.progress.ready == 7
    assert incremental.eta is None  # bp-spire will not finish by itself
    assert incremental.eta_detail.unknown_because == "bp-spire is stalled"


def test_vpa_image_pull_names_the_missing_pull_secret(at_ten_minutes):
    """The container only says "Back-off pulling image"; the kubelet's Warning names the secret."""
    rc = _cause(at_ten_minutes, "bp-vpa")
    assert rc.chain[1].startswith("pod vpa/vpa-recommender-")
    assert rc.chain[1].endswith(" ImagePullBackOff")
    assert rc.chain[-1] == (
        "Unable to retrieve some image pull secrets (ghcr-pull); "
        "attempting to pull the image may not succeed."
    )
    (pod,) = at_ten_minutes.release("flux-system", "bp-vpa").core.pods
    assert pod.containers[0].message.startswith('Back-off pulling image "ghcr.io/openova-io/')
