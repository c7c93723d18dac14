"""HTTP to one API server: JSON and text requests, line streams, and the pre-flight check.

One `ApiClient` (one aiohttp session) per cluster. Every request takes its credentials from the
connection just before it goes out (so an expiring exec credential is refreshed first), reloads them
once on a 401 and retries, and turns every failure into a `sovwatch.kube.errors` exception: nothing
above this module sees aiohttp.
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import logging
import math
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from sovwatch import __version__, json_input
from sovwatch.kube import errors
from sovwatch.kube.config import Connection, redact_url
from sovwatch.kube.credentials import Material
from sovwatch.kube.watch_list import WatchListSupport
from sovwatch.settings import WatchSettings
from sovwatch.untrusted import neutralise

logger = logging.getLogger(__name__)

Params = Mapping[str, str | int]

TLS_READ_BUFFER = 16 * 1024
"""Bytes asyncio's TLS transport reads at a time and keeps allocated, resident, for every
connection: one TLS record's worth (16 KiB of data at most). asyncio's own 256 KiB cost 3.5 MiB
per cluster (14 watch connections), 40 % of what each cluster of a fleet holds (measured: 30
clusters 307 -> 185 MiB peak RSS). asyncio has no per-connection setting, so this is
process-wide (`_small_tls_buffers`)."""


def _small_tls_buffers() -> None:
    """Make asyncio's TLS transports read (and keep a buffer of) `TLS_READ_BUFFER` bytes."""
    protocol = asyncio.sslproto.SSLProtocol
    if getattr(protocol, "max_size", 0) > TLS_READ_BUFFER:
        protocol.max_size = TLS_READ_BUFFER


