"""The fault soak: a bootstrap played fast into the emulator while faults rain on sovwatch.

    PYTHONPATH=. python scripts/soak.py                       # the long one: `large`, 30 minutes
    PYTHONPATH=. python scripts/soak.py --minutes 2 --scenario tiny --speed 20

sovwatch runs headless (`-o json --record`) in its own process, through the real launch path, with
second-scale engine timings so every fault is noticed and recovered within seconds. Every
`--fault-every` seconds (jittered) one fault is drawn at random from the emulator's hooks: closed
watches, compaction (410 on resume), a stalled stream (longer than the inactivity timeout), a 403
flip, 429 and 500 bursts, a malformed line, a server restart, a Flux CRD removed and re-added.

Then the faults stop, the scenario is frozen, and the soak checks:
- sovwatch never exited, and every stream is `live` again;
- its store (replayed from its own recording) equals the emulator's objects, resourceVersion for
  resourceVersion;
- its final snapshot equals a snapshot computed from the emulator's objects;
- `sovwatch replay` of the recording ends on that same snapshot;
- after warm-up: RSS grew less than 10 % (long runs), and asyncio tasks, open fds and sockets at the
  end are what they were after warm-up (no leak).

The sovwatch process reports its own figures (tasks, RSS, fds, sockets) once a second on stderr as
`soak-metrics {...}`: `python scripts/soak.py client ...` is that process. Exit status 0 = pass.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.soak_faults import FaultRain  # noqa: E402
from scripts.soak_truth import (  # noqa: E402
    RecordingTail,
    comparable,
    differences,
    epoch,
    fingerprint_of_store,
    snapshot_of_store,
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
METRICS_PREFIX = "soak-metrics "
# -- the sovwatch side -------------------------------------------------------------------------


def _own_figures() -> dict:
    fds = os.listdir("/proc/self/fd")
    sockets = 0
    for fd in fds:
        with contextlib.suppress(OSError):
            sockets += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    rss = next(
        int(line.split()[1])
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return {"t": time.time(), "tasks": len(asyncio.all_tasks()), "rss_kb": rss, "fds": len(fds),
            "sockets": sockets}  # fmt: skip


async def _report_figures(interval: float) -> None:
    while True:
        print(METRICS_PREFIX + json.dumps(_own_figures()), file=sys.stderr, flush=True)
        await asyncio.sleep(interval)


async def _client(kubeconfig: str, record: str, interval: float) -> int:
    """`sovwatch --kubeconfig K -o json --record R`, as the CLI wires it, plus a figures task."""
    from sovwatch import launch
    from sovwatch.cli import Invocation

    invocation = Invocation(
        command="watch", output="json", kubeconfig=kubeconfig, record=Path(record),
        timeout=0, first_seen_timeout=0,
    )  # fmt: skip
    task = asyncio.current_task()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    session = await launch.live_session(invocation, settings=SOAK_SETTINGS)
    session.source = launch.recorded(
        session.source, Path(record), context=session.context, server=session.server
    )
    figures = asyncio.create_task(_report_figures(interval))
    try:
        return await launch.run_headless(invocation, session)
    finally:
        figures.cancel()


# -- the emulator side -------------------------------------------------------------------------


@dataclass
class Run:
    """What the driver sees of the sovwatch process."""

    proc: asyncio.subprocess.Process
    streams: dict[str, str] = field(default_factory=dict)
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
                self.streams[record["resource"]] = record["state"]
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
    objects: int
    figures_after_warmup: dict
    figures_at_end: dict
    rss_growth: float
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def _load_scenario(name: str, workdir: Path):
    from sovwatch.emulator.scenario import load_scenario, shipped_scenarios

    if name == "large" and "large" not in shipped_scenarios():
        # until the scenario branch ships `large`: the same size, from the generator
        path = workdir / "large.yaml"
        path.write_text(
            "name: large\nduration: 45m\ncluster: {fluxCrdsAt: 30s}\n"
            "generate: {releases: 300, podsPerRelease: 16}\n"
        )
        return load_scenario(path)
    return load_scenario(name)


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
    log=print,
) -> Report:
    """Run the soak for `seconds` of faults and check everything; returns the report."""
    from sovwatch.emulator.objects import ObjectStore
    from sovwatch.emulator.scenario import ScenarioRunner
    from sovwatch.emulator.server import Emulator

    rng = random.Random(seed)
    store = ObjectStore(history_limit=50_000)
    runner = ScenarioRunner(store, _load_scenario(scenario, workdir), seed=seed, speed=speed)
    failures: list[str] = []
    started = time.monotonic()
    async with Emulator(store, bookmark_interval=BOOKMARK_INTERVAL) as emu:
        kubeconfig = emu.write_kubeconfig(workdir / "kubeconfig", context="soak")
        record = workdir / "soak.ndjson"  # plain, so the convergence check can tail it
        scenario_task: list[asyncio.Task | None] = [asyncio.create_task(runner.run())]

        def restart_scenario(paused):
            """Pause (None → returns a token) or resume (token → None) the scenario."""
            if paused is None:
                task = scenario_task[0]
                if task is not None:
                    task.cancel()
                scenario_task[0] = None
                return True
            if scenario_task[0] is None:
                scenario_task[0] = asyncio.create_task(runner.run())
            return None

        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "client", "--kubeconfig", str(kubeconfig),
            "--record", str(record),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)},
            limit=256 * 2**20,  # a snapshot line of the large scenario is megabytes long
        )  # fmt: skip
        run = Run(proc)
        readers = [asyncio.create_task(run.read_stdout()), asyncio.create_task(run.read_stderr())]
        rain = FaultRain(
            emu, store, restart_scenario, rng, log,
            stall_for=SOAK_SETTINGS.inactivity_timeout + 1.5,
        )  # fmt: skip
        try:
            await asyncio.wait_for(run.synced.wait(), 120)
            log(f"synced after {time.monotonic() - started:.1f} s; faults for {seconds:g} s")
            await asyncio.sleep(warmup)
            warm = list(run.figures)
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                await asyncio.sleep(fault_every * rng.uniform(0.5, 1.5))
                if proc.returncode is not None:
                    failures.append(f"sovwatch exited during the soak (code {proc.returncode})")
                    break
                await rain.one()
            await rain.settle()
            restart_scenario(None)  # freeze the truth
            await asyncio.sleep(0)
            converged = await _converge(run, store, record, within=60.0)
            if converged:
                failures.append(converged)
            await asyncio.sleep(2.5)  # figures at steady state
            end_figures = run.figures[-1] if run.figures else {}
            proc.terminate()
            code = await asyncio.wait_for(proc.wait(), 30)
            await asyncio.gather(*readers)
            if code != 130:
                failures.append(f"sovwatch ended with {code} on SIGTERM, not 130")
            failures += _check_snapshots(run, store, record)
            failures += [f"stderr: {line}" for line in run.complaints if line.strip()][:5]
            baseline = _steady(warm)
            growth = _rss_growth(run.figures, len(warm))
            if check_rss and growth >= 0.10:
                failures.append(f"RSS grew {growth:.1%} after warm-up")
            for key in ("tasks", "fds", "sockets"):
                if end_figures.get(key, 0) > baseline.get(key, 0) + (0 if key == "tasks" else 2):
                    failures.append(
                        f"{key} leak: {baseline.get(key)} after warm-up, {end_figures.get(key)} "
                        "at the end"
                    )
            return Report(
                seconds=time.monotonic() - started,
                faults={k: v for k, v in rain.counts.items() if v},
                objects=sum(1 for _ in fingerprint_of_store(truth_store(store))),
                figures_after_warmup=baseline,
                figures_at_end=end_figures,
                rss_growth=growth,
                failures=failures,
            )
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            for task in [*readers, scenario_task[0], *rain.undo]:
                if task is not None:
                    task.cancel()


async def _converge(run: Run, store, record: Path, *, within: float) -> str:
    """Wait until every stream is live and the recorded store equals the emulator's; "" if so."""
    truth = fingerprint_of_store(truth_store(store))
    tail = RecordingTail(record)
    deadline = time.monotonic() + within
    why = ""
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        not_live = {r: s for r, s in run.streams.items() if s != "live"}
        seen = fingerprint_of_store(tail.catch_up())
        if not not_live and seen == truth:
            return ""
        missing = len(truth.keys() - seen.keys())
        extra = len(seen.keys() - truth.keys())
        stale = sum(1 for k in truth.keys() & seen.keys() if truth[k] != seen[k])
        why = f"streams not live: {not_live}; store vs truth: {missing} missing, {extra} extra, {stale} stale"
    return f"did not converge within {within:g} s: {why}"


