"""The built-in simulated Sovereigns: `sovwatch demo` watches them, `sovwatch sim` serves them.

The demo is not a special mode of the views: it starts the API emulator on 127.0.0.1 with a random
port and a random token, writes a kubeconfig for it into a private temporary directory, plays a
scenario into it, and then connects through the real watch path (kubeconfig loading, HTTP, the
reflectors), exactly as against a real cluster. So what the demo shows is what sovwatch does.

With `--fleet N` there are N emulators, one per simulated Sovereign (`fleet_plan`: different seeds,
mostly `bootstrap-kit` at different stages, one in four `stuck`, and one whose API server goes
away for a while every half minute), served as N contexts of one kubeconfig.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from sovwatch.exitcodes import ExitCode
from sovwatch.invocation import Invocation, StartupError
from sovwatch.outfiles import OutputFileError, open_private

if TYPE_CHECKING:
    from sovsim.scenario_schema import Scenario
    from sovsim.server import Emulator

DEFAULT_SCENARIO = "bootstrap-kit"
DEMO_SECONDS = 120.0
"""How long the default demo takes: the scenario's story squeezed into about two minutes."""
DEMO_CONTEXT = "sovwatch-demo"
SIM_CONTEXT = "sovwatch-sim"

FLEET_SITES = (
    "fra1",
    "ams1",
    "par1",
    "lon1",
    "mad1",
    "mil1",
    "waw1",
    "sto1",
    "vie1",
    "dub1",
    "zrh1",
    "osl1",
)
"""Where the simulated Sovereigns of a fleet run: their contexts are `sov-<site>`, then
`sov-<site>-<n>` once every site has one."""
STUCK_EVERY = 4
"""One Sovereign in four plays `stuck` (the third, the seventh, ...)."""
HEAD_START = 0.6
"""A fleet's Sovereigns begin up to this fraction of their scenario in: some nearly done."""
FLAKY_UP = 25.0
FLAKY_DOWN = 10.0
"""Wall-clock seconds the flaky Sovereign's API server is up, then away (connections refused)."""


def _load(name: str | None) -> Scenario:
    from sovsim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(name or DEFAULT_SCENARIO)
    except ScenarioError as err:
        raise StartupError(str(err)) from err


async def _serve(
    scenario: Scenario,
    stack: AsyncExitStack,
    *,
    seed: int,
    speed: float,
    tls: bool,
    port: int,
    started: float,
    head_start: float = 0.0,
    watch_list: bool = True,
    serialization_cache: bool = True,
) -> Emulator:
    """Start an emulator playing `scenario` from `head_start` simulated seconds in (played at
    once), its clock `started` when the demo began; both stop when `stack` closes.
    `watch_list`, `serialization_cache`: as `Emulator` takes them (`sim --no-watch-list`,
    `--no-serialization-cache`)."""
    from sovsim.scenario import ScenarioRunner
    from sovsim.server import Emulator

    try:
        emulator = Emulator(
            tls=tls, port=port, watch_list=watch_list, serialization_cache=serialization_cache
        )
    except ModuleNotFoundError as err:  # TLS needs the `tls` extra
        raise StartupError(
            f"serving HTTPS needs {err.name}: pip install 'sovwatch[tls]', or run with --no-tls"
        ) from err
    runner = ScenarioRunner(
        emulator.store, scenario, seed=seed, speed=speed, start=started - head_start
    )
    runner.run_until(head_start)
    try:
        await stack.enter_async_context(emulator)
    except OSError as err:
        raise StartupError(f"cannot listen on 127.0.0.1:{port}: {err.strerror}") from err
    _background(stack, runner.run(), name=f"sovwatch-scenario-{emulator.port}")
    return emulator


def _background(stack: AsyncExitStack, work, *, name: str) -> None:
    """Run `work` until `stack` closes."""
    task = asyncio.create_task(work, name=name)

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)


