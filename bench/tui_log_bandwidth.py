"""What the TUI's log view costs over SSH: bytes written to an 80x24 pty while it follows a log.

    python bench/tui_log_bandwidth.py [--seconds 20]

`sovwatch demo` plays a one-release scenario whose container writes a log line every 50 ms of
scenario time (at `--speed 5`); once its pod runs, `l` opens the log view, which follows the
container (`follow=true`). Bytes are counted per second for `--seconds`, then for as long again
after `esc` (the main screen, the stream closed). TERM=xterm. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = (
    'level=info ts={time} caller=server.go:42 msg="handled request" method=GET '
    "path=/api/v1/items/%d status=200 duration_ms=%d"
)
WARMUP = 25.0
"""Seconds until the pod runs (flux objects, then the pod, at `--speed 5`)."""


def scenario(lines: int) -> str:
    logs = json.dumps([LINE % (i, i % 17) for i in range(lines)])
    return f"""name: chatty
duration: 30m
cluster: {{fluxCrdsAt: 0s, secrets: [flux-system/ghcr-pull]}}
defaults: {{repository: {{secretRef: ghcr-pull}}}}
releases:
  - name: bp-chatty
    targetNamespace: chatty
    releaseName: chatty
    workloads:
      - kind: Deployment
        name: chatty
        containers:
          - name: app
            readyAfter: 1s
            logs: {{every: 0.05s, lines: {logs}}}
"""


def drain(master: int, seconds: float) -> int:
    total, end = 0, time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if select.select([master], [], [], left)[0]:
            try:
                total += len(os.read(master, 65536))
            except OSError:
                break
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chatty.yaml"
        path.write_text(scenario(6000))
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        proc = subprocess.Popen(
            [sys.executable, "-m", "sovwatch", "demo", "--scenario", str(path), "--speed", "5"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"},
            start_new_session=True,
        )
        os.close(slave)
        try:
            drain(master, WARMUP)
            os.write(master, b"l")
            drain(master, 3)
            following = [drain(master, 1) for _ in range(args.seconds)]
            os.write(master, b"\x1b")
            drain(master, 3)
            after = drain(master, args.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            os.close(master)
    print(f"log view following, bytes per second: {following}")
    print(f"  {sum(following) / args.seconds:.0f} B/s on average at 80x24")
    print(f"main screen after esc: {after / args.seconds:.0f} B/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
