"""Benchmark 2, time to first complete picture on the `large` cluster (300 releases, 5,000 pods):
`sovwatch --once -o json` versus `kubectl get hr -A -o json` then `kubectl get pods -A -o json`.

Wall-clock time from starting the process to its exit (output to /dev/null), median of a few runs.
Every kubectl run gets a fresh `--cache-dir`, so it pays for discovery as on a new bastion; sovwatch
keeps no cache and always does its own discovery.

    python -m bench.startup [--smoke]
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench import procs, subjects
from bench.host import EmulatorHost
from bench.population import SMOKE, populate_large
from bench.results import BenchResult, Measurement, Target
from bench.run_one import main_for

KUBECTL_PAIR = "kubectl get hr + get pods -o json"
SOVWATCH_ONCE = "sovwatch --once -o json"
FULL_RUNS = 3
TIMEOUT = 180.0


def _timed(argvs: list[list[str]], *, env=None) -> float:
    """Seconds to run the commands one after another; RuntimeError if one fails."""
    start = time.monotonic()
    for argv in argvs:
        done = subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=TIMEOUT
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[:4]} exited {done.returncode}: {done.stderr[-400:]!r}")
    return time.monotonic() - start


def run(*, smoke: bool = False) -> BenchResult:
    runs = 1 if smoke else FULL_RUNS
    measurements = []
    with EmulatorHost() as host, tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        tmpdir = Path(tmp)
        described = host.call(populate_large, host.store, SMOKE if smoke else None)
        kubeconfig = host.kubeconfig(tmpdir / "kubeconfig")

        def kubectl_pair(n: int) -> list[list[str]]:
            cache = tmpdir / f"cache-{n}"
            return [
                procs.kubectl(kubeconfig, cache, "get", "hr", "-A", "-o", "json"),
                procs.kubectl(kubeconfig, cache, "get", "pods", "-A", "-o", "json"),
            ]

        times = [_timed(kubectl_pair(n)) for n in range(runs)]
        measurements.append(_row(KUBECTL_PAIR, times))
        missing = subjects.missing_headless()
        if missing:
            measurements.append(Measurement(SOVWATCH_ONCE, None, missing))
        else:
            argv = subjects.sovwatch(kubeconfig, "--once", "-o", "json")
            times = [_timed([argv], env=procs.python_env()) for _ in range(runs)]
            measurements.append(_row(SOVWATCH_ONCE, times))
    return BenchResult(
        name="startup",
        title="Time to first complete picture",
        unit="s",
        peer=KUBECTL_PAIR,
        measurements=tuple(measurements),
        targets=(
            Target(
                "sovwatch --once no slower than the two kubectl calls", SOVWATCH_ONCE, ratio=1.0
            ),
        ),
        notes=(f"cluster: {described}; median of {runs} run(s)",),
    )


def _row(subject: str, times: list[float]) -> Measurement:
    return Measurement(
        subject,
        statistics.median(times),
        f"runs: {', '.join(f'{t:.2f}' for t in times)}",
        extra={"runs": times},
    )


if __name__ == "__main__":
    main_for(run)
