"""The soak's figures: what the sovwatch process reports about itself, and how they are judged.

The sovwatch process prints `soak-metrics {...}` on stderr once a second: its asyncio tasks, RSS,
open fds and sockets (counted from /proc/self/fd). The driver keeps them all and takes two
baselines from them:

- the *quiet* baseline, the last seconds before the first fault: every stream live, nothing
  retrying. Tasks, fds and sockets at the end (after convergence, again quiet) are compared with
  it: a reconnect that leaked a task or a connection per fault would show as hundreds here;
- the *populated* baseline, some seconds after the scenario finished populating the cluster (and
  so the Events window is full): RSS growth is measured from there, since before it sovwatch's
  memory grows with the cluster, as it must.

The driver's own event loop serves the emulator, so it also watches its own lag: a driver that
blocks for seconds makes every watch look dead, which would be the soak's fault, not sovwatch's.
sovwatch reports its own loop lag (`lag`, seconds late per report) the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

METRICS_PREFIX = "soak-metrics "
COUNTED = ("tasks", "rss_kb", "fds", "sockets")


def own_figures() -> dict:
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


async def report_figures(interval: float) -> None:
    """Print this process's figures on stderr every `interval` seconds, for ever, with `lag`:
    how late this report woke up (the longest the event loop was held since the last one)."""
    loop = asyncio.get_running_loop()
    lag = 0.0
    while True:
        figures = {**own_figures(), "lag": round(lag, 3)}
        print(METRICS_PREFIX + json.dumps(figures), file=sys.stderr, flush=True)
        before = loop.time()
        await asyncio.sleep(interval)
        lag = loop.time() - before - interval


def steady(figures: list[dict]) -> dict:
    """The median of each figure over the last few reports (one report can catch a blip)."""
    tail = figures[-5:] or [{}]
    return {k: statistics.median(f.get(k, 0) for f in tail) for k in COUNTED}


def rss_growth(figures: list[dict], start: int) -> tuple[float, float, float]:
    """(RSS at the start, at the end, growth) from report `start` on: the median of the first
    and of the last tenth (at least 5 reports each), so a transient page buffer does not count."""
    after = [f["rss_kb"] for f in figures[start:]]
    if len(after) < 10:
        return 0.0, 0.0, 0.0
    span = max(5, len(after) // 10)
    first, last = statistics.median(after[:span]), statistics.median(after[-span:])
    return first, last, last / first - 1


async def freeze_survivors(interval: float = 1.0) -> None:
    """Move every object alive now out of the cyclic garbage collector's reach, every `interval`
    seconds. The driver holds the emulator's millions of long-lived dicts (objects and history):
    measured while `large` populates, each full collection scans them all for nothing and holds
    the loop up to 2.6 s, as long as sovwatch's inactivity timeout. Only the driver does this."""
    while True:
        gc.freeze()
        await asyncio.sleep(interval)


class LoopLag:
    """Measures how late this event loop wakes up; logs any lag over `report_over` seconds."""

    def __init__(self, log, *, report_over: float = 1.0, interval: float = 0.25) -> None:
        self.log, self.report_over, self.interval = log, report_over, interval
        self.worst = 0.0
        self.task: asyncio.Task | None = None

    def start(self) -> LoopLag:
        self.task = asyncio.create_task(self._measure())
        return self

    async def _measure(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            lag = loop.time() - before - self.interval
            self.worst = max(self.worst, lag)
            if lag > self.report_over:
                self.log(f"driver loop lagged {lag:.1f} s (the emulator was not serving)")