async def _serve_one(
    invocation: Invocation, stack: AsyncExitStack, *, started: float, default_speed: float | None
) -> tuple[Emulator, Scenario, float]:
    """The emulator playing `--scenario`, the scenario and its speed."""
    scenario = _load(invocation.scenario)
    speed = _speed(invocation, scenario, default_speed)
    emulator = await _serve(
        scenario,
        stack,
        seed=invocation.seed,
        speed=speed,
        tls=invocation.tls,
        port=invocation.port,
        started=started,
        watch_list=invocation.watch_list,
        serialization_cache=invocation.serialization_cache,
    )
    return emulator, scenario, speed


def _speed(invocation: Invocation, scenario: Scenario, default: float | None) -> float:
    return invocation.speed or default or scenario.duration / DEMO_SECONDS


def scenario_clock(started: float, speed: float) -> Callable[[], float]:
    """The scenario's own time, running smoothly between its steps: object timestamps are
    `started + simulated seconds`, and simulated seconds run `speed` times faster than real ones."""
    return lambda: started + (time.time() - started) * speed


@dataclass(frozen=True)
class DemoCluster:
    """What the demo serves: a private kubeconfig, its contexts (one, or a fleet's), the speed and
    the scenario's clock (the demo's "now", so ages and durations read in scenario time)."""

    kubeconfig: Path
    contexts: tuple[str, ...]
    speed: float
    clock: Callable[[], float]


async def start_demo_cluster(invocation: Invocation, stack: AsyncExitStack) -> DemoCluster:
    """Start the emulator with the scenario (or a fleet of them, `invocation.fleet`)."""
    started = time.time()
    directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="sovwatch-demo-"))
    path = Path(directory) / "kubeconfig"
    if invocation.fleet:
        speed, members = await _serve_fleet(invocation, stack, started=started, default_speed=None)
        from sovsim import kubeconfigs

        kubeconfigs.write_private(path, fleet_kubeconfig(members))
        contexts = tuple(sovereign.context for sovereign, _ in members)
    else:
        emulator, _, speed = await _serve_one(
            invocation, stack, started=started, default_speed=None
        )
        emulator.write_kubeconfig(path, context=DEMO_CONTEXT)
        contexts = (DEMO_CONTEXT,)
    return DemoCluster(path, contexts, speed, scenario_clock(started, speed))


def watch_settings(speed: float):
    """Engine timings for a cluster running `speed` times faster than real time: a missing Flux
    API group is re-checked as often in scenario time as it would be against a real cluster."""
    from sovwatch.settings import WatchSettings

    return WatchSettings(absent_recheck=max(0.1, WatchSettings().absent_recheck / speed))


# -- a fleet -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedSovereign:
    """One member of a simulated fleet."""

    context: str
    scenario: str
    seed: int
    head_start: float
    """Fraction of its scenario already played when it starts."""
    flaky: bool = False
    """Its API server goes away for `FLAKY_DOWN` seconds every `FLAKY_UP`."""


def fleet_plan(size: int, *, seed: int) -> tuple[SimulatedSovereign, ...]:
    """`size` Sovereigns: mostly `bootstrap-kit` at different stages, one in four `stuck`, and
    (from three on) the last one flaky; seeds `seed`, `seed + 1`, ... so each plays differently."""
    draw = random.Random(seed)
    plan = []
    for index in range(size):
        site = FLEET_SITES[index % len(FLEET_SITES)]
        lap = index // len(FLEET_SITES)
        plan.append(
            SimulatedSovereign(
                context=f"sov-{site}" + (f"-{lap + 1}" if lap else ""),
                scenario="stuck" if index % STUCK_EVERY == 2 else DEFAULT_SCENARIO,
                seed=seed + index,
                head_start=round(draw.uniform(0, HEAD_START), 2),
                flaky=size >= 3 and index == size - 1,
            )
        )
    return tuple(plan)


