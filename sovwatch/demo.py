"""The built-in simulated Sovereign: `sovwatch demo` watches it, `sovwatch sim` serves it.

The demo is not a special mode of the views: it starts the API emulator on 127.0.0.1 with a random
port and a random token, writes a kubeconfig for it into a private temporary directory, plays a
scenario into it, and then connects through the real watch path (kubeconfig loading, HTTP, the
reflectors), exactly as against a real cluster. So what the demo shows is what sovwatch does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path

import yaml

from sovwatch.exitcodes import ExitCode
from sovwatch.invocation import Invocation, StartupError
from sovwatch.outfiles import OutputFileError, open_private

DEFAULT_SCENARIO = "bootstrap-kit"
DEMO_SECONDS = 120.0
"""How long the default demo takes: the scenario's story squeezed into about two minutes."""
DEMO_CONTEXT = "sovwatch-demo"


def _load(name: str | None):
    from sovsim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(name or DEFAULT_SCENARIO)
    except ScenarioError as err:
        raise StartupError(str(err)) from err


async def _serve(
    invocation: Invocation,
    stack: AsyncExitStack,
    *,
    default_speed: float | None,
    started: float | None = None,
):
    """Start the emulator and the scenario; both stop when `stack` closes."""
    from sovsim.scenario import ScenarioRunner
    from sovsim.server import Emulator

    scenario = _load(invocation.scenario)
    speed = invocation.speed or default_speed or scenario.duration / DEMO_SECONDS
    try:
        emulator = Emulator(tls=invocation.tls, port=invocation.port)
    except ModuleNotFoundError as err:  # TLS needs the `tls` extra
        raise StartupError(
            f"serving HTTPS needs {err.name}: pip install 'sovwatch[tls]', or run with --no-tls"
        ) from err
    try:
        await stack.enter_async_context(emulator)
    except OSError as err:
        raise StartupError(f"cannot listen on 127.0.0.1:{invocation.port}: {err.strerror}") from err
    runner = ScenarioRunner(
        emulator.store, scenario, seed=invocation.seed, speed=speed, start=started or time.time()
    )
    task = asyncio.create_task(runner.run(), name="sovwatch-scenario")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)
    return emulator, scenario, speed


def scenario_clock(started: float, speed: float) -> Callable[[], float]:
    """The scenario's own time, running smoothly between its steps: object timestamps are
    `started + simulated seconds`, and simulated seconds run `speed` times faster than real ones."""
    return lambda: started + (time.time() - started) * speed


async def start_demo_cluster(
    invocation: Invocation, stack: AsyncExitStack
) -> tuple[Path, float, Callable[[], float]]:
    """Start the emulator with the scenario; returns a private kubeconfig for it, the speed and
    the scenario's clock (the demo's "now", so ages and durations read in scenario time)."""
    started = time.time()
    emulator, _, speed = await _serve(invocation, stack, default_speed=None, started=started)
    directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="sovwatch-demo-"))
    path = emulator.write_kubeconfig(Path(directory) / "kubeconfig", context=DEMO_CONTEXT)
    return path, speed, scenario_clock(started, speed)


def watch_settings(speed: float):
    """Engine timings for a cluster running `speed` times faster than real time: a missing Flux
    API group is re-checked as often in scenario time as it would be against a real cluster."""
    from sovwatch.settings import WatchSettings

    return WatchSettings(absent_recheck=max(0.1, WatchSettings().absent_recheck / speed))


async def _sim(invocation: Invocation) -> None:
    async with AsyncExitStack() as stack:
        emulator, scenario, speed = await _serve(invocation, stack, default_speed=1.0)
        path = invocation.write_kubeconfig
        if path is None:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="sovwatch-sim-"))
            path = emulator.write_kubeconfig(Path(directory) / "kubeconfig", context="sovwatch-sim")
        else:  # a path the user named: never written through a symbolic link, one clear line
            fd = open_private(path, append=False, what="the kubeconfig", flag="--write-kubeconfig")
            with os.fdopen(fd, "w") as file:
                yaml.safe_dump(emulator.kubeconfig(context="sovwatch-sim"), file, sort_keys=False)
        print(f"serving {emulator.url} (scenario {scenario.name}, speed {speed:g}x)", flush=True)
        print(f"kubeconfig {path}", flush=True)
        print(f"try: kubectl --kubeconfig {path} get hr -A -w", file=sys.stderr, flush=True)
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
