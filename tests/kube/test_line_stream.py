"""`ApiClient.open_stream` lines over real HTTP, however the bytes are cut: a line split across
reads is joined, blank lines are skipped, an unterminated last line is a line, and a line past
`max_line_bytes` fails the stream after the lines before it were handed out."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web

from sovwatch.kube import api, config, errors
from tests.kube.kube_helpers import kubeconfig_doc
from tests.sources.engine_harness import WAIT
from tests.timings import FAST


@pytest.fixture
async def stream_server() -> AsyncIterator[tuple[str, dict]]:
    """A server whose /stream answers `plan["parts"]` one write at a time; before each part after
    the first it waits for `plan["go"]` (set by the test once it has read what came before)."""
    plan: dict = {"parts": [], "go": asyncio.Event()}

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for i, part in enumerate(plan["parts"]):
            if i:
                await plan["go"].wait()
                plan["go"].clear()
            await response.write(part)
        await response.write_eof()
        return response

    async def versions(request: web.Request) -> web.Response:  # what the client checks first
        return web.json_response({"kind": "APIVersions", "versions": ["v1"]})

    app = web.Application()
    app.router.add_get("/api", versions)
    app.router.add_get("/stream", stream)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", plan
    finally:
        await runner.cleanup()


async def _lines(
    server: str, tmp_path: Path, write: Callable, *, after_first: Callable[[], None], **settings
) -> list[bytes | Exception]:
    kubeconfig = write(kubeconfig_doc(server, {"token": "t0ken"}))
    watch_settings = dataclasses.replace(FAST, **settings)
    connection = await config.load_connection((kubeconfig,), settings=watch_settings)
    client = await api.connect(connection, settings=watch_settings)
    got: list[bytes | Exception] = []
    try:
        async with client.open_stream("/stream") as lines:
            async with asyncio.timeout(WAIT):
                try:
                    async for line in lines:
                        got.append(line)
                        after_first()
                except errors.TransportError as e:
                    got.append(e)
    finally:
        await client.close()
    return got


async def test_a_line_cut_between_reads_is_joined(stream_server, tmp_path, write):
    server, plan = stream_server
    plan["parts"] = [b'{"a":1}\n{"b":', b'2}\n\n  \r\n{"c":3}']
    got = await _lines(server, tmp_path, write, after_first=plan["go"].set)
    assert got == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


async def test_a_line_past_the_limit_fails_after_the_lines_before_it(
    stream_server, tmp_path, write
):
    server, plan = stream_server
    plan["parts"] = [b"first\n" + b"x" * 60, b"x" * 60, b"x" * 60 + b"\nnever\n"]
    got = await _lines(server, tmp_path, write, after_first=plan["go"].set, max_line_bytes=100)
    assert got[0] == b"first"
    assert isinstance(got[1], errors.TransportError)
    assert "longer than 100 bytes" in str(got[1])
    assert len(got) == 2
