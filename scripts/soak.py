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
FLUX_CRDS = (
    "helmreleases.helm.toolkit.fluxcd.io",
    "kustomizations.kustomize.toolkit.fluxcd.io",
    "helmrepositories.source.toolkit.fluxcd.io",
    "helmcharts.source.toolkit.fluxcd.io",
    "ocirepositories.source.toolkit.fluxcd.io",
    "gitrepositories.source.toolkit.fluxcd.io",
)
FAULTS = (
    "close_watches",
    "compact",
    "stall",
    "forbid",
    "burst_429",
    "burst_500",
    "malformed_line",
    "restart",
    "crd_flap",
)


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


class FaultRain:
    """Draws and applies faults; remembers what must be undone."""

    def __init__(self, emu, store, scenario_task_factory, rng: random.Random, log) -> None:
        self.emu, self.store, self.rng, self.log = emu, store, rng, log
        self._restart_scenario = scenario_task_factory
        self.undo: dict[asyncio.Task, object] = {}
        """Pending undo tasks and the coroutine function each will run."""
        self.counts: dict[str, int] = dict.fromkeys(FAULTS, 0)
        self._crd_down = False

    def _later(self, delay: float, coro_fn) -> None:
        """Undo a fault after `delay` seconds (or at `settle()`, whichever comes first)."""

        async def run() -> None:
            await asyncio.sleep(delay)
            self.undo.pop(task, None)
            await coro_fn()

        task = asyncio.create_task(run())
        self.undo[task] = coro_fn

    async def one(self) -> str:
        from sovwatch.kube.resources import WATCHED

        name = self.rng.choice(FAULTS)
        if name == "crd_flap" and self._crd_down:
            name = "close_watches"  # one CRD away at a time: the scenario is paused meanwhile
        resource = self.rng.choice(WATCHED).key
        faults = self.emu.faults
        if name == "close_watches":
            faults.close_watches(self.rng.choice([None, resource]))
        elif name == "compact":
            faults.compact()
            faults.close_watches()  # resuming from the compacted history must get 410
        elif name == "stall":
            faults.stall(resource)
            self._later(SOAK_SETTINGS.inactivity_timeout + 1.5, self._unstall)
        elif name == "forbid":
            faults.forbid(resource)
            self._later(2.0, lambda r=resource: self._allow(r))
        elif name in ("burst_429", "burst_500"):
            status = int(name[-3:])
            faults.fail_next(self.rng.randint(2, 8), status=status, retry_after=0.5)
        elif name == "malformed_line":
            faults.malformed_line(self.rng.choice([None, resource]))
        elif name == "restart":
            await self.emu.restart()
        elif name == "crd_flap":
            resource = self.rng.choice(FLUX_CRDS)
            await self._crd_flap(resource)
        self.counts[name] += 1
        self.log(f"fault {name} {resource if name in ('stall', 'forbid', 'crd_flap') else ''}")
        return name

    async def _unstall(self) -> None:
        self.emu.faults.unstall()

    async def _allow(self, resource: str) -> None:
        self.emu.faults.allow(resource)

    async def _crd_flap(self, key: str) -> None:
        """Remove a Flux CRD (its objects go with it), then put it and its objects back. The
        scenario is paused meanwhile: its controllers cannot write kinds that are not served."""
        crds = "customresourcedefinitions.apiextensions.k8s.io"
        crd = self.store.get(crds, "", key)
        if crd is None:  # Flux is not installed yet: nothing to flap
            return
        pause = self._restart_scenario(None)
        self._crd_down = True
        objects, _ = self.store.list(key)
        self.store.delete(crds, "", key)

        async def restore() -> None:
            self.store.put(crd)
            for obj in objects:
                obj["metadata"].pop("resourceVersion", None)
                self.store.put(obj)
            self._crd_down = False
            self._restart_scenario(pause)

        self._later(2.0, restore)

    async def settle(self) -> None:
        """Undo everything still pending now."""
        pending, self.undo = self.undo, {}
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for undo in pending.values():
            await undo()
        self.emu.faults.unstall()
        from sovwatch.kube.resources import WATCHED

        for resource in WATCHED:
            self.emu.faults.allow(resource.key)


# -- comparisons -------------------------------------------------------------------------------


def fingerprint_of_store(store) -> dict[tuple, str]:
    return {
        (kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]): obj["metadata"].get(
            "resourceVersion", ""
        )
        for kind in store.kinds()
        for obj in store.objects(kind)
    }


def truth_store(emulator_store):
    """A sovwatch Store holding exactly the emulator's watched objects, slimmed as the engine does."""
    from sovwatch.kube.resources import WATCHED
    from sovwatch.sources.events import EventType, WatchEvent
    from sovwatch.sources.slimming import slim
    from sovwatch.store.store import Store

    store = Store()
    for resource in WATCHED:
        objects, _ = emulator_store.list(resource.key)
        for obj in objects:
            store.apply(WatchEvent(resource.key, EventType.ADDED, slim(obj), time.time()))
    return store


def recorded_store(path: Path):
    from sovwatch.sources.recording import RecordingReader
    from sovwatch.store.store import Store

    store = Store()
    with RecordingReader(path) as reader:
        for item in reader:
            store.apply(item)
    return store


def comparable(snapshot: dict) -> dict:
    """The parts of a snapshot that say what the cluster is, not when it was looked at."""
    progress = {k: v for k, v in snapshot["progress"].items() if "eta" not in k.lower()}
    return {
        "outcome": snapshot["outcome"],
        "progress": progress,
        "graph": snapshot["graph"],
        "releases": [
            (r["namespace"], r["name"], r["state"], r["reason"], r["message"])
            for r in snapshot["releases"]
        ],
        "objects": [
            (o["kind"], o["namespace"], o["name"], o["state"], o["reason"], o["message"])
            for o in snapshot["objects"]
        ],
    }


def snapshot_of_store(store, now: float) -> dict:
    from sovwatch.model.snapshot import build_snapshot

    return build_snapshot(store, now=now).to_dict()


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _differences(a: dict, b: dict) -> list[str]:
    return [k for k in a if a[k] != b.get(k)]


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
        record = workdir / "soak.ndjson.gz"
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
        )  # fmt: skip
        run = Run(proc)
        readers = [asyncio.create_task(run.read_stdout()), asyncio.create_task(run.read_stderr())]
        rain = FaultRain(emu, store, restart_scenario, rng, log)
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
    deadline = time.monotonic() + within
    why = ""
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        not_live = {r: s for r, s in run.streams.items() if s != "live"}
        seen = fingerprint_of_store(recorded_store(record))
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
    now = _epoch(final["observedAt"])
    truth = comparable(snapshot_of_store(truth_store(store), now))
    live = comparable(final)
    if live != truth:
        failures.append(
            f"final snapshot differs from the emulator's truth in {_differences(live, truth)}"
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
            f"the replay's snapshot differs in {_differences(comparable(snapshots[-1]), live)}"
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