async def _serve_fleet(
    invocation: Invocation, stack: AsyncExitStack, *, started: float, default_speed: float | None
) -> tuple[float, list[tuple[SimulatedSovereign, Emulator]]]:
    """Start one emulator per member of `fleet_plan(invocation.fleet)`, all at one speed (so one
    clock tells every member's time); ports `--port`, `--port + 1`, ... when given."""
    scenarios = {name: _load(name) for name in ("stuck", DEFAULT_SCENARIO)}
    speed = _speed(invocation, scenarios[DEFAULT_SCENARIO], default_speed)
    members = []
    for index, sovereign in enumerate(fleet_plan(invocation.fleet, seed=invocation.seed)):
        scenario = scenarios[sovereign.scenario]
        emulator = await _serve(
            scenario,
            stack,
            seed=sovereign.seed,
            speed=speed,
            tls=invocation.tls,
            port=invocation.port + index if invocation.port else 0,
            started=started,
            head_start=sovereign.head_start * scenario.duration,
            watch_list=invocation.watch_list,
            serialization_cache=invocation.serialization_cache,
        )
        if sovereign.flaky:
            _background(stack, flap(emulator), name=f"sovwatch-flaky-{sovereign.context}")
        members.append((sovereign, emulator))
    return speed, members


async def flap(emulator: Emulator, *, up: float = FLAKY_UP, down: float = FLAKY_DOWN) -> None:
    """Take the API server away after `up` seconds and bring it back on the same port `down`
    seconds later, for ever."""
    while True:
        await asyncio.sleep(up)
        await emulator.stop()
        await asyncio.sleep(down)
        with contextlib.suppress(OSError):  # the port was taken meanwhile: try again next time
            await emulator.start()


def fleet_kubeconfig(members: list[tuple[SimulatedSovereign, Emulator]]) -> dict:
    """One kubeconfig with a context per member (the first is current)."""
    from sovsim import kubeconfigs

    return kubeconfigs.merged(
        [emulator.kubeconfig(context=sovereign.context) for sovereign, emulator in members]
    )


# -- sovwatch sim ----------------------------------------------------------------------------------


def _served_as(invocation: Invocation) -> str:
    """What the serving line adds for `--no-watch-list` and `--no-serialization-cache`."""
    return "".join(
        (
            "" if invocation.watch_list else ", no streamed lists (422, as an older server)",
            "" if invocation.serialization_cache else ", no serialization cache",
        )
    )


async def _sim(invocation: Invocation) -> None:
    async with AsyncExitStack() as stack:
        started = time.time()
        if invocation.fleet:
            speed, members = await _serve_fleet(
                invocation, stack, started=started, default_speed=1.0
            )
            document = fleet_kubeconfig(members)
            serving = [
                f"serving {sovereign.context} {emulator.url} (scenario {sovereign.scenario}, "
                f"speed {speed:g}x{', away now and then' if sovereign.flaky else ''}"
                f"{_served_as(invocation)})"
                for sovereign, emulator in members
            ]
            try_context = f" --context {members[0][0].context}"
        else:
            emulator, scenario, speed = await _serve_one(
                invocation, stack, started=started, default_speed=1.0
            )
            document = emulator.kubeconfig(context=SIM_CONTEXT)
            serving = [
                f"serving {emulator.url} (scenario {scenario.name}, speed {speed:g}x"
                f"{_served_as(invocation)})"
            ]
            try_context = ""
        path = invocation.write_kubeconfig
        if path is None:
            from sovsim import kubeconfigs

            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="sovwatch-sim-"))
            path = kubeconfigs.write_private(Path(directory) / "kubeconfig", document)
        else:  # a path the user named: never written through a symbolic link, one clear line
            fd = open_private(path, append=False, what="the kubeconfig", flag="--write-kubeconfig")
            with os.fdopen(fd, "w") as file:
                yaml.safe_dump(document, file, sort_keys=False)
        for line in serving:  # once the kubeconfig is there: a reader of the first line may use it
            print(line, flush=True)
        print(f"kubeconfig {path}", flush=True)
        print(
            f"try: kubectl --kubeconfig {path}{try_context} get hr -A -w",
            file=sys.stderr,
            flush=True,
        )
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()


def run_sim(invocation: Invocation) -> int:
    """`sovwatch sim`: serve until Ctrl-C (or SIGTERM), which is its normal end (exit 0)."""
    try:
        asyncio.run(_sim(invocation))
    except (StartupError, OutputFileError) as err:
        print(f"sovwatch: {err}", file=sys.stderr, flush=True)
        return ExitCode.USAGE
    except KeyboardInterrupt:  # stopped while starting: as normal an end as once serving
        pass
    return ExitCode.READY
