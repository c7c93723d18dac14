"""Incremental updates agree with the full recomputation, over randomized sequences of changes."""

from __future__ import annotations

import random

import pytest

from sovwatch.model.rollout import Rollout
from sovwatch.model.settings import ModelSettings
from sovwatch.model.snapshot import build_snapshot, snapshot_of
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.store.store import Store, object_key
from tests.model.builders import (
    T0_EPOCH,
    cond,
    container_status,
    event,
    helmchart,
    helmrelease,
    hr_install_failed,
    hr_installing,
    hr_ready,
    kustomization,
    pod,
    pvc,
    replicaset,
    terminated,
    volume_attachment,
    waiting,
    workload,
)

NAMES = [f"bp-{n}" for n in ("a", "b", "c", "d", "e", "f")]
SETTINGS = ModelSettings(
    stuck_detach_after=30, first_seen_timeout=200, timeout=900, eta_min_finished=1
)


def _hr_variant(rng: random.Random, name: str) -> dict:
    deps = rng.sample([n for n in NAMES if n != name] + [name, "bp-missing"], k=rng.randint(0, 2))
    kind = rng.choice(["ready", "installing", "waiting", "failed", "stalled", "source", "none"])
    if kind == "ready":
        return hr_ready(name, depends_on=deps, generation=rng.choice([1, 1, 2]))
    if kind == "installing":
        return hr_installing(name, depends_on=deps)
    if kind == "waiting":
        dep = deps[0] if deps else "bp-a"
        return helmrelease(
            name,
            depends_on=deps or [dep],
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "DependencyNotReady",
                    f"dependency 'flux-system/{dep}' is not ready",
                )
            ],
        )
    if kind == "source":
        return helmrelease(
            name,
            depends_on=deps,
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "SourceNotReady",
                    f"HelmChart 'flux-system/flux-system-{name}' is not ready",
                )
            ],
        )
    if kind == "none":
        return helmrelease(name, depends_on=deps, observed=None)
    return hr_install_failed(
        name,
        "context deadline exceeded",
        failures=rng.randint(1, 4),
        stalled=kind == "stalled",
        depends_on=deps,
    )


def _pod_variant(rng: random.Random, name: str, ns: str, owner) -> dict:
    kind = rng.choice(["ready", "crash", "creating", "notready", "pending-pvc"])
    claims = [f"data-{name}"] if rng.random() < 0.6 else []
    if kind == "ready":
        return pod(name, ns, owner=owner, claims=claims)
    if kind == "crash":
        return pod(
            name,
            ns,
            owner=owner,
            claims=claims,
            statuses=[
                container_status(
                    name.split("-")[0],
                    ready=False,
                    restarts=3,
                    state=waiting("CrashLoopBackOff", "back-off"),
                    last=terminated(),
                )
            ],
        )
    if kind == "creating":
        return pod(
            name,
            ns,
            owner=owner,
            claims=claims,
            phase="Pending",
            statuses=[
                container_status(
                    name.split("-")[0], ready=False, state=waiting("ContainerCreating")
                )
            ],
        )
    if kind == "notready":
        return pod(
            name,
            ns,
            owner=owner,
            claims=claims,
            statuses=[container_status(name.split("-")[0], ready=False)],
        )
    return pod(name, ns, owner=owner, claims=claims, phase="Pending", node=None, statuses=[])


def _random_change(rng: random.Random, now: float) -> tuple[EventType, dict]:
    name = rng.choice(NAMES)
    ns = name.removeprefix("bp-")
    release = ns
    roll = rng.random()
    pod_name = f"{ns}-{rng.randint(0, 2)}"
    if roll < 0.2:
        obj = _hr_variant(rng, name)
    elif roll < 0.45:
        owner = rng.choice([("StatefulSet", ns), ("ReplicaSet", f"{ns}-7d9c5b8f6c"), None])
        obj = _pod_variant(rng, pod_name, ns, owner)
        if owner is None:
            obj["metadata"]["labels"]["app.kubernetes.io/instance"] = release
    elif roll < 0.55:
        kind = rng.choice(["StatefulSet", "Deployment", "ReplicaSet"])
        if kind == "ReplicaSet":
            obj = replicaset(
                ns, ns, release=release, replicas=rng.randint(1, 3), ready=rng.randint(0, 1)
            )
        else:
            obj = workload(
                kind,
                ns,
                ns,
                release=release,
                replicas=rng.randint(1, 3),
                ready=rng.randint(0, 3),
                hr=rng.choice([name, None]),
            )
    elif roll < 0.65:
        obj = pvc(
            f"data-{pod_name}",
            ns,
            phase=rng.choice(["Bound", "Bound", "Pending", "Lost"]),
            volume=f"pv-{pod_name}",
        )
    elif roll < 0.75:
        deleting = rng.choice([None, (now - T0_EPOCH) - rng.choice([5, 100])])
        obj = volume_attachment(
            f"pv-{pod_name}",
            rng.choice(["w1", "w2"]),
            attached=rng.random() < 0.8,
            deleting_at=deleting,
        )
        obj["metadata"]["name"] = f"csi-{pod_name}-{obj['spec']['nodeName']}"
    elif roll < 0.9:
        reason, message, field = rng.choice(
            [
                (
                    "FailedAttachVolume",
                    f'Multi-Attach error for volume "pv-{pod_name}" Volume is already used by pod(s) {ns}-9',
                    None,
                ),
                (
                    "FailedMount",
                    "Unable to attach or mount volumes: unmounted volumes=[vol0]: timed out waiting for the condition",
                    None,
                ),
                (
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 503",
                    f"spec.containers{{{ns}}}",
                ),
                (
                    "ProvisioningFailed",
                    'failed to provision volume with StorageClass "hcloud-volumes"',
                    None,
                ),
            ]
        )
        target = (
            ("PersistentVolumeClaim", ns, f"data-{pod_name}")
            if reason == "ProvisioningFailed"
            else ("Pod", ns, pod_name)
        )
        obj = event(
            target,
            reason,
            message,
            field_path=field,
            last=now - T0_EPOCH,
            name=f"{target[2]}.{reason.lower()}",
        )
    elif roll < 0.95:
        ready = rng.random() < 0.5
        obj = helmchart(
            name,
            conditions=[
                cond("Ready", "True", "ChartPullSucceeded", "pulled", gen=1)
                if ready
                else cond(
                    "Ready",
                    "False",
                    "AuthenticationFailed",
                    "failed to get authentication secret 'flux-system/ghcr-pull'",
                    gen=1,
                )
            ],
        )
    else:
        obj = kustomization(releases=rng.sample(NAMES, k=rng.randint(0, len(NAMES))))
    kind = EventType.DELETED if rng.random() < 0.15 else EventType.MODIFIED
    return kind, obj


