"""A reverse proxy in front of the emulator that answers chosen requests itself.

The emulator's fault hooks cover what one healthy apiserver does under stress. A few answers come
from elsewhere on the path: an HA apiserver whose watch cache lags (a watch answered 410 at once, a
BOOKMARK from the past), a load balancer (Retry-After as an HTTP-date, a 503), etcd trouble (an
in-stream ERROR other than 410), a moment of aggregation/CRD churn (a 404 although the CRD exists).
`FaultFront.answer_next` makes the next matching request get such an answer; everything else is
forwarded unchanged, byte for byte and streamed, so the emulator stays the one source of truth.
`list_delay` holds every list request back before forwarding it (a slow link or a loaded apiserver);
`lists_open`, while clear, holds every list of a resource (not discovery) until it is set.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from sovsim.server import Emulator
from sovsim.status import query_bool


@dataclass(frozen=True)
class Seen:
    """One request as the front saw it."""

    time: float
    path: str
    query: dict[str, str]
    watch: bool
    status: int
    injected: bool


@dataclass
class _Canned:
    plural: str
    watch: bool
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class FaultFront:
    """`async with FaultFront(emulator) as front:`; point the client at `front.url`."""

    def __init__(self, upstream: Emulator) -> None:
        self.upstream = upstream
        self.seen: list[Seen] = []
        self._canned: list[_Canned] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""
        self.list_delay = 0.0
        """Seconds each list (not watch) request waits before it is forwarded."""
        self.lists_open = asyncio.Event()
        """Clear it to hold every list of a resource (discovery passes) until it is set again."""
        self.lists_open.set()

    async def __aenter__(self) -> FaultFront:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.2
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()  # ends the forwarded watches first
        if self._runner is not None:
            await self._runner.cleanup()

    def answer_next(
        self,
        plural: str,
        *,
        watch: bool = True,
        status: int,
        body: dict | list[dict] | bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next list (`watch=False`) or watch of `plural` gets `status` with `body`: a Status
        object, (for a 200 watch) the watch events to send, one JSON line each, then EOF, or the
        exact bytes given."""
        if isinstance(body, bytes):
            data = body
        elif isinstance(body, list):
            data = b"".join(json.dumps(event).encode() + b"\n" for event in body)
        else:
            data = json.dumps(body).encode()
        self._canned.append(_Canned(plural, watch, status, data, dict(headers or {})))

    def requests_for(self, plural: str, *, watch: bool | None = None) -> list[Seen]:
        """Requests for `plural`: watches (`watch=True`), lists (False: pages and streamed lists,
        not a streamed list an older server refused), or all."""
        return [
            s
            for s in self.seen
            if s.path.endswith("/" + plural)
            and (watch is None or (s.watch == watch and (watch or s.status != 422)))
        ]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        # A streamed list (a watch asking for the initial events) is a list here.
        watch = query_bool(request.query.get("watch")) and "sendInitialEvents" not in request.query
        for canned in self._canned:
            if request.path.endswith("/" + canned.plural) and canned.watch == watch:
                self._canned.remove(canned)
                self._record(request, watch, canned.status, injected=True)
                return web.Response(
                    status=canned.status,
                    body=canned.body,
                    headers={"Content-Type": "application/json", **canned.headers},
                )
        return await self._forward(request, watch)

    async def _forward(self, request: web.Request, watch: bool) -> web.StreamResponse:
        assert self._session is not None
        if not watch and self.list_delay:
            await asyncio.sleep(self.list_delay)
        if not watch and _is_collection(request.path):
            await self.lists_open.wait()
        headers = {k: v for k, v in request.headers.items() if k in ("Authorization", "Accept")}
        upstream = await self._session.get(self.upstream.url + request.path_qs, headers=headers)
        try:
            self._record(request, watch, upstream.status, injected=False)
            passed = {
                k: v for k, v in upstream.headers.items() if k in ("Content-Type", "Retry-After")
            }
            response = web.StreamResponse(status=upstream.status, headers=passed)
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response
        finally:
            upstream.close()  # a client that left drops the upstream watch too

    def _record(self, request: web.Request, watch: bool, status: int, *, injected: bool) -> None:
        self.seen.append(
            Seen(time.time(), request.path, dict(request.query), watch, status, injected)
        )


def _is_collection(path: str) -> bool:
    """`/api/v1/pods`, `/apis/GROUP/VERSION/PLURAL` (and namespaced ones), not discovery."""
    parts = path.strip("/").split("/")
    return len(parts) > (2 if parts[0] == "api" else 3)
