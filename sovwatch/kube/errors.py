"""The watch engine's own exceptions: nothing above `sovwatch.kube` sees an aiohttp exception.

Two families:
- `FatalError`: the cluster cannot be used at all (bad kubeconfig, unknown context, plugin missing,
  DNS, refused, TLS, credentials rejected). Raised only before anything is watched; `str()` is one
  line naming the file/context/server and what to do, which the CLI prints before exiting 2.
- `KubeError` and its children: a request or a stream failed while running. The reflector turns
  them into stream health and retries; they are never fatal.

API error messages come from the server's `Status` object only; any other body is cut to 200
characters so a misbehaving proxy's HTML page (or a secret in an echo) cannot flood a log line.
Whatever the server wrote passes `sovwatch.untrusted.neutralise` here, before any exception
carries it to a stream detail or a diagnostic.
"""

from __future__ import annotations

import datetime
import email.utils
import time

from sovwatch import json_input
from sovwatch.untrusted import neutralise


class FatalError(Exception):
    """The cluster cannot be used; `str(error)` is the single line to show the operator."""

    server: str = ""
    """The API server it concerns, when the kubeconfig named one (a fleet shows it)."""
    context: str = ""
    """The kubeconfig context it concerns, once one was chosen (a report shows it)."""
    unreachable: bool = False
    """The server could not be reached (DNS, refused, proxy, no answer): it may be there later,
    where a rejected credential or a failed TLS verification will not be."""


NO_ANSWER_YET = "no answer from the API server yet"
"""Why a cluster is not watched when nothing failed: its start-up check has not been answered."""


class KubeError(Exception):
    """A request or stream failed; recoverable by retrying."""


class TransportError(KubeError):
    """No HTTP answer: connection refused or reset, DNS, TLS, timeout, a broken chunked stream."""

    def __init__(self, message: str, *, kind: str = "lost") -> None:
        super().__init__(message)
        self.kind = kind
        """What failed: `dns`, `refused`, `tls`, `proxy`, `connect-timeout` (no answer while
        connecting), `timeout` (no answer to a request) or `lost` (mid-request)."""


class InactivityError(TransportError):
    """The stream sent no bytes for longer than the inactivity timeout: it is dead."""

    def __init__(self, seconds: float, last_activity: float) -> None:
        super().__init__(f"no data for {seconds:g} s", kind="timeout")
        self.last_activity = last_activity
        """Wall-clock time of the last byte received (the data is current up to then)."""


class BadResponseError(KubeError):
    """The server answered 200 with something that is not the JSON it should be."""


class BodyTooLargeError(BadResponseError):
    """The server's answer is larger than sovwatch reads (`WatchSettings.max_body_bytes`)."""

    def __init__(self, path: str, limit: int) -> None:
        super().__init__(
            f"GET {path}: the answer is larger than {limit / 2**20:g} MiB, more than any "
            "Kubernetes API answer sovwatch asks for"
        )


class MalformedLineError(BadResponseError):
    """The watch stream carried a line that is not a JSON watch event."""

    def __init__(self, line: bytes, why: str = "not JSON") -> None:
        preview = neutralise(line[:60].decode("utf-8", "replace"))
        super().__init__(f"malformed watch line ({len(line)} bytes, {why}): '{preview}'")


class APIError(KubeError):
    """The server answered with an error status (HTTP, or an in-stream watch ERROR event)."""

    status: int = 0

    def __init__(
        self, status: int, reason: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {reason}: {message}" if message else f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after
        """Seconds the server asked us to wait (Retry-After header), if any."""


class APIUnauthorizedError(APIError):
    """401: the credentials were rejected (after one reload)."""


class APIForbiddenError(APIError):
    """403: these credentials may not read this resource."""


class APINotFoundError(APIError):
    """404: the resource (or its API group/version) is not served."""


class APIGoneError(APIError):
    """410: the resourceVersion or continue token is too old; list again."""


class APITooManyRequestsError(APIError):
    """429: the server (API priority and fairness) asks us to slow down; see `retry_after`."""


class APIServerError(APIError):
    """5xx: the server failed; retry with backoff."""


_BY_STATUS: dict[int, type[APIError]] = {
    401: APIUnauthorizedError,
    403: APIForbiddenError,
    404: APINotFoundError,
    410: APIGoneError,
    429: APITooManyRequestsError,
}


def api_error(
    status: int, body: bytes | dict | None, *, retry_after: str | None = None
) -> APIError:
    """The exception for an error answer: HTTP status plus body (or an in-stream Status dict)."""
    reason, message = _status_text(body)
    cls = _BY_STATUS.get(status) or (APIServerError if status >= 500 else APIError)
    return cls(
        status,
        reason or _DEFAULT_REASONS.get(status, "Error"),
        message,
        retry_after=parse_retry_after(retry_after),
    )


_DEFAULT_REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


def _status_text(body: bytes | dict | None) -> tuple[str, str]:
    """(reason, message) from a `kind: Status` body; otherwise ("", the body cut short);
    neutralised."""
    if isinstance(body, bytes | bytearray):
        try:
            body = json_input.loads(body)
        except ValueError:
            text = body[:200].decode("utf-8", "replace").strip().replace("\n", " ")
            return "", neutralise(text)
    if isinstance(body, dict) and body.get("kind") == "Status":
        reason, message = str(body.get("reason") or ""), str(body.get("message") or "")
        return neutralise(reason), neutralise(message)
    return "", ""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds (what the API server sends) or an
    HTTP-date (what a load balancer or proxy in front of it may send), counted from `now`
    (default: the current time). None if absent or unreadable; never negative."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive parse means "-0000"
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
