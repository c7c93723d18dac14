"""Benchmark: a fleet of 50 simulated Sovereigns playing `bootstrap-kit` at once, watched by one
sovwatch process and by the operators' habit for the same fleet, at the same time, on the same
emulators.

- **sovwatch**: one process, `sovwatch --kubeconfig-dir DIR`, DIR holding one kubeconfig per
  Sovereign as catalyst-api keeps them (`<id>.yaml`, 0600): the fleet screen in a 120x40 pty
  (`TERM=xterm-256color`) when this tree has it, else headless `-o plain` (its output counted).
- **kubectl -w**: per Sovereign `kubectl get hr -A -w` and `kubectl get pods -A -w` (2 x 50
  processes), their output counted as it is written.
- **one cluster**: a 51st Sovereign, playing the same story, watched by a lone `sovwatch -o json`
  (the API load of one cluster, for "per Sovereign as for one cluster") and by
  `watch -n2 kubectl get hr -A` in a 120x40 pty (the terminal bytes sovwatch's fleet screen must
  stay below).

Every Sovereign plays `bootstrap-kit` at real speed from just after Flux's CRDs appear, staggered
by up to 2.5 scenario minutes so that the fleet is not in lockstep; every emulator (HTTPS, token)
runs on one thread of this process, so its CPU is never a subject's. After every client watches,
a warm-up, then a window: CPU (`/proc/<pid>/stat`, cores averaged over the window), peak RSS
(`VmHWM`, summed over the kubectl processes), API requests (each emulator's request log, told
apart by User-Agent) and terminal bytes, each scaled to a minute.

    python -m bench.fleet [--smoke] [--json]
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench import procs, subjects
from bench.bandwidth import _pump_all
from bench.host import EmulatorHost
from bench.results import BenchResult, Measurement, Target
from bench.run_one import main_for

SCENARIO = "bootstrap-kit"
COLUMNS, ROWS = 120, 40
FLEET = "sovwatch (one process, the fleet)"
KUBECTL_W = "kubectl get -w (hr + pods per Sovereign)"
LONE = "sovwatch (one cluster alone)"
SAME_STAGE = "sovwatch (the fleet, members at the lone cluster's stage)"
WATCH = "watch -n2 kubectl get hr -A (one cluster)"
RSS_TARGET_MIB = 400e6 / 2**20
"""400 MB."""
STAGGER = 30.0
"""Scenario seconds between the starting points of consecutive Sovereigns."""
STAGES = 6
"""How many starting points: the lone cluster (the first) starts at the first, as do every
`STAGES`-th member after it (its peers for the API load)."""


@dataclass(frozen=True)
class Plan:
    members: int
    warmup: float
    window: float
    speed: float
    """Scenario seconds per real second."""


FULL = Plan(members=50, warmup=20.0, window=120.0, speed=1.0)
SMOKE = Plan(members=3, warmup=2.0, window=8.0, speed=30.0)


class FleetHost(EmulatorHost):
    """`members` emulators on the host's one loop, each with its own store; the host's own
    emulator is the lone cluster."""

    def __init__(self, members: int) -> None:
        super().__init__()
        from sovsim.objects import ObjectStore
        from sovsim.server import Emulator

        self.members = [
            Emulator(ObjectStore(history_limit=50_000), tls=True, bookmark_interval=60.0)
            for _ in range(members)
        ]

    def __enter__(self) -> FleetHost:
        super().__enter__()
        for member in self.members:
            self.run(member.start())
        return self

    def __exit__(self, *exc: object) -> None:
        for member in self.members:
            with contextlib.suppress(Exception):
                self.run(member.__aexit__(None, None, None), timeout=10)
        super().__exit__(*exc)

    @property
    def everyone(self):
        return [self.emulator, *self.members]

    def play(self, stagger: float, speed: float) -> list:
        """Start the scenario in every emulator (the i-th `i % STAGES` steps of `stagger` on);
        returns the futures of the runs."""
        from sovsim.scenario import ScenarioRunner, load_scenario

        scenario = load_scenario(SCENARIO)
        futures = []
        for i, emulator in enumerate(self.everyone):
            at = scenario.cluster.flux_crds_at + 1.0 + (i % STAGES) * stagger

            def start(emulator=emulator, at=at, seed=i):
                runner = ScenarioRunner(
                    emulator.store, scenario, seed=seed, speed=speed, start=time.time() - at
                )
                runner.run_until(at)
                return runner

            runner = self.call(start)
            futures.append(asyncio.run_coroutine_threadsafe(runner.run(), self.loop))
        return futures

    def same_stage(self) -> list:
        """The members that started at the lone cluster's point of the story."""
        return [e for i, e in enumerate(self.everyone) if i and i % STAGES == 0]

    def requests(self, emulators: Iterable, agent: str, start: float, end: float) -> list:
        """Requests from clients whose User-Agent starts with `agent`, in [start, end)."""
        chosen = list(emulators)

        def pick() -> list:
            return [
                r
                for e in chosen
                for r in e.request_log
                if start <= r.time < end and r.agent.startswith(agent)
            ]

        return self.call(pick)


