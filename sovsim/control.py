"""`POST /_sim/faults/<name>`: the fault hooks for callers outside the emulator's process.

Soak scripts and subprocess tests (e.g. `sovwatch` under a pty) cannot reach `Emulator.faults`
directly; this endpoint calls the same methods with the JSON body as keyword arguments.
`restart` is answered first and happens just after, so the caller sees its reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from sovsim import status
from sovsim.faults import Faults

FAULT_NAMES = frozenset(
    {
        "close_watches",
        "malformed_line",
        "stall",
        "unstall",
        "compact",
        "forbid",
        "allow",
        "fail_next",
    }
)
RESTART_DELAY = 0.05
"""Seconds between answering `restart` and doing it, so the answer leaves first."""


class Control:
    def __init__(self, faults: Faults, restart: Callable[[], Awaitable[None]]) -> None:
        self._faults = faults
        self._restart = restart
        self._tasks: set[asyncio.Task] = set()

    async def handle(self, request: web.Request, name: str) -> web.Response:
        if request.method != "POST" or name not in FAULT_NAMES | {"restart"}:
            return status.not_found_path()
        try:
            body = await request.json() if request.can_read_body else {}
            if not isinstance(body, dict):
                raise TypeError("the body must be a JSON object of keyword arguments")
            if name == "restart":
                task = asyncio.get_running_loop().create_task(self._restart_soon())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                result = None
            else:
                result = getattr(self._faults, name)(**body)
        except (TypeError, ValueError, KeyError) as exc:
            return status.bad_request(f"fault {name}: {exc}")
        return status.json_response({"result": result})

    async def _restart_soon(self) -> None:
        await asyncio.sleep(RESTART_DELAY)
        await self._restart()