class ApiClient:
    """Requests to one cluster over one aiohttp session; use `async with` or `close()`."""

    def __init__(
        self,
        connection: Connection,
        *,
        settings: WatchSettings,
        connector: aiohttp.BaseConnector | None = None,
    ) -> None:
        """`connector`: a connection pool shared with other clients (`shared_connector`), which
        closing this client leaves open; default: a pool of its own."""
        self.connection = connection
        self.settings = settings
        self._connector = connector
        self.server_version: str = ""
        """`gitVersion` from /version, filled in by `connect`."""
        self.watch_list = WatchListSupport(enabled=settings.watch_list)
        """Whether this server serves streamed lists, shared by every reflector."""
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ApiClient:
        self._open_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            _small_tls_buffers()
            self._session = aiohttp.ClientSession(
                read_bufsize=self.settings.read_bufsize,
                headers={"Accept": "application/json", "User-Agent": f"sovwatch/{__version__}"},
                timeout=self._stream_timeout(),
                trust_env=False,
                connector=self._connector,
                connector_owner=self._connector is None,
            )
        return self._session

    @property
    def closed(self) -> bool:
        """True once `close()` ran (or before the first request opened the session)."""
        return self._session is None or self._session.closed

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get_json(
        self,
        path: str,
        params: Params | None = None,
        *,
        seconds: float | None = None,
        decode: Callable[[bytes], Any] = json_input.loads,
    ) -> dict:
        """GET `path` and decode the JSON object it answers (within `seconds`, default
        `settings.request_timeout`), at most `settings.max_body_bytes` of it; `decode` is
        `json_input.loads` or one with its contract."""
        timeout = aiohttp.ClientTimeout(
            total=seconds or self.settings.request_timeout, connect=self.settings.connect_timeout
        )
        async with self._response(path, params, client_timeout=timeout) as response:
            try:
                body = await _read_bounded(response, path, self.settings.max_body_bytes)
            except (aiohttp.ClientError, TimeoutError) as e:
                raise _transport_error(e, self) from e
        try:
            data = decode(body)
        except json_input.TooDeepError as e:
            raise errors.BadResponseError(
                f"GET {path}: the answer is JSON nested too deeply"
            ) from e
        except ValueError as e:
            raise errors.BadResponseError(f"GET {path}: the answer is not JSON") from e
        if not isinstance(data, dict):
            raise errors.BadResponseError(f"GET {path}: expected a JSON object")
        return data

    async def get_text(
        self,
        path: str,
        params: Params | None = None,
        *,
        seconds: float | None = None,
        limit: int | None = None,
    ) -> str:
        """GET `path` and decode the text it answers as UTF-8 (undecodable bytes replaced), within
        `seconds` (default `settings.request_timeout`): a container log. At most `limit` bytes
        (default `settings.max_body_bytes`) are read, even from a server that ignores `limitBytes`;
        the rest is dropped with the connection."""
        timeout = aiohttp.ClientTimeout(
            total=seconds or self.settings.request_timeout, connect=self.settings.connect_timeout
        )
        limit = limit or self.settings.max_body_bytes
        body = bytearray()
        async with self._response(path, params, client_timeout=timeout) as response:
            try:
                async for chunk in response.content.iter_any():
                    body += chunk
                    if len(body) >= limit:
                        del body[limit:]
                        response.close()
                        break
            except (aiohttp.ClientError, TimeoutError) as e:
                raise _transport_error(e, self) from e
        return body.decode("utf-8", errors="replace")

    @asynccontextmanager
    async def open_stream(
        self, path: str, params: Params | None = None, *, inactivity: float | None = None
    ) -> AsyncIterator[LineStream]:
        """GET `path` as a stream (a watch, a followed log); entering means the server answered 2xx.

        Raises `InactivityError` if the answer does not start, or a line does not come, within
        `inactivity` seconds (default `settings.inactivity_timeout`; a followed log, quiet for as
        long as its container is, passes `math.inf`). Leaving the block drops the connection.
        """
        inactivity = self.settings.inactivity_timeout if inactivity is None else inactivity
        opened_at = time.time()
        async with AsyncExitStack() as stack:
            try:
                async with asyncio.timeout(None if math.isinf(inactivity) else inactivity):
                    response = await stack.enter_async_context(
                        self._response(path, params, client_timeout=self._stream_timeout())
                    )
            except TimeoutError as e:
                raise errors.InactivityError(inactivity, opened_at) from e
            # An abandoned watch must drop its connection, not wait to drain it.
            stack.callback(response.close)
            yield LineStream(response, client=self, inactivity=inactivity)

    def _stream_timeout(self) -> aiohttp.ClientTimeout:
        # Watches are long; their liveness is the inactivity timer's job, not aiohttp's.
        return aiohttp.ClientTimeout(total=None, connect=self.settings.connect_timeout)

    @asynccontextmanager
    async def _response(
        self, path: str, params: Params | None, *, client_timeout: aiohttp.ClientTimeout
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """An open 2xx response; errors raised as `errors.APIError`/`errors.TransportError`."""
        credentials = self.connection.credentials
        material = await credentials.current()
        response = await self._send(path, params, material, client_timeout)
        if response.status == 401:
            # tokenFile rotated, exec credential revoked early: reload once before giving up.
            response.release()
            material = await credentials.reload(material)
            response = await self._send(path, params, material, client_timeout)
        try:
            if response.status >= 400:
                try:
                    body = await response.content.read(64 * 1024)
                except (aiohttp.ClientError, TimeoutError):
                    body = b""
                raise errors.api_error(
                    response.status, body, retry_after=response.headers.get("Retry-After")
                )
            yield response
        finally:
            response.release()

    async def _send(
        self,
        path: str,
        params: Params | None,
        material: Material,
        client_timeout: aiohttp.ClientTimeout,
    ) -> aiohttp.ClientResponse:
        session = self._open_session()
        headers = {"Authorization": material.authorization} if material.authorization else {}
        ssl_arg: ssl.SSLContext | bool = material.ssl if material.ssl is not None else True
        url = URL(self.connection.server + path)
        try:
            return await session.get(
                url,
                params=dict(params) if params else None,
                headers=headers,
                ssl=ssl_arg,
                proxy=self.connection.proxy,
                server_hostname=self.connection.tls_server_name,
                timeout=client_timeout,
            )
        except (aiohttp.ClientError, TimeoutError) as e:
            raise _transport_error(e, self) from e


async def _read_bounded(response: aiohttp.ClientResponse, path: str, limit: int) -> bytearray:
    """The whole body, or `BodyTooLargeError` as soon as it is known to exceed `limit` bytes."""
    if (response.content_length or 0) > limit:
        raise errors.BodyTooLargeError(path, limit)
    body = bytearray()
    async for chunk in response.content.iter_any():
        body += chunk
        if len(body) > limit:
            raise errors.BodyTooLargeError(path, limit)
    return body


def _transport_error(error: BaseException, client: ApiClient) -> errors.TransportError:
    """One line saying what failed on the way to the server."""
    connection = client.connection
    server = connection.server
    host = urlsplit(server).netloc
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return errors.TransportError(f"cannot resolve {host}", kind="dns")
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        reason = getattr(error.certificate_error, "verify_message", "") or str(
            error.certificate_error
        )
        return errors.TransportError(f"TLS verification of {server} failed: {reason}", kind="tls")
    if isinstance(error, aiohttp.ClientSSLError):
        reason = getattr(error.os_error, "reason", None) or error.os_error
        return errors.TransportError(f"TLS handshake with {server} failed: {reason}", kind="tls")
    if isinstance(error, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        # Not str(error): aiohttp's text shows the proxy URL with its password (url='http://u:p@…').
        reason = (
            _connect_reason(error.os_error)
            if isinstance(error, aiohttp.ClientProxyConnectionError)
            else f"it answered {error.status} {error.message}"
        )
        proxy = redact_url(connection.proxy or "")
        return errors.TransportError(
            f"proxy {proxy} (from {connection.proxy_origin}) failed: {reason}", kind="proxy"
        )
    if isinstance(error, aiohttp.ClientConnectorError):
        return errors.TransportError(
            f"cannot connect to {host}: {_connect_reason(error.os_error)}", kind="refused"
        )
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        # Covers name resolution too: a resolver that hangs instead of failing ends up here.
        return errors.TransportError(
            f"cannot connect to {host}: no answer within {client.settings.connect_timeout:g} s "
            "(name lookup, TCP connect or TLS handshake)",
            kind="connect-timeout",
        )
    if isinstance(error, TimeoutError):
        return errors.TransportError(f"{server} did not answer in time", kind="timeout")
    return errors.TransportError(f"connection to {host} lost: {_one_line(error)}")


class LineStream:
    """The non-empty lines of a streamed response, each read under the inactivity timer.

    Reads whatever has arrived (`readany`) and splits it into lines itself: a burst of watch
    events comes in one read, and each line then costs a list pop instead of a `readline` under
    a timer of its own (a third of the CPU of ingesting a burst went to that per-line
    machinery)."""

    def __init__(
        self, response: aiohttp.ClientResponse, *, client: ApiClient, inactivity: float
    ) -> None:
        self._response = response
        self._client = client
        self._inactivity = inactivity
        self._lines: deque[bytes] = deque()
        """Complete lines read and not yet handed out."""
        self._partial: list[bytes] = []
        """The start of a line whose end has not arrived, in the pieces it came in."""
        self._partial_bytes = 0
        self._ended = False
        self.last_activity = time.time()
        """Wall-clock time the last bytes arrived."""

    def __aiter__(self) -> LineStream:
        return self

    async def __anext__(self) -> bytes:
        while not self._lines:
            if self._ended:
                raise StopAsyncIteration
            await self._read()
        return self._lines.popleft()

    async def _read(self) -> None:
        """Wait for more bytes; queue the non-empty lines they complete."""
        limit = self._client.settings.max_line_bytes
        if self._partial_bytes > limit:  # the lines before it were handed out first
            raise errors.TransportError(f"a watch line is longer than {limit} bytes")
        try:
            async with asyncio.timeout(None if math.isinf(self._inactivity) else self._inactivity):
                chunk = await self._response.content.readany()
        except aiohttp.ClientError as e:
            raise _transport_error(e, self._client) from e
        except TimeoutError as e:
            raise errors.InactivityError(self._inactivity, self.last_activity) from e
        if chunk:
            self.last_activity = time.time()
            pieces = chunk.split(b"\n")
        else:  # the end: an unterminated last line is a line too
            self._ended = True
            pieces = [b"", b""]
        self._partial.append(pieces[0])
        self._partial_bytes += len(pieces[0])
        if len(pieces) > 1:
            lines = [b"".join(self._partial), *pieces[1:-1]]
            self._partial, self._partial_bytes = [pieces[-1]], len(pieces[-1])
            if any(len(line) > limit for line in lines):
                raise errors.TransportError(f"a watch line is longer than {limit} bytes")
            self._lines.extend(stripped for line in lines if (stripped := line.strip()))


def _connect_reason(error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return error.strerror or _one_line(error)


def _one_line(error: BaseException) -> str:
    """An aiohttp error's text (which may quote what a server or proxy sent) on one safe line."""
    text = neutralise(" ".join(str(error).split()))
    return text or type(error).__name__


def shared_connector() -> aiohttp.BaseConnector:
    """One connection pool for the clients of many clusters (a fleet): no limit on connections
    (each cluster holds one watch per resource open), keyed by host, TLS and proxy as usual."""
    return aiohttp.TCPConnector(limit=0, limit_per_host=0)


async def connect(
    connection: Connection,
    *,
    settings: WatchSettings,
    connector: aiohttp.BaseConnector | None = None,
) -> ApiClient:
    """Open a client and prove the server is usable before anything is watched (`preflight`)."""
    client = ApiClient(connection, settings=settings, connector=connector)
    await preflight(client)
    return client


async def preflight(client: ApiClient) -> None:
    """Prove the server is usable: GET /version (its answer is kept for the views; a server that
    hides it is fine) and GET /api (discovery needs an authenticated user, so a rejected
    credential shows here). Raises `FatalError` with one line for DNS, refused connections, no
    answer, TLS verification and a 401 that a credential reload did not fix (`unreachable` set
    for the first three), after closing the client's session (the next request opens another).
    A busy server (429/5xx) is not fatal: the watches retry.
    """
    connection, settings = client.connection, client.settings
    usable = False
    timeout = settings.preflight_timeout
    try:
        try:
            version = await client.get_json("/version", seconds=timeout)
            client.server_version = neutralise(str(version.get("gitVersion", "")))
        except (errors.APIForbiddenError, errors.APINotFoundError, errors.BadResponseError):
            pass
        api = await client.get_json("/api", seconds=timeout)
        if api.get("kind") != "APIVersions":
            kind = neutralise(str(api.get("kind") or "JSON object"))
            raise errors.BadResponseError(f"GET /api answered a {kind}")
        usable = True
    except errors.TransportError as e:
        fatal = errors.FatalError(f"{e} ({connection.where}): {_ADVICE[e.kind]}")
        fatal.unreachable = e.kind != "tls"
        raise fatal from e
    except errors.APIUnauthorizedError as e:
        raise errors.FatalError(
            f"the server rejected the credentials of user {connection.user!r} even after "
            f"reloading them ({e}; {connection.where}): log in again or refresh the token"
        ) from e
    except (errors.APITooManyRequestsError, errors.APIServerError) as e:
        logger.warning("pre-flight: %s; the watches will retry", e)
        usable = True
    except errors.APIForbiddenError as e:
        raise errors.FatalError(
            f"user {connection.user!r} may not read the API at all ({e}; {connection.where}): "
            "ask for read access or pick another --context"
        ) from e
    except (errors.APIError, errors.BadResponseError) as e:
        raise errors.FatalError(
            f"{connection.server} does not answer like a Kubernetes API server ({e}; "
            f"{connection.where}): check the server URL (and any proxy in front of it)"
        ) from e
    finally:
        if not usable:
            await client.close()


_ADVICE = {
    "dns": "check the server address in the kubeconfig and your DNS/VPN",
    "refused": "is the API server running and reachable from here (VPN, firewall, port)?",
    "tls": "check certificate-authority (and tls-server-name) in the kubeconfig, or that this is "
    "the right server",
    "proxy": "check the proxy setting named above (or add the server to NO_PROXY) and that the "
    "proxy is running",
    "connect-timeout": "check the server address in the kubeconfig, your DNS and VPN, and that "
    "nothing between here and the server drops the connection",
    "timeout": "the server is unreachable or overloaded; check the address and your network",
    "lost": "the connection broke; check the server address and any proxy in between",
}
