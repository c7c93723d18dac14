"""Benchmark 4, terminal bandwidth: bytes written to a 120x40 pseudo-terminal per minute while a
rollout plays, and while the cluster is idle, for the sovwatch TUI versus
`watch -n2 kubectl get hr -A` in a terminal of the same size, on the same emulator at the same time.

The rollout is the default `bootstrap-kit` scenario when this tree ships it, played fast enough to
tell its whole story in the window (faster than real time, so sovwatch has more changes to draw
per minute than a real bootstrap: the comparison is conservative); otherwise a steady churn of
pod and HelmRelease changes. The scenario is fast-forwarded past Flux's CRD installation before
the clients start, so both show releases from their first frame.

    python -m bench.bandwidth [--smoke]
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench import procs, subjects
from bench.host import EmulatorHost
from bench.population import KIT, SMOKE, Churn, populate, shipped
from bench.results import BenchResult, Measurement, Target
from bench.run_one import main_for

WATCH = "watch -n2 kubectl get hr -A"
TUI = "sovwatch TUI"
SCENARIO = "bootstrap-kit"
HR_PATH = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases"
COLUMNS, ROWS = 120, 40
CHURN_PER_SECOND = 20.0
FIRST_PAINT = 2.0
"""Seconds after a client's first watch (or list) before its bytes count."""


def _player(host: EmulatorHost, *, window: float, smoke: bool):
    """(description, start coroutine factory): what plays into the store during the window."""
    if shipped(SCENARIO) and not smoke:
        from sovwatch.emulator.scenario import ScenarioRunner, load_scenario

        scenario = load_scenario(SCENARIO)
        speed = scenario.duration / window
        runner = host.call(lambda: ScenarioRunner(host.store, scenario, seed=0, speed=speed))
        crds_at = getattr(scenario.cluster, "flux_crds_at", 30.0) + 1.0
        host.call(runner.run_until, crds_at)
        return f"scenario {SCENARIO} at {speed:.0f}x", lambda: runner.run(until=scenario.duration)
    size = SMOKE if smoke else KIT
    host.call(populate, host.store, size)
    churn = Churn(size)

    async def play() -> None:
        while True:
            host.store.put(churn.next_object())
            await asyncio.sleep(1 / CHURN_PER_SECOND)

    return f"churn {CHURN_PER_SECOND:.0f} changes/s on {size.releases} releases", play


def run(*, smoke: bool = False) -> BenchResult:
    window, idle = (5.0, 1.0) if smoke else (60.0, 30.0)
    missing = subjects.missing_tui()
    with ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-tty-")))
        host = stack.enter_context(EmulatorHost())
        played, play = _player(host, window=window, smoke=smoke)
        kubeconfig = host.kubeconfig(tmpdir / "kubeconfig")
        terms: dict[str, procs.PtyProcess] = {}
        watch_argv = procs.kubectl(kubeconfig, tmpdir / "cache", "get", "hr", "-A")
        terms[WATCH] = procs.PtyProcess(["watch", "-n2", *watch_argv], COLUMNS, ROWS)
        if not missing:
            env = {**procs.python_env(), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
            argv = subjects.sovwatch(kubeconfig)
            terms[TUI] = procs.PtyProcess(argv, COLUMNS, ROWS, env=env)
        spawned = time.time()
        for term in terms.values():
            term.start()
            stack.callback(term.close)
        _pump_all(terms, 0.5)
        _wait_for_clients(host, terms, spawned)
        _pump_all(terms, FIRST_PAINT)  # the first full paint is not counted
        playing = asyncio.run_coroutine_threadsafe(play(), host.loop)
        busy = _pump_all(terms, window)
        playing.cancel()
        with contextlib.suppress(Exception):
            playing.result(5)
        _pump_all(terms, FIRST_PAINT)  # the last changes reach the screen
        quiet = _pump_all(terms, idle)
    measurements = []
    for name in (TUI, WATCH):
        if name not in terms:
            measurements.append(Measurement(name, None, missing or ""))
            continue
        per_min = busy[name] * 60 / window
        idle_per_min = quiet[name] * 60 / idle
        measurements.append(
            Measurement(
                name,
                per_min,
                f"idle {idle_per_min / 1024:.1f} KiB/min",
                extra={
                    "rollout_bytes": busy[name],
                    "rollout_seconds": window,
                    "idle_bytes": quiet[name],
                    "idle_seconds": idle,
                    "idle_per_minute": idle_per_min,
                },
            )
        )
    result = BenchResult(
        name="bandwidth",
        title=f"Terminal bandwidth at {COLUMNS}x{ROWS} during a rollout",
        unit="bytes / min",
        peer=WATCH,
        measurements=tuple(measurements),
        targets=(Target("below watch during the rollout", TUI, ratio=1.0),),
        notes=(f"{played}, {window:.0f} s; idle {idle:.0f} s",),
    )
    return result


def _wait_for_clients(host: EmulatorHost, terms: dict[str, procs.PtyProcess], since: float):
    """Until `watch` has listed HelmReleases and sovwatch is watching pods (terminals drained)."""

    def ready() -> bool:
        _pump_all(terms, 0.05)
        requests = host.requests_between(since, time.time())
        listed = any(r.path == HR_PATH and not r.watch for r in requests)
        watching = TUI not in terms or any(r.path == "/api/v1/pods" and r.watch for r in requests)
        return listed and watching

    procs.wait_until(ready, timeout=60, what="both clients to reach the emulator")


def _pump_all(terms: dict[str, procs.PtyProcess], seconds: float) -> dict[str, int]:
    """Drain every terminal for `seconds`; bytes each one wrote meanwhile."""
    before = {name: term.drain() for name, term in terms.items()}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)
        for term in terms.values():
            term.drain()
    return {name: term.drain() - before[name] for name, term in terms.items()}


if __name__ == "__main__":
    main_for(run)
