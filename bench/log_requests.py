"""Benchmark: log requests per minute during a crash storm, sovwatch versus a k9s-like habit.

The `large` scenario (300 releases, ~5,100 pods) with every pod of 50 releases crash-looping (850
pods, each writing a few log lines per run, the kubelet's 10 s..5 m back-off) plays in real time
on an emulator. sovwatch (headless, `-o json`) watches it; the log requests it makes are counted
in the emulator's request log, over the whole run and in a window after a warm-up. The peer is
a person in k9s (or a script) reading `kubectl logs -p` of each crash-looping pod every time it
crashes: one request per crash, counted from the pods' restartCount bumps in the same window.
The bound to hold: `LogSettings.per_minute` (12) in any minute.

    python -m bench.log_requests [--smoke]
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from bench import procs, subjects
from bench.host import EmulatorHost
from bench.results import BenchResult, Measurement, Target
from bench.run_one import main_for
from sovsim.scenario import ScenarioRunner, load_scenario
from sovsim.scenario_schema import CrashLoop, Scenario
from sovwatch.settings import LogSettings

SOVWATCH = "sovwatch (headless)"
HABIT = "kubectl logs -p per crash (k9s-like habit)"
CRASH_LOGS = (
    'level=info ts={time} caller=main.go:52 msg="starting" pod={pod}',
    'level=error ts={time} caller=main.go:88 msg="cannot start" err="open /etc/app/config.yaml: '
    'no such file or directory"',
)


def storm(scenario: Scenario, crashing: int) -> Scenario:
    """`scenario` with every container of its first `crashing` releases crash-looping."""
    releases = list(scenario.releases)
    for i, release in enumerate(releases[:crashing]):
        workloads = tuple(
            replace(
                w,
                containers=tuple(
                    replace(c, crash_loop=CrashLoop(run_for=8.0), logs=CRASH_LOGS)
                    for c in w.containers
                ),
            )
            for w in release.workloads
        )
        releases[i] = replace(release, workloads=workloads, disable_wait=True)
    return replace(scenario, releases=tuple(releases))


class Crashes:
    """Counts restartCount bumps of pods (each one a crash a person would read) as they happen."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._restarts: dict[tuple[str, str], int] = {}

    def __call__(self, change) -> None:
        if change.resource != "pods" or change.obj is None:
            return
        meta = change.obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        total = sum(
            s.get("restartCount", 0)
            for s in change.obj.get("status", {}).get("containerStatuses", [])
        )
        before = self._restarts.get(key, 0)
        self._restarts[key] = total
        if total > before:
            self.times.extend([time.time()] * (total - before))

    @property
    def crashing_pods(self) -> int:
        return sum(1 for n in self._restarts.values() if n > 0)


def run(*, smoke: bool = False) -> BenchResult:
    crashing = 3 if smoke else 50
    warmup, window = (10.0, 20.0) if smoke else (30.0, 180.0)
    settings = LogSettings()
    missing = subjects.missing_headless()
    scenario = storm(load_scenario("tiny" if smoke else "large"), crashing)
    with ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-logs-")))
        host = stack.enter_context(EmulatorHost(history_limit=200_000))
        head_start = 150.0 if smoke else 300.0  # the storm's pods are up and crashing
        runner = ScenarioRunner(host.store, scenario, seed=0, start=time.time() - head_start)
        host.call(runner.run_until, head_start)
        crashes = Crashes()
        host.call(host.store.listeners.append, crashes)
        player = stack.enter_context(_playing(host, runner))
        started = time.time()
        if missing:
            return _not_measured(missing, crashing)
        kubeconfig = host.kubeconfig(tmpdir / "kubeconfig")
        child = procs.spawn(
            subjects.sovwatch(kubeconfig, "-o", "json"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=procs.python_env(),
        )
        stack.callback(procs.stop, child)
        time.sleep(warmup)
        begin = time.time()
        time.sleep(window)
        end = time.time()
        player.cancel()
        everything = [r for r in host.requests_between(started, end) if r.path.endswith("/log")]
        in_window = [r for r in everything if r.time >= begin]
        worst = _worst_minute([r.time for r in everything])
        crashes_in_window = sum(1 for t in crashes.times if begin <= t < end)
        pods = host.call(lambda: crashes.crashing_pods)
    minutes = (end - begin) / 60.0
    return BenchResult(
        name="log_requests",
        title=f"log requests in a crash storm ({crashing} releases, {pods} crash-looping pods)",
        unit="requests / min",
        peer=HABIT,
        measurements=(
            Measurement(
                SOVWATCH,
                len(in_window) / minutes,
                f"{len(everything)} in {end - started:.0f} s since start, worst 60 s: {worst}",
                extra={"total": len(everything), "worst_minute": worst, "window": len(in_window)},
            ),
            Measurement(
                HABIT,
                crashes_in_window / minutes,
                f"{crashes_in_window} crashes in {end - begin:.0f} s; {pods} pods to look at once",
                extra={"crashes": crashes_in_window, "pods": pods},
            ),
        ),
        targets=(
            Target(
                f"at most LogSettings.per_minute ({settings.per_minute}) a minute",
                SOVWATCH,
                limit=float(settings.per_minute),
            ),
        ),
        notes=(
            f"window {window:.0f} s after {warmup:.0f} s warm-up; the worst 60 s of the whole "
            "run (first picture included) must also stay within the bound",
        ),
    )


class _playing:
    """The scenario played in real time (speed 1) on the emulator's loop while the bench runs."""

    def __init__(self, host: EmulatorHost, runner: ScenarioRunner) -> None:
        self.host = host
        self.runner = runner
        self.future = None

    def __enter__(self) -> _playing:
        import asyncio

        self.future = asyncio.run_coroutine_threadsafe(self.runner.run(), self.host.loop)
        return self

    def cancel(self) -> None:
        if self.future is not None:
            self.future.cancel()

    def __exit__(self, *exc: object) -> None:
        self.cancel()


def _worst_minute(times: list[float]) -> int:
    """The most requests that started within any 60 seconds."""
    times = sorted(times)
    worst, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 60.0:
            start += 1
        worst = max(worst, end - start + 1)
    return worst


def _not_measured(why: str, crashing: int) -> BenchResult:
    return BenchResult(
        name="log_requests",
        title=f"log requests in a crash storm ({crashing} releases)",
        unit="requests / min",
        peer=HABIT,
        measurements=(Measurement(SOVWATCH, None, why), Measurement(HABIT, None, why)),
    )


if __name__ == "__main__":
    main_for(run)