def _check_snapshots(run: Run, store, record: Path) -> list[str]:
    """The final live snapshot == one computed from the emulator == the replay's last one."""
    import subprocess

    failures = []
    final = run.snapshot
    if final is None:
        return ["no final snapshot"]
    now = epoch(final["observedAt"])
    truth = comparable(snapshot_of_store(truth_store(store), now))
    live = comparable(final)
    if live != truth:
        failures.append(
            f"final snapshot differs from the emulator's truth in {differences(live, truth)}"
        )
    replay = subprocess.run(
        [sys.executable, "-m", "sovwatch", "replay", str(record), "--speed", "instant", "-o", "json"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    snapshots = [
        json.loads(line)["snapshot"]
        for line in replay.stdout.splitlines()
        if line.startswith('{"type":"snapshot"')
    ]
    if replay.returncode != 0 or not snapshots:
        failures.append(f"replay failed ({replay.returncode}): {replay.stderr[-300:]}")
    elif comparable(snapshots[-1]) != live:
        failures.append(
            f"the replay's snapshot differs in {differences(comparable(snapshots[-1]), live)}"
        )
    return failures


def _steady(figures: list[dict]) -> dict:
    tail = figures[-5:] or [{}]
    return {
        k: statistics.median(f.get(k, 0) for f in tail)
        for k in ("tasks", "rss_kb", "fds", "sockets")
    }


def _rss_growth(figures: list[dict], warm: int) -> float:
    after = [f["rss_kb"] for f in figures[warm:]]
    if len(after) < 10:
        return 0.0
    base = statistics.median(after[: max(5, len(after) // 10)])
    last = statistics.median(after[-max(5, len(after) // 10) :])
    return last / base - 1


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
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before figures count")
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
                workdir=Path(tmp),
                check_rss=True,
                log=lambda msg: print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True),
            )  # fmt: skip
        )
    print(json.dumps({**report.__dict__, "passed": report.passed}, indent=2))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
