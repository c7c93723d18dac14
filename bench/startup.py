"""Benchmark 2, time to first complete picture on the `large` cluster (300 releases, 5,000 pods):
`sovwatch --once -o json` versus `kubectl get hr -A -o json` then `kubectl get pods -A -o json`.

Wall-clock time from starting the process to its exit (output to /dev/null), median of a few runs.
Every kubectl run gets a fresh `--cache-dir`, so it pays for discovery as on a new bastion; sovwatch
keeps no cache and always does its own discovery. Each peer first runs once unmeasured: the disk
cache holds its program, and the emulator's serialization cache holds every object's JSON, as a
running apiserver's watch cache would (the first encoding of 44,000 objects is the emulator's
cost, not the client's). Each row also gives the client's own CPU and how long the emulator was
busy answering it (the sum of request durations: concurrent requests overlap): the emulator is
Python and much slower than a real apiserver at serving big lists, and sovwatch lists everything
it needs (the Events the model reads too), not just HelmReleases and pods, so the wall time is
partly the emulator's. `foreign.py` measures the same with no serialization cache. Here sovwatch is
measured twice: against the emulator serving streamed lists (watch-list, as kube-apiserver with
its WatchList feature), then as an older server that refuses them (one refused request, then
lists in pages).

    python -m bench.startup [--smoke]
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import procs, subjects
from bench.host import EmulatorHost
from bench.population import SMOKE, populate_large
from bench.results import BenchResult, Measurement, Target
from bench.run_one import main_for

KUBECTL_PAIR = "kubectl get hr + get pods -o json"
SOVWATCH_ONCE = "sovwatch --once -o json"
SOVWATCH_PAGED = "sovwatch --once -o json, a server without streamed lists"
FULL_RUNS = 3
TIMEOUT = 180.0


@dataclass(frozen=True)
class Timed:
    seconds: float
    client_cpu: float
    """CPU seconds of the commands themselves."""
    server: float
    """Seconds the emulator spent handling their requests (a real apiserver is much faster)."""
    requests: int


def timed(host: EmulatorHost, argvs: list[list[str]], *, env=None) -> Timed:
    """Run the commands one after another; RuntimeError if one fails."""
    began, start = time.time(), time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for argv in argvs:
        done = subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=TIMEOUT
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[:4]} exited {done.returncode}: {done.stderr[-400:]!r}")
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    requests = [r for r in host.requests_between(began, time.time()) if not r.watch]
    return Timed(seconds, cpu, sum(r.duration or 0.0 for r in requests), len(requests))


def run(*, smoke: bool = False) -> list[BenchResult]:
    runs = 1 if smoke else FULL_RUNS
    with EmulatorHost() as host, tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        described = host.call(populate_large, host.store, SMOKE if smoke else None)
        measurements = first_picture(host, Path(tmp), runs=runs, older_server=True)
    return results(
        "startup",
        "",
        measurements,
        notes=(f"cluster: {described}; median of {runs} run(s)",),
        wall=Target(
            "sovwatch --once no slower than the two kubectl calls", SOVWATCH_ONCE, ratio=1.0
        ),
        cpu=Target("sovwatch --once CPU <= the two kubectl calls", SOVWATCH_ONCE, ratio=1.0),
    )


def first_picture(
    host: EmulatorHost, tmpdir: Path, *, runs: int, older_server: bool = False
) -> list[Measurement]:
    """The kubectl pair and `sovwatch --once -o json` against what `host` serves, `runs` times
    each after one unmeasured warm-up (see the module docstring); with `older_server`, sovwatch
    again with the emulator refusing streamed lists."""
    kubeconfig = host.kubeconfig(tmpdir / "kubeconfig")

    def kubectl_pair(n: int) -> list[list[str]]:
        cache = tmpdir / f"cache-{n}"
        return [
            procs.kubectl(kubeconfig, cache, "get", "hr", "-A", "-o", "json"),
            procs.kubectl(kubeconfig, cache, "get", "pods", "-A", "-o", "json"),
        ]

    timed(host, kubectl_pair(-1))
    measurements = [row(KUBECTL_PAIR, [timed(host, kubectl_pair(n)) for n in range(runs)])]
    missing = subjects.missing_headless()
    if missing:
        return [*measurements, Measurement(SOVWATCH_ONCE, None, missing)]
    argv = subjects.sovwatch(kubeconfig, "--once", "-o", "json")
    timed(host, [argv], env=procs.python_env())
    times = [timed(host, [argv], env=procs.python_env()) for _ in range(runs)]
    measurements.append(row(SOVWATCH_ONCE, times))
    if older_server:
        host.call(setattr, host.emulator, "watch_list", False)
        times = [timed(host, [argv], env=procs.python_env()) for _ in range(runs)]
        host.call(setattr, host.emulator, "watch_list", True)
        measurements.append(row(SOVWATCH_PAGED, times))
    return measurements


def results(
    name: str,
    what: str,
    measurements: list[Measurement],
    *,
    notes: tuple[str, ...],
    wall: Target,
    cpu: Target,
) -> list[BenchResult]:
    """The wall-time result `name` and its own-CPU twin `name-cpu` of the same runs; `what` is
    appended to their titles (e.g. the population)."""
    return [
        BenchResult(
            name=name,
            title=f"Time to first complete picture{what}",
            unit="s",
            peer=KUBECTL_PAIR,
            measurements=tuple(measurements),
            targets=(wall,),
            notes=notes,
        ),
        BenchResult(
            name=f"{name}-cpu",
            title=f"Time to first complete picture{what}: the clients' own CPU (server time excluded)",
            unit="CPU s",
            peer=KUBECTL_PAIR,
            measurements=tuple(
                Measurement(m.subject, _median_cpu(m), "") if m.value is not None else m
                for m in measurements
            ),
            targets=(cpu,),
            notes=(f"the same runs as `{name}`",),
        ),
    ]


def _median_cpu(m: Measurement) -> float:
    return statistics.median(run["client_cpu"] for run in m.extra["runs"])


def row(subject: str, runs: list[Timed]) -> Measurement:
    cpu = statistics.median(t.client_cpu for t in runs)
    server = statistics.median(t.server for t in runs)
    return Measurement(
        subject,
        statistics.median(t.seconds for t in runs),
        f"runs {', '.join(f'{t.seconds:.1f}' for t in runs)} s; own CPU {cpu:.1f} s; "
        f"emulator busy {server:.1f} s for {runs[0].requests} requests",
        extra={"runs": [t.__dict__ for t in runs]},
    )


if __name__ == "__main__":
    main_for(run)
