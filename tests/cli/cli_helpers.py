"""Running `python -m sovwatch` as a subprocess, bounded, without blocking the test's event loop.

The emulator runs in the test process, so the subprocess must be awaited asynchronously. Shared by
the CLI tests and the trust suites.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def env(**extra: str) -> dict[str, str]:
    """The test's environment minus anything that would pick another cluster or colour setting."""
    base = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    return {
        **base,
        "PYTHONPATH": str(ROOT),
        "TZ": "UTC",
        "HOME": extra.pop("HOME", base.get("HOME", "/")),
        **extra,
    }


async def spawn(*args: str, **extra_env: str) -> asyncio.subprocess.Process:
    """Start `python -m sovwatch ARGS` with piped stdout/stderr and no stdin."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovwatch", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, env=env(**extra_env), cwd=ROOT,
    )  # fmt: skip


async def sovwatch(*args: str, timeout: float = 40.0, **extra_env: str) -> Result:  # noqa: ASYNC109
    """Run sovwatch to completion (killing it after `timeout` seconds, which fails the test)."""
    proc = await spawn(*args, **extra_env)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(
            f"sovwatch {' '.join(args)} did not end within {timeout}s\nstdout:\n{out.decode()[-3000:]}"
            f"\nstderr:\n{err.decode()[-3000:]}"
        ) from None
    return Result(args, proc.returncode, out.decode(), err.decode())
