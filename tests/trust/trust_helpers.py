"""Shared by the trust suites: `sovwatch` as a bounded subprocess, and servers that misbehave.

Everything listens on 127.0.0.1 only. Subprocesses are awaited asynchronously because the emulator
they talk to runs on the test's own event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

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
    return {**base, "PYTHONPATH": str(ROOT), "TZ": "UTC", **extra}


async def sovwatch(*args: str, timeout: float = 40.0, **extra_env: str) -> Result:  # noqa: ASYNC109
    """Run `python -m sovwatch ARGS` to its end; killed after `timeout` s (an AssertionError)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovwatch", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, env=env(**extra_env), cwd=ROOT,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(
            f"sovwatch {' '.join(args)} did not end within {timeout}s\n"
            f"stdout:\n{out.decode()[-2000:]}\nstderr:\n{err.decode()[-2000:]}"
        ) from None
    return Result(args, proc.returncode, out.decode(), err.decode())


def free_port() -> int:
    """A loopback port nobody listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n"
    "<body><h1>Welcome to nginx!</h1></body></html>\n"
)


@asynccontextmanager
async def html_server() -> AsyncIterator[str]:
    """A web server that is not Kubernetes: every path answers 200 with an HTML page."""

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=HTML_PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """Accepts connections, reads what it is sent, and never answers (a black-holed backend)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


class Running:
    """`sovwatch` running in the background; read its stdout line by line, then `stop()` it."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    @classmethod
    async def start(cls, *args: str, **extra_env: str) -> Running:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sovwatch", *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL, env=env(**extra_env), cwd=ROOT,
        )  # fmt: skip
        return cls(proc)

    async def until(self, predicate, *, timeout: float = 30.0) -> str:  # noqa: ASYNC109
        """Read lines until one satisfies `predicate`; returns it (AssertionError on timeout/EOF)."""
        assert self.proc.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                while line := (await self.proc.stdout.readline()).decode():
                    self.lines.append(line)
                    if predicate(line):
                        return line
        except TimeoutError:
            pass
        raise AssertionError("expected line never came; got:\n" + "".join(self.lines[-20:]))

    async def stop(self) -> tuple[int, str, str]:
        """SIGTERM (as an SSH drop sends), then (exit code, rest of stdout, stderr)."""
        if self.proc.returncode is None:
            self.proc.terminate()
        try:
            out, err = await asyncio.wait_for(self.proc.communicate(), 20)
        except TimeoutError:
            self.proc.kill()
            out, err = await self.proc.communicate()
        return self.proc.returncode, "".join(self.lines) + out.decode(), err.decode()
