"""The fault soak: a bootstrap played fast into the emulator while faults rain on sovwatch.

    PYTHONPATH=. python scripts/soak.py --speed 2             # the long one: `large`, 30 minutes
    PYTHONPATH=. python scripts/soak.py --minutes 2 --scenario tiny --speed 20

sovwatch runs headless (`-o json --record`) in its own process, through the real launch path, with
second-scale engine timings so every fault is noticed and recovered within seconds. Every
`--fault-every` seconds (jittered) one fault is drawn at random from the emulator's hooks: closed
watches, compaction (410 on resume), a stalled stream (longer than the inactivity timeout), a 403
flip, 429 and 500 bursts, a malformed line, a server restart, a Flux CRD removed and re-added.

The faults start `--warmup` seconds after sovwatch's first sync and run while the scenario plays;
pick `--speed` so the bootstrap ends about half-way (`large` lasts 30 simulated minutes: speed 2
populates it in 15), leaving a populated cluster under faults to judge memory by. Then the faults
stop, the scenario is frozen, and the soak checks:
- sovwatch never exited, and within `--converge-within` seconds every stream is `live` again and
  its store (rebuilt from its own recording) equals the emulator's objects, resourceVersion for
  resourceVersion (Events: the same newest-20,000 window, see `soak_truth`);
- its final snapshot equals a snapshot computed from the emulator's objects;
- `sovwatch replay` of the recording ends on that same snapshot;
- asyncio tasks, open fds and sockets at the end are what they were just before the first fault
  (no leak), and RSS grew less than 10 % from `SETTLE` seconds after the scenario finished
  populating to the end (long runs; see `soak_figures`).

The sovwatch process reports its own figures (tasks, RSS, fds, sockets) once a second on stderr as
`soak-metrics {...}`: `python scripts/soak.py client ...` is that process. Exit status 0 = pass.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.soak_faults import FaultRain  # noqa: E402
from scripts.soak_figures import (  # noqa: E402
    COUNTED,
    METRICS_PREFIX,
    LoopLag,
    freeze_survivors,
    report_figures,
    rss_growth,
    steady,
)
from scripts.soak_truth import (  # noqa: E402
    check_snapshots,
    converge,
    fingerprint_of_store,
    truth_store,
)
from sovwatch.settings import WatchSettings  # noqa: E402

SOAK_SETTINGS = WatchSettings(
    connect_timeout=2.0,
    request_timeout=10.0,
    watch_timeout_min=20,
    watch_timeout_max=40,
    inactivity_timeout=3.0,
    backoff_base=0.2,
    backoff_max=2.0,
    forbidden_recheck=1.0,
    absent_recheck=0.5,
)
"""Engine timings scaled down so a fault is noticed and recovered in seconds (the emulator sends a
bookmark every second, so 3 s of silence is a dead stream)."""

BOOKMARK_INTERVAL = 1.0
SETTLE = 30.0
"""Seconds after the scenario finished populating before the RSS baseline: the last relists and
snapshot rebuilds of the full cluster come and go first."""
NOT_LIVE = ("stale", "reconnecting", "forbidden", "absent", "error")
# -- the sovwatch side -------------------------------------------------------------------------


async def _client(kubeconfig: str, record: str, interval: float) -> int:
    """`sovwatch --kubeconfig K -o json --record R`, as the CLI wires it, plus a figures task."""
    from sovwatch import launch
    from sovwatch.invocation import Invocation

    invocation = Invocation(
        command="watch", output="json", kubeconfig=kubeconfig, record=Path(record),
        timeout=0, first_seen_timeout=0,
    )  # fmt: skip
    task = asyncio.current_task()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    session = await launch.live_session(invocation, settings=SOAK_SETTINGS)
    session.source = launch.recorded(
        session.source,
        Path(record),
        context=session.context,
        server=session.server,
        warnings=session.warnings,
    )
    figures = asyncio.create_task(report_figures(interval))
    try:
        return await launch.run_headless(invocation, session)
    finally:
        figures.cancel()


# -- the emulator side -------------------------------------------------------------------------


@dataclass
class Run:
    """What the driver sees of the sovwatch process."""

    proc: asyncio.subprocess.Process
    log: Callable[[str], None]
    streams: dict[str, str] = field(default_factory=dict)
    interruptions: Counter = field(default_factory=Counter)
    """How often a stream left `live`, by the state it went to (after the first sync)."""
    snapshot: dict | None = None
    """The latest full snapshot record (first sync, then the final one)."""
    figures: list[dict] = field(default_factory=list)
    complaints: list[str] = field(default_factory=list)
    """stderr lines that are not figures (a traceback would land here)."""
    synced: asyncio.Event = field(default_factory=asyncio.Event)

    async def read_stdout(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            record = json.loads(line)
            if record["type"] == "stream":
                resource, state = record["resource"], record["state"]
                if (
                    self.synced.is_set()
                    and state in NOT_LIVE
                    and self.streams.get(resource) == "live"
                ):
                    self.interruptions[state] += 1
                self.streams[resource] = state
                if state != "live":
                    self.log(f"stream {resource} {state}: {record['detail'][:160]}")
            elif record["type"] == "snapshot":
                self.snapshot = record["snapshot"]
                self.streams.update({s["resource"]: s["state"] for s in self.snapshot["streams"]})
                self.synced.set()

    async def read_stderr(self) -> None:
        assert self.proc.stderr is not None
        while line := (await self.proc.stderr.readline()).decode():
            if line.startswith(METRICS_PREFIX):
                self.figures.append(json.loads(line.removeprefix(METRICS_PREFIX)))
            else:
                self.complaints.append(line.rstrip())


# -- the soak ----------------------------------------------------------------------------------


@dataclass
class Report:
    seconds: float
    faults: dict[str, int]
    interruptions: dict[str, int]
    """Streams leaving `live`, by the state they went to."""
    objects: int
    """Objects compared at the end (Events: the window)."""
    emulator_events: int
    populated_after: float | None
    """Seconds from the start until the scenario finished populating (None: it never did)."""
    converged_after: float | None
    """Seconds from the last fault until every stream was live and the store equal to the truth."""
    driver_worst_lag: float
    """Longest the driver's loop (the emulator's) was held, in seconds."""
    sovwatch_worst_lag: float
    """Longest sovwatch's own loop was held, in seconds (from its figures)."""
    figures_quiet: dict
    """Tasks, RSS, fds, sockets just before the first fault (all streams live)."""
    figures_populated: dict
    """The same, `SETTLE` seconds after the scenario finished populating."""
    figures_at_end: dict
    figures_peak: dict
    rss_growth: float
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def _load_scenario(name: str, workdir: Path):
    from sovsim.scenario import load_scenario, shipped_scenarios

    if name == "large" and "large" not in shipped_scenarios():
        # until the scenario branch ships `large`: the same size, from the generator
        path = workdir / "large.yaml"
        path.write_text(
            "name: large\nduration: 45m\ncluster: {fluxCrdsAt: 30s}\n"
            "generate: {releases: 300, podsPerRelease: 16}\n"
        )
        return load_scenario(path)
    return load_scenario(name)