@dataclass
class Output:
    """A child's stdout into a file, its size the bytes it wrote."""

    path: Path

    def size(self) -> int:
        return self.path.stat().st_size


@dataclass
class Subjects:
    fleet: procs.PtyProcess | subprocess.Popen
    fleet_output: Output | None
    """The headless fleet's stdout (None: the fleet screen in a pty)."""
    lone: subprocess.Popen
    watch: procs.PtyProcess
    kubectls: list[subprocess.Popen] = field(default_factory=list)
    kubectl_outputs: list[Output] = field(default_factory=list)

    @property
    def fleet_pid(self) -> int:
        proc = self.fleet.proc if isinstance(self.fleet, procs.PtyProcess) else self.fleet
        assert proc is not None
        return proc.pid

    @property
    def terms(self) -> dict[str, procs.PtyProcess]:
        found = {WATCH: self.watch}
        if isinstance(self.fleet, procs.PtyProcess):
            found[FLEET] = self.fleet
        return found

    def fleet_bytes(self) -> int:
        if self.fleet_output is not None:
            return self.fleet_output.size()
        assert isinstance(self.fleet, procs.PtyProcess)
        return self.fleet.drain()

    def kubectl_bytes(self) -> int:
        return sum(output.size() for output in self.kubectl_outputs)


