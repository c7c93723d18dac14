"""Shared by the trust suites: servers that misbehave, and `sovwatch` running in the background.

Everything listens on 127.0.0.1 only. Subprocesses are awaited asynchronously because the emulator
they talk to runs on the test's own event loop.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from tests.cli.cli_helpers import spawn


def free_port() -> int:
    """A loopback port nobody listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>\n"
    "<body><h1>Welcome to nginx!</h1></body></html>\n"
)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    """A web server on 127.0.0.1 answering every GET with `handler`; yields its URL."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def html_server():
    """A web server that is not Kubernetes: every path answers 200 with an HTML page."""

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=HTML_PAGE, content_type="text/html")

    return serving(page)


DEEP_JSON = b"[" * 200_000
"""JSON nested far deeper than any decoder's recursion limit."""


def deep_json_server():
    """Every path answers 200 with DEEP_JSON (a broken or hostile server)."""

    async def deep(_: web.Request) -> web.Response:
        return web.Response(body=DEEP_JSON, content_type="application/json")

    return serving(deep)


class EndlessAnswer:
    """A handler streaming `size` bytes of a JSON answer that never ends soon (chunked, no
    Content-Length, so the client cannot refuse it up front); `sent` counts what went out."""

    CHUNK = b"a" * (1 << 20)

    def __init__(self, size: int) -> None:
        self.size = size
        self.sent = 0

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        head = b'{"kind":"APIVersions","versions":["'
        await response.write(head)
        self.sent += len(head)
        while self.sent < self.size:
            try:
                await response.write(self.CHUNK)
            except (ConnectionError, RuntimeError):
                break  # the client hung up: it stopped reading
            self.sent += len(self.CHUNK)
        return response


@asynccontextmanager
async def silent_server(port: int = 0) -> AsyncIterator[str]:
    """Accepts connections, reads what it is sent, and never answers (a black-holed backend), on
    `port` (default: any free one)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(hold, "127.0.0.1", port)
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
        return cls(await spawn(*args, **extra_env))

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
