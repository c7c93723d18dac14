"""What the TUI costs over SSH and in CPU: bytes written to a pty per minute, and CPU per 1,000
watch events through the whole UI path (store -> model -> widgets).

    python bench/tui_bandwidth.py [--idle 20] [--busy 30] [--events 3000] [--rate 100]

1. idle: bench/tui_demo.py in a 120x40 pty on the `stuck` scenario frozen at minute 10 (speed
   1e-6): only the header's elapsed clock should move.
2. busy: the same scenario played from the start at 60x speed.
   Both count bytes after a 4 s warm-up and scale to a minute.
3. CPU: the app headless at 120x40, fed the scenario's objects and then `--events` distinct
   MODIFIED events (`churn()`: pods flipping between ready and crash-looping, HelmReleases between
   Ready and an upgrade in progress, Warning event counts going up), once as fast as they come and
   once paced at `--rate` per second; process CPU time from the first change to the flush that
   shows the last one, per 1,000 events, with the flushes and table cells that reached the screen.
Not a test: numbers depend on the machine; nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "bench" / "tui_demo.py"
WARMUP = 4.0


def pty_bytes(args: list[str], seconds: float) -> tuple[int, float]:
    """Bytes the demo writes to a 120x40 pty after the warm-up, and over how many seconds."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, str(DEMO), *args, "--seconds", str(WARMUP + seconds + 5)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    start = time.monotonic()
    counted = 0
    try:
        while time.monotonic() - start < WARMUP + seconds:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                chunk = os.read(master, 65536)
                if time.monotonic() - start >= WARMUP:
                    counted += len(chunk)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.close(master)
    return counted, seconds


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _flip_pod(pod: dict, at: float) -> None:
    """Ready -> crashing (restart, last exit 1) -> ready again, as the kubelet reports it."""
    status = pod["status"]
    ready = not all(c.get("ready") for c in status.get("containerStatuses") or [])
    for c in status.get("containerStatuses") or []:
        c["ready"] = ready
        if ready:
            c["state"] = {"running": {"startedAt": _stamp(at)}}
        else:
            c["restartCount"] = int(c.get("restartCount") or 0) + 1
            c["lastState"] = {
                "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": _stamp(at)}
            }
            c["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off 10s restarting failed container={c['name']}",
                }
            }
    for cond in status.get("conditions") or []:
        if cond["type"] in ("Ready", "ContainersReady"):
            cond["status"] = "True" if ready else "False"
            cond["lastTransitionTime"] = _stamp(at)


def _flip_release(hr: dict, at: float) -> None:
    """Ready=True (UpgradeSucceeded) <-> Ready=Unknown (an upgrade running), as helm-controller."""
    name = hr["metadata"]["name"]
    ready = next(c for c in hr["status"]["conditions"] if c["type"] == "Ready")
    if ready["status"] == "True":
        ready.update(
            status="Unknown",
            reason="Progressing",
            message="Running 'upgrade' action with timeout of 5m0s",
        )
    else:
        ready.update(
            status="True",
            reason="UpgradeSucceeded",
            message=f"Helm upgrade succeeded for release {name}.v2 with chart {name}@1.0.1",
        )
    ready["lastTransitionTime"] = _stamp(at)


def _bump_event(event: dict, at: float) -> None:
    event["count"] = int(event.get("count") or 1) + 1
    event["lastTimestamp"] = _stamp(at)


def churn(base: list, events: int, *, start: float, step: float) -> list:
    """`events` distinct MODIFIED events over the scenario's objects, round-robin: a pod flips
    between ready and crash-looping, a HelmRelease between Ready and an upgrade in progress, a
    Warning event's count goes up. Every one changes what the model derives (nothing for the
    coalescing to drop as a duplicate)."""
    from sovwatch.sources.events import EventType, WatchEvent

    def latest(kind: str, where=lambda obj: True) -> list[tuple[str, dict]]:
        return [
            (i.resource, copy.deepcopy(i.obj))
            for i in base
            if isinstance(i, WatchEvent) and i.obj.get("kind") == kind and where(i.obj)
        ]

    groups = [
        (latest("Pod", lambda o: o["status"].get("containerStatuses")), _flip_pod),
        (latest("HelmRelease", lambda o: o.get("status", {}).get("conditions")), _flip_release),
        (latest("Event", lambda o: o.get("type") == "Warning"), _bump_event),
    ]
    out = []
    for n in range(events):
        objects, change = groups[n % len(groups)]
        resource, obj = objects[(n // len(groups)) % len(objects)]
        at = start + n * step
        change(obj, at)
        obj["metadata"]["resourceVersion"] = str(200_000 + n)
        out.append(WatchEvent(resource, EventType.MODIFIED, copy.deepcopy(obj), at))
    return out


async def cpu_per_thousand(events: int, *, rate: float | None) -> dict:
    """CPU seconds per 1,000 churn events through store, model and widgets, at `rate` events per
    second (None: as fast as they come), and what reached the screen."""
    from sovwatch.views.tui.app import SovwatchApp
    from sovwatch.views.tui.options import TuiSettings
    from sovwatch.views.tui.widgets.release_table import ReleaseTable
    from tests.views.tui.conftest import AT, START, items_of, played

    base = items_of(played(AT), START + AT)
    step = 1 / rate if rate else 0.05
    changes = churn(base, events, start=START + AT, step=step)
    now = [START + AT]
    done = asyncio.Event()
    marks: dict[str, float] = {}

    async def source():
        for item in base:
            yield item
        await asyncio.sleep(0.5)
        marks["start"] = time.process_time()
        began = time.monotonic()
        for n, item in enumerate(changes):
            now[0] = item.received_at
            yield item
            if rate:
                await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
            elif n % 50 == 0:
                await asyncio.sleep(0)  # a live stream arrives in chunks, not all in one tick
        done.set()

    app = SovwatchApp(
        source,
        cluster={"context": "bench", "server": "-"},
        settings=TuiSettings(),
        clock=lambda: now[0],
        started_at=START,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        while "start" not in marks:
            await pilot.pause(0.05)
        table = app.main.query_one(ReleaseTable)
        flushes, writes = app.flushes, table.writes
        await done.wait()
        revision = app.store.revision
        while app._shown_revision < revision:
            await pilot.pause(0.05)
        used = time.process_time() - marks["start"]
        return {
            "cpu": used / events * 1000,
            "flushes": app.flushes - flushes,
            "cells": table.writes - writes,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument("--busy", type=float, default=30.0)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0, help="paced run, events per second")
    args = parser.parse_args()
    idle, secs = pty_bytes(["--at", "600", "--speed", "0.000001"], args.idle)
    print(f"idle (stuck scenario frozen, 120x40): {idle / secs * 60:,.0f} bytes/minute")
    busy, secs = pty_bytes(["--at", "0", "--speed", "60"], args.busy)
    print(f"busy (stuck scenario at 60x, 120x40): {busy / secs * 60:,.0f} bytes/minute")
    for rate in (None, args.rate):
        got = asyncio.run(cpu_per_thousand(args.events, rate=rate))
        pace = f"{rate:g}/s" if rate else "flood"
        print(
            f"CPU per 1,000 distinct watch events ({pace}) through store+model+UI:"
            f" {got['cpu']:.2f} s ({got['flushes']} flushes, {got['cells']} table cells written)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
