"""Benchmark 6, event-to-screen latency in the TUI: from the emulator writing a HelmRelease change
to the release table's state cell showing it, p50 and p99.

The real app runs under `App.run_test` (160x50) in this process, connected over HTTPS to the
emulator on its own thread, as `sovwatch --kubeconfig` connects. Each sample flips one release
between `ready` and `progressing` (an upgrade starting or finishing); the time is taken on the
emulator's loop just before `put`, and the test polls the table's cell every 2 ms. "Updated" means
the DataTable holds the new cell; the paint follows within the same refresh. Samples are spaced
at random so they land anywhere in the app's flush cycle, while background pod churn (10 changes/s,
on other releases) keeps the model busy.

    python -m bench.latency [--smoke]
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench import subjects
from bench.host import EmulatorHost
from bench.population import KIT, SMOKE, Size, helmrelease, pod, populate, release_name
from bench.results import BenchResult, Measurement, Target
from bench.run_one import main_for

P50 = "sovwatch TUI p50"
P99 = "sovwatch TUI p99"
LIMIT_MS = 300.0
POLL = 0.002
SAMPLE_TIMEOUT = 10.0
AMBIENT_PER_SECOND = 10.0


async def _ambient(host: EmulatorHost, size: Size, probes: int, stop: asyncio.Event) -> None:
    """Pod readiness flips on releases the samples do not touch."""
    others = [i for i in range(size.pods) if i % size.releases >= probes]
    n = 0
    while not stop.is_set():
        i = others[n % len(others)]
        flips = n // len(others)
        host.store.put(pod(i, i % size.releases, ready=flips % 2 == 1, restarts=flips + 1))
        n += 1
        try:
            await asyncio.wait_for(stop.wait(), 1 / AMBIENT_PER_SECOND)
        except TimeoutError:
            pass


async def _samples(host: EmulatorHost, kubeconfig: Path, size: Size, count: int) -> list[float]:
    from bench.app_host import open_app
    from sovwatch.views.tui.widgets.release_table import ReleaseTable

    probes = max(1, size.releases // 4)
    rng = random.Random(7)
    latencies = []
    async with open_app(kubeconfig) as (app, _pilot):
        table = app.main.query_one(ReleaseTable)
        deadline = time.monotonic() + 60
        while table.row_count < size.releases:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the release table shows {table.row_count} rows")
            await asyncio.sleep(0.05)
        stop = host.call(asyncio.Event)
        ambient = asyncio.run_coroutine_threadsafe(_ambient(host, size, probes, stop), host.loop)
        try:
            for k in range(count):
                r, cycle = k % probes, k // probes
                ready = cycle % 2 == 1
                obj = helmrelease(r, ready=ready, attempt=2 + cycle // 2)
                expected = "ready" if ready else "progressing"
                key = f"flux-system/{release_name(r)}"
                await asyncio.sleep(rng.uniform(0.1, 0.4))
                put_at = host.call(_timed_put, host, obj)
                give_up = time.perf_counter() + SAMPLE_TIMEOUT
                while not table.get_cell(key, "state").plain.endswith(expected):
                    if time.perf_counter() > give_up:
                        shown = table.get_cell(key, "state").plain
                        raise TimeoutError(f"{key} still shows {shown!r}, not {expected!r}")
                    await asyncio.sleep(POLL)
                latencies.append(time.perf_counter() - put_at)
        finally:
            host.loop.call_soon_threadsafe(stop.set)
            ambient.result(10)
    return latencies


def _timed_put(host: EmulatorHost, obj: dict) -> float:
    at = time.perf_counter()
    host.store.put(obj)
    return at


def run(*, smoke: bool = False) -> BenchResult:
    size = SMOKE if smoke else KIT
    count = 6 if smoke else 120
    missing = subjects.missing_tui()
    notes = [f"{size.releases} releases / {size.pods} pods"]
    if missing:
        measurements = (Measurement(P50, None, missing), Measurement(P99, None, missing))
    else:
        with EmulatorHost() as host, tempfile.TemporaryDirectory(prefix="bench-lat-") as tmp:
            host.call(populate, host.store, size)
            kubeconfig = host.kubeconfig(Path(tmp) / "kubeconfig")
            latencies = [s * 1000 for s in asyncio.run(_samples(host, kubeconfig, size, count))]
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        extra = {"samples_ms": latencies, "max_ms": max(latencies)}
        measurements = (
            Measurement(P50, statistics.median(latencies), f"{count} samples", extra=extra),
            Measurement(P99, cuts[98], f"max {max(latencies):.0f} ms"),
        )
        notes.append(f"{count} samples, max {max(latencies):.0f} ms")
    return BenchResult(
        name="latency",
        title="Event-to-screen latency in the TUI",
        unit="ms",
        peer="",
        measurements=measurements,
        targets=(Target(f"p99 < {LIMIT_MS:.0f} ms", P99, limit=LIMIT_MS),),
        notes=tuple(notes),
    )


if __name__ == "__main__":
    main_for(run)
