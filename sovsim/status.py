"""`meta/v1 Status` bodies, shaped exactly as kube-apiserver writes them.

Clients key their behaviour on these (kubectl prints `message`, watch clients relist on `Expired`,
retry on `TooManyRequests`), so every error the emulator returns goes through here.
"""

from __future__ import annotations

import json

from aiohttp import web

from sovsim.objects import ResourceType

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
}


def query_bool(value: str | None) -> bool:
    """The apiserver's reading of a boolean query parameter: anything but absent, 0 or false."""
    return value is not None and value.lower() not in ("0", "false")


def status(
    code: int, message: str, *, reason: str | None = None, details: dict | None = None
) -> dict:
    """A failure Status; `details` is left out when None, as the apiserver does for auth failures."""
    body: dict = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason or _REASONS.get(code, "Unknown"),
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def json_response(
    document: dict,
    *,
    code: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> web.Response:
    """JSON with the Content-Type exactly as the apiserver sends it (no charset parameter:
    client-go fails to decode a 401 body that has one and prints a generic message instead)."""
    return encoded_response(
        json.dumps(document).encode(), code=code, headers=headers, content_type=content_type
    )


def encoded_response(
    body: bytes,
    *,
    code: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> web.Response:
    """`json_response` for a body already encoded (see `encoding`)."""
    return web.Response(
        status=code, body=body, headers={**(headers or {}), "Content-Type": content_type}
    )


def status_response(
    code: int,
    message: str,
    *,
    reason: str | None = None,
    details: dict | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return json_response(
        status(code, message, reason=reason, details=details), code=code, headers=headers
    )


class StatusError(Exception):
    """Raised where a request turns out to be invalid; the server answers with this Status."""

    def __init__(
        self, code: int, message: str, *, reason: str | None = None, details: dict | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.reason, self.details = code, message, reason, details

    def response(self) -> web.Response:
        return status_response(self.code, self.message, reason=self.reason, details=self.details)


def resource_details(rt: ResourceType, name: str | None = None) -> dict:
    """The `details` of a Status about one resource (or one named object of it)."""
    details: dict = {}
    if name:
        details["name"] = name
    if rt.group:
        details["group"] = rt.group
    details["kind"] = rt.plural
    return details


def unauthorized() -> web.Response:
    return status_response(401, "Unauthorized")


def not_found_path() -> web.Response:
    """What the apiserver answers for a path no handler serves (unknown group, version, resource)."""
    return status_response(404, "the server could not find the requested resource", details={})


def not_found(rt: ResourceType, name: str) -> web.Response:
    return status_response(404, f'{rt.key} "{name}" not found', details=resource_details(rt, name))


def bad_request(message: str) -> web.Response:
    return status_response(400, message)


def forbidden(
    rt: ResourceType,
    *,
    user: str,
    verb: str,
    namespace: str | None,
    name: str | None,
    subresource: str = "",
) -> web.Response:
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    subject = f'{rt.key} "{name}"' if name else rt.key
    resource = f"{rt.plural}/{subresource}" if subresource else rt.plural
    message = (
        f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" '
        f'in API group "{rt.group}" {scope}'
    )
    return status_response(403, message, details=resource_details(rt, name))


def invalid(kind: str, group: str, causes: list[tuple[str, str, str]]) -> web.Response:
    """422 Invalid for a nameless object of `kind`.`group` (a request's `ListOptions`), one
    cause per (field, reason, detail), worded as apimachinery's `field.ErrorList` is."""
    errors = [f"{field}: {detail}" for field, _, detail in causes]
    summary = errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]"
    details = {
        "group": group,
        "kind": kind,
        "causes": [
            {"reason": reason, "message": detail, "field": field}
            for field, reason, detail in causes
        ],
    }
    return status_response(
        422, f'{kind}.{group} "" is invalid: {summary}', reason="Invalid", details=details
    )


def expired(message: str) -> dict:
    """The Status inside a watch's in-stream ERROR event when the start RV is gone."""
    return status(410, message, reason="Expired")