async def play(runner, *, slice_seconds: float = 0.05, tick: float = 0.05) -> None:
    """`runner.run()`, but handing the event loop back to the emulator at least every
    `slice_seconds`: at high speed one step of `large` (hundreds of releases reconciled at one
    instant, thousands of pods) holds the loop for seconds, and a driver that does not serve its
    watches for longer than sovwatch's inactivity timeout makes every stream look dead. When the
    emulator cannot keep up with `speed`, simulated time lags behind instead."""
    loop = asyncio.get_running_loop()
    sim = runner.sim
    real_start, sim_start = loop.time(), sim.now
    while True:
        target = sim_start + (loop.time() - real_start) * runner.speed
        slice_end = loop.time() + slice_seconds
        while (due := sim.next_time()) is not None and due <= target:
            sim.step(due)  # everything scheduled for that instant
            if loop.time() > slice_end:
                break
        else:
            sim.step(target)
            due = sim.next_time()
            await asyncio.sleep(tick if due is None else min(tick, (due - sim.now) / runner.speed))
            continue
        await asyncio.sleep(0)


async def soak(
    *,
    seconds: float,
    scenario: str,
    speed: float,
    fault_every: float,
    seed: int,
    warmup: float,
    workdir: Path,
    check_rss: bool,
    converge_within: float = 120.0,
    log=print,
) -> Report:
    """Run the soak for `seconds` of faults and check everything; returns the report."""
    from sovsim.objects import ObjectStore
    from sovsim.scenario import ScenarioRunner
    from sovsim.server import Emulator

    rng = random.Random(seed)
    store = ObjectStore(history_limit=50_000)
    runner = ScenarioRunner(store, _load_scenario(scenario, workdir), seed=seed, speed=speed)
    failures: list[str] = []
    started = time.monotonic()
    lag = LoopLag(log).start()
    freezer = asyncio.create_task(freeze_survivors())
    async with Emulator(store, bookmark_interval=BOOKMARK_INTERVAL) as emu:
        kubeconfig = emu.write_kubeconfig(workdir / "kubeconfig", context="soak")
        record = workdir / "soak.ndjson"  # plain, so the convergence check can tail it
        scenario_task: list[asyncio.Task | None] = [asyncio.create_task(play(runner))]

        def restart_scenario(paused):
            """Pause (None → returns a token) or resume (token → None) the scenario."""
            if paused is None:
                task = scenario_task[0]
                if task is not None:
                    task.cancel()
                scenario_task[0] = None
                return True
            if scenario_task[0] is None:
                scenario_task[0] = asyncio.create_task(play(runner))
            return None

        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "client", "--kubeconfig", str(kubeconfig),
            "--record", str(record),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)},
            limit=256 * 2**20,  # a snapshot line of the large scenario is megabytes long
        )  # fmt: skip
        run = Run(proc, log)
        readers = [asyncio.create_task(run.read_stdout()), asyncio.create_task(run.read_stderr())]
        rain = FaultRain(
            emu, store, restart_scenario, rng, log,
            stall_for=SOAK_SETTINGS.inactivity_timeout + 1.5,
        )  # fmt: skip
        populated: list[float] = []  # [seconds from start, figures index] once populated

        async def watch_population() -> None:
            while not runner.finished:  # noqa: ASYNC110 (the runner has no event to wait on)
                await asyncio.sleep(1.0)
            populated.append(time.monotonic() - started)
            log(f"scenario populated ({len(store.keys('events'))} Events in the emulator); "
                f"RSS baseline in {SETTLE:g} s")  # fmt: skip
            await asyncio.sleep(SETTLE)
            populated.append(len(run.figures))

        population = asyncio.create_task(watch_population())
        try:
            await asyncio.wait_for(run.synced.wait(), 120)
            log(f"synced after {time.monotonic() - started:.1f} s; faults for {seconds:g} s")
            await asyncio.sleep(warmup)
            quiet = await _quiet_figures(run)
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                await asyncio.sleep(fault_every * rng.uniform(0.5, 1.5))
                if proc.returncode is not None:
                    failures.append(f"sovwatch exited during the soak (code {proc.returncode})")
                    break
                await rain.one()
            await rain.settle()
            restart_scenario(None)  # freeze the truth
            faults_ended = time.monotonic()
            log("faults over, scenario frozen; converging")
            converged = await converge(run.streams, store, record, within=converge_within)
            converged_after = None if converged else time.monotonic() - faults_ended
            if converged:
                failures.append(converged)
            else:
                log(f"converged {converged_after:.1f} s after the last fault")
            await asyncio.sleep(5.5)  # figures at steady state
            end_figures = steady(run.figures)
            proc.terminate()
            code = await asyncio.wait_for(proc.wait(), 30)
            await asyncio.gather(*readers)
            if code != 130:
                failures.append(f"sovwatch ended with {code} on SIGTERM, not 130")
            failures += await asyncio.to_thread(check_snapshots, run.snapshot, store, record)
            failures += [f"stderr: {line}" for line in run.complaints if line.strip()][:5]
            failures += _check_figures(run.figures, quiet, end_figures, populated, check_rss)
            since = populated[1] if len(populated) > 1 else len(run.figures)
            rss_from, _, growth = rss_growth(run.figures, since)
            truth = await asyncio.to_thread(truth_store, store)
            return Report(
                seconds=time.monotonic() - started,
                faults={k: v for k, v in rain.counts.items() if v},
                interruptions=dict(run.interruptions),
                objects=sum(1 for _ in fingerprint_of_store(truth)),
                emulator_events=len(store.keys("events")),
                populated_after=populated[0] if populated else None,
                converged_after=converged_after,
                driver_worst_lag=round(lag.worst, 2),
                sovwatch_worst_lag=max((f.get("lag", 0.0) for f in run.figures), default=0.0),
                figures_quiet=quiet,
                figures_populated=steady(run.figures[: since + 5]) if rss_from else {},
                figures_at_end=end_figures,
                figures_peak={k: max(f[k] for f in run.figures) for k in COUNTED},
                rss_growth=growth,
                failures=failures,
            )
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            for task in [*readers, scenario_task[0], *rain.undo, population, lag.task, freezer]:
                if task is not None:
                    task.cancel()
            gc.unfreeze()  # the caller's objects are collectable again (the test's process)


