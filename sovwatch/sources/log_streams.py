"""`LogStreams` over the cluster: the TUI's log view reads container logs through this, never the API.

Each `open` is one `GET …/pods/NAME/log` on the session's one aiohttp client (`follow=true` for a
followed current run); leaving the block closes that connection. Lines pass `redact` and the
untrusted-text gate (`neutralise`) before they
leave, and the API's errors become `LogUnavailable`: a 403 says the logs are not readable (RBAC),
a 400 or 404 carries the server's own message, a broken stream says why it broke.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sovwatch.kube import errors
from sovwatch.kube.api import ApiClient
from sovwatch.kube.pod_logs import LogRequest, follow_log, read_log
from sovwatch.redaction import redact
from sovwatch.sources.events import LogQuery, LogUnavailable
from sovwatch.untrusted import neutralise


class LiveLogStreams:
    """Container logs of the cluster `client` is connected to (implements `LogStreams`)."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @asynccontextmanager
    async def open(self, query: LogQuery) -> AsyncIterator[AsyncIterator[str]]:
        request = LogRequest(
            query.namespace,
            query.pod,
            query.container,
            previous=query.previous,
            tail_lines=query.tail_lines,
        )
        try:
            if query.follow and not query.previous:
                async with follow_log(self.client, request) as lines:
                    yield _redacted(lines)
            else:
                text = await read_log(self.client, request)
                yield _redacted(_each(text.splitlines()))
        except errors.APIForbiddenError as err:
            raise LogUnavailable(err.message, forbidden=True) from err
        except errors.APIError as err:
            raise LogUnavailable(err.message or str(err)) from err
        except errors.KubeError as err:
            raise LogUnavailable(f"the log stream broke: {err}") from err


async def _each(lines: list[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def _redacted(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """Each line through the one redaction and the one untrusted-text gate (as slimming does)."""
    async for line in lines:
        yield neutralise(redact(line.rstrip("\r")))
