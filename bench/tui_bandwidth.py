"""What the TUI costs over SSH and in CPU: bytes written to a pty per minute, and CPU per 1,000
watch events through the whole UI path (store -> model -> widgets).

    python bench/tui_bandwidth.py [--idle 20] [--busy 30] [--events 3000]

1. idle: bench/tui_demo.py in a 120x40 pty on the `stuck` scenario frozen at minute 10 (speed
   1e-6): only the header's elapsed clock should move.
2. busy: the same scenario played from the start at 60x speed.
   Both count bytes after a 4 s warm-up and scale to a minute.
3. CPU: the app headless at 120x40, fed the scenario's objects and then `--events` MODIFIED events
   (pods and HelmReleases of the scenario, each with a new resourceVersion); process CPU time from
   the first item to the flush that shows the last one, per 1,000 events.
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


async def cpu_per_thousand(events: int) -> tuple[float, int]:
    from sovwatch.sources.events import EventType, WatchEvent
    from sovwatch.views.tui.app import SovwatchApp
    from sovwatch.views.tui.options import TuiSettings
    from tests.views.tui.conftest import AT, START, items_of, played

    base = items_of(played(AT), START + AT)
    churn = [
        i for i in base if isinstance(i, WatchEvent) and i.obj.get("kind") in ("Pod", "HelmRelease")
    ]
    modified = []
    for n in range(events):
        item = churn[n % len(churn)]
        obj = copy.deepcopy(item.obj)
        obj["metadata"]["resourceVersion"] = str(100_000 + n)
        modified.append(WatchEvent(item.resource, EventType.MODIFIED, obj, START + AT))
    done = asyncio.Event()

    async def source():
        for item in base:
            yield item
        await asyncio.sleep(0.5)
        marks["start"] = time.process_time()
        for n, item in enumerate(modified):
            yield item
            if n % 50 == 0:
                await asyncio.sleep(0)  # a live stream arrives in chunks, not all in one tick
        done.set()

    marks: dict[str, float] = {}
    app = SovwatchApp(source, cluster={"context": "bench", "server": "-"}, settings=TuiSettings())
    async with app.run_test(size=(120, 40)) as pilot:
        await done.wait()
        revision = app.store.revision
        while app._shown_revision < revision:
            await pilot.pause(0.05)
        used = time.process_time() - marks["start"]
        flushes = app.flushes
    return used / events * 1000, flushes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument("--busy", type=float, default=30.0)
    parser.add_argument("--events", type=int, default=3000)
    args = parser.parse_args()
    idle, secs = pty_bytes(["--at", "600", "--speed", "0.000001"], args.idle)
    print(f"idle (stuck scenario frozen, 120x40): {idle / secs * 60:,.0f} bytes/minute")
    busy, secs = pty_bytes(["--at", "0", "--speed", "60"], args.busy)
    print(f"busy (stuck scenario at 60x, 120x40): {busy / secs * 60:,.0f} bytes/minute")
    cpu, flushes = asyncio.run(cpu_per_thousand(args.events))
    print(f"CPU per 1,000 watch events through store+model+UI: {cpu:.2f} s ({flushes} flushes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
