"""Issue 19's shapes: the first picture and ingest with many Events, on an emulator that keeps no
serialization cache (it encodes every object for every request, as many small API servers and
proxies do), so the server's share of the wall time is not hidden by a cache.

Two populations, each served that way:
- `foreign`: 300 HelmReleases, 5,000 small pods and 20,000 Events, nine in ten of them the Normal
  Events of pods starting (`Scheduled`, `Pulling`, `Pulled`, `Created`, `Started`), one in ten a
  kubelet Warning (`population.populate_foreign`);
- `large`: the `large` cluster (the scenario played to its end) with at least 20,000 Events.
For each, the first picture (kubectl's two lists against `sovwatch --once -o json`, wall and own
CPU, as `startup` measures it) with the Events and again after deleting them. Then ingest on
`foreign` (as `ingest` measures it, 10,000 pod and HelmRelease changes): the kubectl watch pair,
sovwatch headless and the TUI.

    python -m bench.foreign [--smoke]
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import ingest, startup, subjects
from bench.host import EmulatorHost
from bench.population import FOREIGN, SMOKE, Churn, Size, populate_foreign, populate_large
from bench.results import BenchResult, Measurement, Target
from bench.run_one import main_for

EVENTS = 20_000
SMOKE_FOREIGN = Size(SMOKE.releases, SMOKE.pods, events=100)
WALL = Target("first picture <= 0.7x the two kubectl calls", startup.SOVWATCH_ONCE, ratio=0.7)
CPU = Target("own CPU <= 0.5x the two kubectl calls", startup.SOVWATCH_ONCE, ratio=0.5)


def run(*, smoke: bool = False) -> list[BenchResult]:
    runs = 1 if smoke else startup.FULL_RUNS
    size = SMOKE_FOREIGN if smoke else FOREIGN
    out = _first_pictures("foreign", lambda store: populate_foreign(store, size), runs)
    out += _first_pictures(
        "large",
        lambda store: populate_large(store, SMOKE if smoke else None, events=size.events),
        runs,
    )
    out.append(_ingest(size, smoke=smoke))
    return out


def _first_pictures(name: str, populate: Callable[[object], str], runs: int) -> list[BenchResult]:
    """The first picture on the population, with its Events and then without them."""
    out = []
    with (
        EmulatorHost(serialization_cache=False) as host,
        tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp,
    ):
        described = host.call(populate, host.store)
        for events in (True, False):
            if not events:
                host.call(_delete_events, host.store)
            tmpdir = Path(tmp) / ("events" if events else "none")
            tmpdir.mkdir()
            measurements = startup.first_picture(host, tmpdir, runs=runs)
            label = "with its Events" if events else "no Events"
            out += startup.results(
                f"{name}-startup{'' if events else '-no-events'}",
                f", {name} ({label}), no serialization cache",
                measurements,
                notes=(f"cluster: {described}; median of {runs} run(s)",),
                wall=WALL,
                cpu=CPU,
            )
    return out


def _delete_events(store) -> None:
    events, _ = store.list("events")
    for event in events:
        meta = event["metadata"]
        store.delete("events", meta["namespace"], meta["name"])


def _ingest(size: Size, *, smoke: bool) -> BenchResult:
    events = ingest.SMOKE_EVENTS if smoke else ingest.FULL_EVENTS
    idle = ingest.SMOKE_IDLE_SAMPLE if smoke else ingest.IDLE_SAMPLE
    measurements: list[Measurement] = []
    with (
        EmulatorHost(serialization_cache=False) as host,
        tempfile.TemporaryDirectory(prefix="bench-foreign-ingest-") as tmp,
    ):
        described = host.call(populate_foreign, host.store, size)
        measurements = ingest.consumers(host, Path(tmp), Churn(size), events=events, idle=idle)
    return BenchResult(
        name="foreign-ingest",
        title="Ingest cost on foreign (no serialization cache): CPU per 10,000 watch events",
        unit="CPU s / 10k events",
        peer=subjects.KUBECTL_WATCH,
        measurements=tuple(measurements),
        targets=(
            Target("headless <= 0.35x kubectl", subjects.SOVWATCH_JSON, ratio=0.35),
            Target("TUI <= 0.5x kubectl", subjects.SOVWATCH_TUI, ratio=0.5),
        ),
        notes=(f"{events} events on {described}; each consumer alone",),
    )


if __name__ == "__main__":
    main_for(run)