@pytest.mark.parametrize("seed", range(8))
def test_incremental_equals_full_recomputation(seed):
    _play_and_compare(seed, Store())


@pytest.mark.parametrize("seed", range(3))
def test_incremental_equals_full_when_the_event_window_forgets(seed):
    """Events the store's window forgets after the model took them in leave the model too."""
    _play_and_compare(seed, Store(max_events=2))


def _play_and_compare(seed: int, store: Store) -> None:
    rng = random.Random(seed)
    rollout = Rollout(settings=SETTINGS)
    now = T0_EPOCH
    for step in range(250):
        now += rng.choice([0.5, 1, 5, 20])
        for _ in range(rng.randint(1, 3)):
            kind, obj = _random_change(rng, now)
            store.apply(WatchEvent("x", kind, obj, now))
        rollout.update(store, store.drain_changes(), now)
        if step % 5 == 0 or step == 249:
            incremental = snapshot_of(rollout, store, now=now).to_dict()
            full = build_snapshot(
                store,
                now=now,
                settings=SETTINGS,
                started_at=rollout.started_at,
                timeline=rollout.timeline,
            ).to_dict()
            assert incremental == full, f"seed {seed} step {step}"


def test_update_reports_only_affected_releases():
    store = Store()
    objs = [hr_ready(n) for n in NAMES] + [
        pod(f"{n.removeprefix('bp-')}-0", n.removeprefix("bp-"), release=n.removeprefix("bp-"))
        for n in NAMES
    ]
    for obj in objs:
        store.apply(WatchEvent("x", EventType.ADDED, obj, T0_EPOCH))
    rollout = Rollout()
    first = rollout.update(store, store.drain_changes(), T0_EPOCH)
    assert len(first.releases) == len(NAMES)
    changed = pod("c-0", "c", release="c", statuses=[container_status("c", ready=False)])
    store.apply(WatchEvent("x", EventType.MODIFIED, changed, T0_EPOCH + 1))
    second = rollout.update(store, store.drain_changes(), T0_EPOCH + 1)
    assert second.releases == {("HelmRelease", "flux-system", "bp-c")}
    assert second.objects == {object_key(changed)}
    assert second.progress.ready == len(NAMES) - 1


def test_snapshot_documents_are_rebuilt_only_for_changed_releases():
    """After one pod change only its release's document is new; the others are reused as they are
    (and the randomized test above shows reuse never diverges from a full recomputation)."""
    store = Store()
    for n in NAMES:
        ns = n.removeprefix("bp-")
        store.apply(WatchEvent("x", EventType.ADDED, hr_ready(n), T0_EPOCH))
        store.apply(WatchEvent("x", EventType.ADDED, pod(f"{ns}-0", ns, release=ns), T0_EPOCH))
    rollout = Rollout()
    rollout.update(store, store.drain_changes(), T0_EPOCH)
    before = {r["name"]: r for r in snapshot_of(rollout, store, now=T0_EPOCH).to_dict()["releases"]}
    changed = pod("c-0", "c", release="c", statuses=[container_status("c", ready=False)])
    store.apply(WatchEvent("x", EventType.MODIFIED, changed, T0_EPOCH + 1))
    rollout.update(store, store.drain_changes(), T0_EPOCH + 1)
    after = {
        r["name"]: r for r in snapshot_of(rollout, store, now=T0_EPOCH + 1).to_dict()["releases"]
    }
    rebuilt = {name for name in NAMES if after[name] is not before[name]}
    assert rebuilt == {"bp-c"}
    assert after["bp-c"]["pods"][0]["ready"] == 0
    assert before["bp-c"]["pods"][0]["ready"] == 1
