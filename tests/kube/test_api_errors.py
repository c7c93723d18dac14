"""Error answers become the engine's own exceptions, with the server's message and nothing else."""

from __future__ import annotations

import json

import pytest

from sovwatch.kube import errors


def _status(code: int, reason: str, message: str) -> bytes:
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "code": code,
            "reason": reason,
            "message": message,
        }
    ).encode()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, errors.APIUnauthorizedError),
        (403, errors.APIForbiddenError),
        (404, errors.APINotFoundError),
        (410, errors.APIGoneError),
        (429, errors.APITooManyRequestsError),
        (500, errors.APIServerError),
        (503, errors.APIServerError),
        (400, errors.APIError),
    ],
)
def test_status_maps_to_a_class(status, cls):
    assert type(errors.api_error(status, b"")) is cls


def test_status_body_gives_reason_and_message():
    body = _status(
        403,
        "Forbidden",
        'persistentvolumeclaims is forbidden: User "ci" cannot list resource '
        '"persistentvolumeclaims" in API group "" at the cluster scope',
    )
    error = errors.api_error(403, body)
    assert str(error).startswith('403 Forbidden: persistentvolumeclaims is forbidden: User "ci"')


def test_in_stream_status_dict():
    error = errors.api_error(
        410,
        {
            "kind": "Status",
            "code": 410,
            "reason": "Expired",
            "message": "too old resource version: 12 (40)",
        },
    )
    assert isinstance(error, errors.APIGoneError)
    assert str(error) == "410 Expired: too old resource version: 12 (40)"


def test_non_status_body_is_cut_short_to_one_line():
    html = b"<html>\n<body>" + b"proxy error " * 100 + b"</body></html>"
    error = errors.api_error(502, html)
    assert "\n" not in str(error)
    assert len(error.message) <= 200


@pytest.mark.parametrize(
    ("header", "seconds"), [("3", 3.0), ("0.5", 0.5), ("-1", 0.0), ("soon", None), (None, None)]
)
def test_retry_after(header, seconds):
    assert errors.api_error(429, b"", retry_after=header).retry_after == seconds
