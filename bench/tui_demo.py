"""Run the TUI against the in-process emulator playing a scenario, from a chosen point.

    python bench/tui_demo.py [--scenario stuck] [--speed 60] [--at 600] [--ascii] [--seconds N]

Like `sovwatch demo`, plus what a measurement needs: the scenario played instantly to `--at`
simulated seconds (then in real time x `--speed`, so a tiny speed freezes it there) and an exit
after `--seconds`. The app watches the emulator through the real watch engine over HTTP. Used by
bench/tui_bandwidth.py; tests run `python -m sovwatch demo` instead. Exits with the app's return
code.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sovsim.scenario import ScenarioRunner, load_scenario  # noqa: E402
from sovsim.server import Emulator  # noqa: E402
from sovwatch.kube import api, config  # noqa: E402
from sovwatch.settings import WatchSettings  # noqa: E402
from sovwatch.sources import live  # noqa: E402
from sovwatch.views.tui.app import SovwatchApp  # noqa: E402
from sovwatch.views.tui.options import TuiSettings  # noqa: E402


async def main(args: argparse.Namespace) -> int:
    settings = WatchSettings()
    async with Emulator() as emu:
        scenario = load_scenario(args.scenario)
        runner = ScenarioRunner(
            emu.store, scenario, seed=0, speed=args.speed, start=time.time() - args.at
        )
        runner.run_until(args.at)
        play = asyncio.create_task(runner.run())
        with tempfile.TemporaryDirectory() as tmp:
            kubeconfig = emu.write_kubeconfig(Path(tmp) / "kubeconfig")
            connection = await config.load_connection((kubeconfig,), settings=settings)
            client = await api.connect(connection, settings=settings)
            app = SovwatchApp(
                lambda: live.stream(client, settings=settings),
                cluster={"context": f"demo-{args.scenario}", "server": emu.url},
                settings=TuiSettings(ascii=True if args.ascii else None),
            )
            if args.seconds:
                asyncio.get_running_loop().call_later(args.seconds, app.exit)
            await app.run_async()
        play.cancel()
    return int(app.return_code or 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="stuck")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--at", type=float, default=0.0)
    parser.add_argument("--ascii", action="store_true")
    parser.add_argument("--seconds", type=float, default=0.0)
    raise SystemExit(asyncio.run(main(parser.parse_args())))
