"""Cost of re-deriving the rollout picture after one object changes, at 38 vs 300 releases.

Builds a synthetic Sovereign (HelmReleases in dependency waves, a StatefulSet or Deployment per
release, ~17 pods per release so 300 releases carry ~5,000 pods, PVCs, VolumeAttachments and probe
events), loads it into a Store and a Rollout, then times `Rollout.update` for single-object changes:
a pod flipping ready/not-ready, a probe event, a HelmRelease at the root of the graph (whose change
re-explains every dependant, so it grows with the number of dependants by design). Then what a view
pays per refresh right after one pod changed: `snapshot_of` and `snapshot_of(...).to_dict()` (the
JSON document the TUI and headless views read; unchanged releases are reused from the previous
snapshot), and the same document built cold by `build_snapshot` (linear by nature).
Prints microseconds per change and the 300/38 ratio; a ratio near 1 means the cost does not grow with
the total object count. Not a test: timings are machine-dependent.

Run: PYTHONPATH=. python bench/model_cost.py
"""

from __future__ import annotations

import statistics
import time

from sovwatch.model.rollout import Rollout  # noqa: E402
from sovwatch.model.snapshot import build_snapshot, snapshot_of  # noqa: E402
from sovwatch.sources.events import EventType, WatchEvent  # noqa: E402
from sovwatch.store.store import Store  # noqa: E402
from tests.model.builders import (
    T0_EPOCH,
    container_status,
    event,
    hr_installing,
    hr_ready,
    pod,
    pvc,
    volume_attachment,
    workload,
)

PODS_PER_RELEASE = 17
REPEATS = 300


def build(releases: int) -> tuple[Store, Rollout, list[str]]:
    store = Store()
    names = [f"bp-app{i:03d}" for i in range(releases)]
    for i, name in enumerate(names):
        deps = [names[j] for j in (i // 2, i // 3) if j < i] if i else []
        hr = hr_ready(name, depends_on=sorted(set(deps)))
        store.apply(WatchEvent("helmreleases", EventType.ADDED, hr, T0_EPOCH))
        ns = name.removeprefix("bp-")
        kind = "StatefulSet" if i % 2 else "Deployment"
        store.apply(
            WatchEvent(
                "x",
                EventType.ADDED,
                workload(kind, ns, ns, release=ns, replicas=PODS_PER_RELEASE, hr=name),
                T0_EPOCH,
            )
        )
        for p in range(PODS_PER_RELEASE):
            pod_name = f"{ns}-{p}"
            claims = [f"data-{pod_name}"] if kind == "StatefulSet" and p < 3 else []
            store.apply(
                WatchEvent(
                    "pods",
                    EventType.ADDED,
                    pod(pod_name, ns, owner=(kind, ns), claims=claims),
                    T0_EPOCH,
                )
            )
            for claim in claims:
                store.apply(
                    WatchEvent(
                        "pvc", EventType.ADDED, pvc(claim, ns, volume=f"pv-{claim}"), T0_EPOCH
                    )
                )
                store.apply(
                    WatchEvent("va", EventType.ADDED, volume_attachment(f"pv-{claim}"), T0_EPOCH)
                )
    rollout = Rollout()
    rollout.update(store, store.drain_changes(), T0_EPOCH)
    return store, rollout, names


def per_change(store: Store, rollout: Rollout, make_change) -> float:
    """Median microseconds of apply + update for one single-object change."""
    samples = []
    for i in range(REPEATS):
        now = T0_EPOCH + 10 + i
        store.apply(WatchEvent("x", EventType.MODIFIED, make_change(i), now))
        start = time.perf_counter()
        rollout.update(store, store.drain_changes(), now)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def per_snapshot(store: Store, rollout: Rollout, make_change, snapshot, *, repeats=20) -> float:
    """Median microseconds of `snapshot()` right after a single-object change (what a view pays
    per refresh: the model has just folded one change in)."""
    samples = []
    for i in range(repeats):
        now = T0_EPOCH + 500 + i
        store.apply(WatchEvent("x", EventType.MODIFIED, make_change(i), now))
        rollout.update(store, store.drain_changes(), now)
        start = time.perf_counter()
        snapshot()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def _pod_flip(namespace: str):
    """A pod of a Deployment release going ready / not ready."""
    return lambda i: pod(
        f"{namespace}-1",
        namespace,
        owner=("Deployment", namespace),
        statuses=[container_status(namespace.split("-")[0], ready=i % 2 == 0)],
    )


def measure(releases: int) -> dict[str, float]:
    store, rollout, names = build(releases)
    mid = names[(len(names) // 2) & ~1].removeprefix("bp-")  # an even index: a Deployment's release
    results = {
        "pod ready flip": per_change(store, rollout, _pod_flip(mid)),
        "probe event": per_change(
            store,
            rollout,
            lambda i: event(
                ("Pod", mid, f"{mid}-2"),
                "Unhealthy",
                "Readiness probe failed: HTTP probe failed with statuscode: 503",
                count=i + 1,
                last=i,
                field_path=f"spec.containers{{{mid}}}",
                name=f"{mid}-2.unhealthy",
            ),
        ),
        "leaf release flip": per_change(
            store,
            rollout,
            lambda i: (hr_ready if i % 2 else hr_installing)(
                names[-1], depends_on=[names[len(names) // 2]]
            ),
        ),
        "root release flip (all dependants)": per_change(
            store, rollout, lambda i: (hr_ready if i % 2 else hr_installing)(names[0])
        ),
    }
    flip = _pod_flip(mid)
    results["snapshot_of after a pod change"] = per_snapshot(
        store, rollout, flip, lambda: snapshot_of(rollout, store, now=T0_EPOCH + 1000)
    )
    results["snapshot document after a pod change"] = per_snapshot(
        store, rollout, flip, lambda: snapshot_of(rollout, store, now=T0_EPOCH + 1000).to_dict()
    )
    results["full recompute + document (linear)"] = per_snapshot(
        store,
        rollout,
        flip,
        lambda: build_snapshot(store, now=T0_EPOCH + 1000).to_dict(),
        repeats=3,
    )
    results["_objects"] = sum(store.count(k) for k in store.kinds())
    return results


def main() -> None:
    # Alternate sizes and keep the best of two runs each: the first run pays interpreter warm-up.
    runs = [measure(n) for n in (38, 300, 38, 300)]
    small = {k: min(runs[0][k], runs[2][k]) for k in runs[0]}
    large = {k: min(runs[1][k], runs[3][k]) for k in runs[1]}
    print(
        f"objects: {small.pop('_objects')} at 38 releases, {large.pop('_objects')} at 300 releases "
        f"({PODS_PER_RELEASE * 300} pods)"
    )
    print(f"{'change':<36}{'38 rel (µs)':>14}{'300 rel (µs)':>14}{'ratio':>8}")
    for name in small:
        print(
            f"{name:<36}{small[name]:>14.0f}{large[name]:>14.0f}{large[name] / small[name]:>8.2f}"
        )


if __name__ == "__main__":
    main()
