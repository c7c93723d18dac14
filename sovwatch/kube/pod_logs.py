"""Reading a container's log: `GET /api/v1/namespaces/NS/pods/NAME/log`, whole or followed.

    text = await read_log(client, LogRequest("loki", "loki-0", "loki", previous=True, tail_lines=40))
    async with follow_log(client, LogRequest("loki", "loki-0", "loki", tail_lines=100)) as lines:
        async for line in lines:      # until the container's run ends or the block is left
            ...

Both go over the client's one aiohttp session with its credentials, and raise the
`sovwatch.kube.errors` exceptions: `APIForbiddenError` when RBAC denies `pods/log`, `APIError`
with status 400 when the container is not there, has no previous run or has not started.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import quote

from sovwatch.kube.api import ApiClient


@dataclass(frozen=True, slots=True)
class LogRequest:
    """Which log and how much of it (the apiserver's PodLogOptions)."""

    namespace: str
    pod: str
    container: str
    previous: bool = False
    """The run before the current one (the one that crashed)."""
    tail_lines: int | None = None
    limit_bytes: int | None = None
    since_seconds: int | None = None
    timestamps: bool = False

    @property
    def path(self) -> str:
        return f"/api/v1/namespaces/{quote(self.namespace)}/pods/{quote(self.pod)}/log"

    def params(self, *, follow: bool = False) -> dict[str, str]:
        params = {"container": self.container}
        for key, value in (
            ("previous", self.previous),
            ("timestamps", self.timestamps),
            ("follow", follow),
        ):
            if value:
                params[key] = "true"
        for key, number in (
            ("tailLines", self.tail_lines),
            ("limitBytes", self.limit_bytes),
            ("sinceSeconds", self.since_seconds),
        ):
            if number is not None:
                params[key] = str(number)
        return params


async def read_log(client: ApiClient, request: LogRequest, *, seconds: float | None = None) -> str:
    """The log as it is now (UTF-8, undecodable bytes replaced), never more than `limit_bytes`."""
    return await client.get_text(
        request.path, request.params(), seconds=seconds, limit=request.limit_bytes
    )


@asynccontextmanager
async def follow_log(client: ApiClient, request: LogRequest) -> AsyncIterator[AsyncIterator[str]]:
    """The log's lines, then every new one as the container writes it (`follow=true`), until the
    run ends; leaving the block closes the connection. A quiet container is not a dead stream:
    no inactivity limit applies."""
    async with client.open_stream(
        request.path, request.params(follow=True), inactivity=math.inf
    ) as stream:

        async def lines() -> AsyncIterator[str]:
            async for line in stream:
                yield line.decode("utf-8", errors="replace")

        yield lines()
