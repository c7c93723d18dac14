"""Benchmark 1, ingest cost: CPU seconds per 10,000 watch events (pod and HelmRelease MODIFIED,
emitted by the emulator as fast as it can) for each consumer of the same stream.

Each consumer runs alone in a child process against the same emulator: start it, wait until its
pod and HelmRelease watches are open and it has gone quiet (initial list done), read its CPU, play
N changes, wait until it is quiet again, read its CPU. The difference, less its idle CPU rate over
the same time (the TUI's clock), is the ingest cost. kubectl needs two processes to see both
resources (`get pods -A -w` and `get hr -A -w`); their CPU is summed.

    python -m bench.ingest [--smoke]
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench import procs, subjects
from bench.host import EmulatorHost
from bench.population import KIT, SMOKE, Churn, Size, populate
from bench.results import BenchResult, Measurement, Target
from bench.run_one import main_for

FULL_EVENTS = 10_000
SMOKE_EVENTS = 500
IDLE_SAMPLE = 2.0
SMOKE_IDLE_SAMPLE = 0.5
HR_WATCH_PATH = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases"


@dataclass(frozen=True)
class Ingest:
    cpu: float
    idle_rate: float
    seconds: float
    events: int

    def per_10k(self) -> float:
        return max(self.cpu - self.idle_rate * self.seconds, 0.0) / self.events * 10_000


def measure(
    host: EmulatorHost,
    churn: Churn,
    argvs: list[list[str]],
    *,
    events: int,
    idle_sample: float = IDLE_SAMPLE,
    env=None,
) -> Ingest:
    """Ingest cost of the processes started from `argvs`, consuming `events` changes."""
    with ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in argvs]
        return _measure(host, churn, argvs, logs, events=events, idle_sample=idle_sample, env=env)


def _measure(
    host: EmulatorHost,
    churn: Churn,
    argvs: list[list[str]],
    logs: list[IO[bytes]],
    *,
    events: int,
    idle_sample: float,
    env: dict[str, str] | None,
) -> Ingest:
    """`measure` with a stderr file per child (a pipe nobody reads could fill up and stall it)."""
    spawned = time.time()
    children = [
        procs.spawn(argv, stdout=subprocess.DEVNULL, stderr=log, env=env)
        for argv, log in zip(argvs, logs, strict=True)
    ]
    pids = [c.pid for c in children]
    try:

        def watching() -> bool:
            for c, log in zip(children, logs, strict=True):
                if c.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"{c.args[:4]} exited: {log.read().decode()[-400:]}")
            paths = {r.path for r in host.requests_between(spawned, time.time()) if r.watch}
            return {"/api/v1/pods", HR_WATCH_PATH} <= paths

        procs.wait_until(watching, timeout=60, what="the consumer's pod and HelmRelease watches")
        procs.wait_quiescent(pids, timeout=120)
        idle0, t_idle = sum(procs.tree_cpu_seconds(p) for p in pids), time.monotonic()
        time.sleep(idle_sample)
        cpu0 = sum(procs.tree_cpu_seconds(p) for p in pids)
        idle_rate = (cpu0 - idle0) / (time.monotonic() - t_idle)
        start = time.monotonic()
        host.put_many(churn.next_object, events)
        cpu1 = procs.wait_quiescent(pids, timeout=300)
        return Ingest(cpu1 - cpu0, idle_rate, time.monotonic() - start, events)
    finally:
        for c in children:
            procs.stop(c)


def run(*, smoke: bool = False) -> BenchResult:
    size: Size = SMOKE if smoke else KIT
    events = SMOKE_EVENTS if smoke else FULL_EVENTS
    idle = SMOKE_IDLE_SAMPLE if smoke else IDLE_SAMPLE
    with EmulatorHost() as host, tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        host.call(populate, host.store, size)
        measurements = consumers(host, Path(tmp), Churn(size), events=events, idle=idle)
    return BenchResult(
        name="ingest",
        title="Ingest cost: CPU per 10,000 watch events (3 pod : 1 HelmRelease MODIFIED)",
        unit="CPU s / 10k events",
        peer=subjects.KUBECTL_WATCH,
        measurements=tuple(measurements),
        targets=(
            Target("sovwatch headless <= kubectl", subjects.SOVWATCH_JSON, ratio=1.0),
            Target("TUI within 2x kubectl", subjects.SOVWATCH_TUI, ratio=2.0),
        ),
        notes=(
            f"{events} events on {size.releases} releases / {size.pods} pods; each consumer alone",
        ),
    )


def consumers(
    host: EmulatorHost, tmpdir: Path, churn: Churn, *, events: int, idle: float
) -> list[Measurement]:
    """The ingest cost of the kubectl watch pair, sovwatch headless and the TUI, one after
    another against what `host` serves, each consuming `events` changes from `churn`."""
    kubeconfig = host.kubeconfig(tmpdir / "kubeconfig")

    def kubectl(resource: str) -> list[str]:
        cache = tmpdir / f"cache-{resource}"
        return procs.kubectl(kubeconfig, cache, "get", resource, "-A", "-w", "-o", "json")

    peer = measure(host, churn, [kubectl("pods"), kubectl("hr")], events=events, idle_sample=idle)
    measurements = [_row(subjects.KUBECTL_WATCH, peer)]
    for subject, missing, argv in (
        (subjects.SOVWATCH_JSON, subjects.missing_headless(), ("-o", "json")),
        (subjects.SOVWATCH_TUI, subjects.missing_tui(), None),
    ):
        if missing:
            measurements.append(Measurement(subject, None, missing))
            continue
        command = subjects.sovwatch(kubeconfig, *argv) if argv else subjects.app_host(kubeconfig)
        got = measure(
            host, churn, [command], events=events, idle_sample=idle, env=procs.python_env()
        )
        measurements.append(_row(subject, got))
    return measurements


def _row(subject: str, got: Ingest) -> Measurement:
    return Measurement(
        subject,
        got.per_10k(),
        f"{got.cpu:.2f} CPU s for {got.events} events in {got.seconds:.1f} s",
        extra={
            "cpu_seconds": got.cpu,
            "idle_cpu_rate": got.idle_rate,
            "seconds": got.seconds,
            "events": got.events,
        },
    )


if __name__ == "__main__":
    main_for(run)