def _start(
    stack: ExitStack, host: FleetHost, tmpdir: Path, capture: Path | None = None
) -> Subjects:
    directory = tmpdir / "kubeconfigs"
    directory.mkdir(mode=0o700)
    kubeconfigs = [
        member.write_kubeconfig(directory / f"sov-{i:02d}.yaml", context=f"sov-{i:02d}")
        for i, member in enumerate(host.members)
    ]
    lone_kubeconfig = host.kubeconfig(tmpdir / "lone.yaml")
    env = {**procs.python_env(), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    fleet_argv = [*subjects.sovwatch(directory), "--timeout", "0"]
    fleet_argv[fleet_argv.index("--kubeconfig")] = "--kubeconfig-dir"
    fleet_output = None
    if subjects.missing_fleet_screen() is None:
        fleet: procs.PtyProcess | subprocess.Popen = procs.PtyProcess(
            fleet_argv, COLUMNS, ROWS, env=env, capture=capture
        ).start()
        stack.callback(fleet.close)
    else:
        fleet_output = Output(tmpdir / "fleet.out")
        with open(fleet_output.path, "wb") as out:
            fleet = procs.spawn(
                [*fleet_argv, "-o", "plain"], stdout=out, stderr=subprocess.DEVNULL, env=env
            )
        stack.callback(procs.stop, fleet)
    lone = procs.spawn(
        [*subjects.sovwatch(lone_kubeconfig), "-o", "json", "--timeout", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    stack.callback(procs.stop, lone)
    watch_argv = procs.kubectl(lone_kubeconfig, tmpdir / "cache-watch", "get", "hr", "-A")
    watch = procs.PtyProcess(["watch", "-n2", *watch_argv], COLUMNS, ROWS).start()
    stack.callback(watch.close)
    started = Subjects(fleet, fleet_output, lone, watch)
    for i, kubeconfig in enumerate(kubeconfigs):
        for kind in ("hr", "pods"):
            output = Output(tmpdir / f"kubectl-{i:02d}-{kind}.out")
            with open(output.path, "wb") as out:
                argv = procs.kubectl(kubeconfig, tmpdir / f"cache-{i:02d}", "get", kind, "-A", "-w")
                proc = procs.spawn(argv, stdout=out, stderr=subprocess.DEVNULL)
            stack.callback(procs.stop, proc)
            started.kubectls.append(proc)
            started.kubectl_outputs.append(output)
    return started


def _wait_for_watches(host: FleetHost, running: Subjects, since: float) -> None:
    """Until sovwatch watches HelmReleases in every Sovereign and both kubectls watch in each."""

    def ready() -> bool:
        _pump_all(running.terms, 0.05)
        for member in host.members:
            watches = host.requests([member], "", since, time.time())
            hr = [r for r in watches if r.watch and "helmreleases" in r.path]
            pods = [r for r in watches if r.watch and r.path == "/api/v1/pods"]
            if not any(r.agent.startswith("sovwatch") for r in hr):
                return False
            if not (
                any(r.agent.startswith("kubectl") for r in hr)
                and any(r.agent.startswith("kubectl") for r in pods)
            ):
                return False
        return True

    procs.wait_until(ready, timeout=300, what="every client to watch every Sovereign")


def measure(plan: Plan, *, capture: Path | None = None) -> dict:
    """Every figure of one run, raw; with `capture`, the fleet screen's bytes are also written
    there (the window starts at offset `figures["fleet_window_at"]`)."""
    with ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-fleet-")))
        host = stack.enter_context(FleetHost(plan.members))
        playing = host.play(STAGGER, plan.speed)
        started = time.time()
        running = _start(stack, host, tmpdir, capture)
        _wait_for_watches(host, running, started)
        _pump_all(running.terms, plan.warmup)
        kubectl_pids = [p.pid for p in running.kubectls]
        before = {
            "fleet_cpu": procs.tree_cpu_seconds(running.fleet_pid),
            "kubectl_cpu": sum(procs.tree_cpu_seconds(pid) for pid in kubectl_pids),
            "lone_cpu": procs.tree_cpu_seconds(running.lone.pid),
            "fleet_bytes": running.fleet_bytes(),
            "kubectl_bytes": running.kubectl_bytes(),
        }
        begin = time.time()
        counted = _pump_all(running.terms, plan.window)
        end = time.time()
        seconds = end - begin
        figures = {
            "seconds": seconds,
            "members": plan.members,
            "fleet_window_at": before["fleet_bytes"],
            "fleet_cores": (procs.tree_cpu_seconds(running.fleet_pid) - before["fleet_cpu"])
            / seconds,
            "kubectl_cores": (
                sum(procs.tree_cpu_seconds(pid) for pid in kubectl_pids) - before["kubectl_cpu"]
            )
            / seconds,
            "lone_cores": (procs.tree_cpu_seconds(running.lone.pid) - before["lone_cpu"]) / seconds,
            "fleet_rss": procs.peak_rss_mb(running.fleet_pid),
            "kubectl_rss": sum(procs.peak_rss_mb(pid) for pid in kubectl_pids),
            "lone_rss": procs.peak_rss_mb(running.lone.pid),
            "fleet_bytes": counted.get(FLEET, running.fleet_bytes() - before["fleet_bytes"]),
            "kubectl_bytes": running.kubectl_bytes() - before["kubectl_bytes"],
            "watch_bytes": counted[WATCH],
            "fleet_requests": len(host.requests(host.members, "sovwatch", begin, end)),
            "same_stage": len(host.same_stage()),
            "same_stage_requests": len(host.requests(host.same_stage(), "sovwatch", begin, end)),
            "fleet_by_path": _by_path(host.requests(host.members, "sovwatch", begin, end)),
            "lone_by_path": _by_path(host.requests([host.emulator], "sovwatch", begin, end)),
            "kubectl_requests": len(host.requests(host.members, "kubectl", begin, end)),
            "lone_requests": len(host.requests([host.emulator], "sovwatch", begin, end)),
            "watch_requests": len(host.requests([host.emulator], "kubectl", begin, end)),
            "fleet_startup_requests": len(host.requests(host.members, "sovwatch", started, begin)),
            "lone_startup_requests": len(
                host.requests([host.emulator], "sovwatch", started, begin)
            ),
            "exited": [
                name
                for name, proc in (("fleet", running.fleet), ("lone", running.lone))
                if (proc.proc if isinstance(proc, procs.PtyProcess) else proc).poll() is not None
            ],
        }
        for future in playing:
            future.cancel()
    return figures


def _by_path(requests: list) -> dict[str, int]:
    """How many requests of each kind (`watch PATH`, `GET PATH`, log reads as `GET .../log`)."""
    kinds = Counter(
        f"{'watch' if r.watch else r.method} "
        + ("/api/v1/namespaces/*/pods/*/log" if r.path.endswith("/log") else r.path)
        for r in requests
    )
    return dict(kinds.most_common())


def run(*, smoke: bool = False) -> list[BenchResult]:
    plan = SMOKE if smoke else FULL
    missing = subjects.missing_headless()
    if missing:
        return [BenchResult("fleet", "Fleet", "", KUBECTL_W, (Measurement(FLEET, None, missing),))]
    f = measure(plan)
    n, per_minute = f["members"], 60.0 / f["seconds"]
    screen = subjects.missing_fleet_screen()
    how = screen or f"the fleet screen in a {COLUMNS}x{ROWS} pty"
    played = (
        f"{n} Sovereigns playing {SCENARIO} at {plan.speed:g}x, {f['seconds']:.0f} s window after "
        f"{plan.warmup:.0f} s warm-up; sovwatch: {how}"
    )
    if f["exited"]:
        played += f"; EXITED before the end: {', '.join(f['exited'])}"
    cpu = BenchResult(
        name="fleet",
        title=f"CPU watching {n} Sovereigns",
        unit="cores (average)",
        peer=KUBECTL_W,
        measurements=(
            Measurement(FLEET, f["fleet_cores"], f"{f['fleet_cores'] / n * 1000:.1f} mcores each"),
            Measurement(KUBECTL_W, f["kubectl_cores"], f"{2 * n} processes"),
            Measurement(LONE, f["lone_cores"], "one cluster"),
        ),
        targets=(Target("under 1 core", FLEET, limit=1.0),),
        notes=(played,),
    )
    rss = BenchResult(
        name="fleet-rss",
        title=f"Peak RSS watching {n} Sovereigns",
        unit="MiB",
        peer=KUBECTL_W,
        measurements=(
            Measurement(FLEET, f["fleet_rss"], "VmHWM"),
            Measurement(KUBECTL_W, f["kubectl_rss"], f"sum of {2 * n} VmHWM"),
            Measurement(LONE, f["lone_rss"], "one cluster, headless"),
        ),
        targets=(Target("under 400 MB", FLEET, limit=RSS_TARGET_MIB),),
        notes=(played,),
    )
    lone_rate = f["lone_requests"] * per_minute
    api = BenchResult(
        name="fleet-api",
        title="API requests per minute per Sovereign",
        unit="requests / min / Sovereign",
        peer=WATCH,
        measurements=(
            Measurement(
                FLEET,
                f["fleet_requests"] * per_minute / n,
                f"{f['fleet_requests']} in the window from {n}; "
                f"{f['fleet_startup_requests'] / n:.0f} each to start",
                extra={
                    "startup_requests": f["fleet_startup_requests"],
                    "by_path": f["fleet_by_path"],
                },
            ),
            Measurement(
                SAME_STAGE,
                f["same_stage_requests"] * per_minute / max(f["same_stage"], 1),
                f"{f['same_stage_requests']} from the {f['same_stage']} members that started "
                "where the lone cluster did",
            ),
            Measurement(
                LONE,
                lone_rate,
                f"{f['lone_requests']} in the window; {f['lone_startup_requests']} to start",
                extra={
                    "startup_requests": f["lone_startup_requests"],
                    "by_path": f["lone_by_path"],
                },
            ),
            Measurement(WATCH, f["watch_requests"] * per_minute, "one cluster"),
            Measurement(
                KUBECTL_W,
                f["kubectl_requests"] * per_minute / n,
                f"{f['kubectl_requests']} in the window from {2 * n}",
            ),
        ),
        targets=(
            Target(
                "as for one cluster (fleet members at the lone cluster's stage vs it, +1 request)",
                SAME_STAGE,
                limit=lone_rate + per_minute,
            ),
        ),
        notes=(played,),
    )
    terminal = BenchResult(
        name="fleet-bytes",
        title=f"Terminal bytes per minute watching {n} Sovereigns",
        unit="bytes / min",
        peer=WATCH,
        measurements=(
            Measurement(FLEET, f["fleet_bytes"] * per_minute, how),
            Measurement(WATCH, f["watch_bytes"] * per_minute, f"{COLUMNS}x{ROWS} pty"),
            Measurement(KUBECTL_W, f["kubectl_bytes"] * per_minute, f"{2 * n} outputs, summed"),
        ),
        targets=(Target("below one watch -n2 kubectl get hr -A", FLEET, ratio=1.0),),
        notes=(played,),
    )
    return [cpu, rss, api, terminal]


if __name__ == "__main__":
    main_for(run)