async def _quiet_figures(run: Run, *, within: float = 60.0) -> dict:
    """The figures once every stream is live (Flux's CRDs may still be coming): the baseline
    that tasks, fds and sockets at the end must not exceed."""
    deadline = time.monotonic() + within
    while any(s != "live" for s in run.streams.values()) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.5)
    await asyncio.sleep(5.5)  # five reports with everything live
    return steady(run.figures)


def _check_figures(
    figures: list[dict], quiet: dict, end: dict, populated: list, check_rss: bool
) -> list[str]:
    """No task, fd or socket leak (end vs quiet); RSS growth under 10 % once populated."""
    failures = []
    for key, slack in (("tasks", 0), ("fds", 2), ("sockets", 2)):
        if end[key] > quiet[key] + slack:
            failures.append(
                f"{key} leak: {quiet[key]:g} before the faults, {end[key]:g} at the end"
            )
    if check_rss:
        if len(populated) < 2:
            failures.append(
                "the scenario never finished populating while the faults ran: no steady period "
                "to judge RSS growth by (run longer, or raise --speed)"
            )
        elif (growth := rss_growth(figures, populated[1])[2]) >= 0.10:
            failures.append(f"RSS grew {growth:.1%} after the scenario populated")
    return failures


# -- command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    client = sub.add_parser("client", help="(internal) the sovwatch process under test")
    client.add_argument("--kubeconfig", required=True)
    client.add_argument("--record", required=True)
    client.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--minutes", type=float, default=30.0, help="minutes of faults (30)")
    parser.add_argument("--scenario", default="large", help="scenario name or file (large)")
    parser.add_argument("--speed", type=float, default=3.0, help="scenario speed factor (3)")
    parser.add_argument("--fault-every", type=float, default=3.0, help="seconds between faults")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--warmup", type=float, default=20.0, help="seconds from the first sync to the first fault"
    )
    parser.add_argument(
        "--converge-within", type=float, default=120.0,
        help="seconds after the last fault for every stream to be live and the store exact",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.command == "client":
        return asyncio.run(_client(args.kubeconfig, args.record, args.interval))
    with tempfile.TemporaryDirectory(prefix="sovwatch-soak-") as tmp:
        report = asyncio.run(
            soak(
                seconds=args.minutes * 60,
                scenario=args.scenario,
                speed=args.speed,
                fault_every=args.fault_every,
                seed=args.seed,
                warmup=args.warmup,
                converge_within=args.converge_within,
                workdir=Path(tmp),
                check_rss=True,
                log=lambda msg: print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True),
            )  # fmt: skip
        )
    print(json.dumps({**report.__dict__, "passed": report.passed}, indent=2))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
