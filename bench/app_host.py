"""The real sovwatch app under `App.run_test` (headless: no terminal), connected to a cluster the
way `sovwatch --kubeconfig K` connects: the live watch path, the incremental model, the app.

    python -m bench.app_host --kubeconfig K [--size 160x50]

It runs until SIGTERM. The ingest and memory benchmarks start it as a child so its CPU and peak
RSS are its own; the latency benchmark uses `open_app` in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from sovwatch.invocation import Invocation
from sovwatch.pipeline import interactive
from sovwatch.session import live_session, pipeline_of
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings

DEFAULT_SIZE = (160, 50)


@asynccontextmanager
async def open_app(
    kubeconfig: Path, *, size: tuple[int, int] = DEFAULT_SIZE, settings: Any = None
) -> AsyncIterator[tuple[SovwatchApp, Any]]:
    """(app, pilot) of the app watching the cluster in `kubeconfig`, as `run_tui` builds it."""
    invocation = Invocation(command="watch", output="tui", kubeconfig=str(kubeconfig))
    session = await live_session(invocation)
    settings = settings or TuiSettings(ascii=False)
    app = SovwatchApp(
        session.source,
        pipeline=pipeline_of(invocation, session, interactive(settings.refresh_hz)),
        settings=settings,
    )
    async with AsyncExitStack() as stack:
        pilot = await stack.enter_async_context(app.run_test(size=size))
        yield app, pilot


async def _serve(kubeconfig: Path, size: tuple[int, int]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_app(kubeconfig, size=size):
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kubeconfig", type=Path, required=True)
    parser.add_argument("--size", default="160x50", help="COLUMNSxROWS")
    args = parser.parse_args()
    columns, rows = (int(n) for n in args.size.split("x"))
    asyncio.run(_serve(args.kubeconfig, (columns, rows)))


if __name__ == "__main__":
    main()
