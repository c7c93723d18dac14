"""The one redaction every exit uses: what it replaces, what it leaves readable."""

from __future__ import annotations

import io
import json
import secrets

import pytest

from sovwatch import redaction

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjRkZTRhIn0"
    ".eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic292d2F0Y2gifQ"
    ".c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
)
TOKEN = "kQ7v2Xc9fR3mZp8LwN4sT6yB1hJ5dG0a"
KEY = (
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oAIoUHNHjBDNoAoGCCqGSM49\n"
    "-----END EC PRIVATE KEY-----"
)

# name: (text, the secret that must go, what must read exactly so afterwards)
CASES = {
    "proxy-userinfo-aiohttp-text": (
        "Cannot connect to host proxy:3128 ssl:default [url='http://ops:hunter2hunter2@proxy:3128']",
        "hunter2hunter2",
        "url='http://ops:***@proxy:3128'",
    ),
    "server-userinfo": (
        "https://admin:s3cr3tpass@api.sovereign.example:6443/api",
        "s3cr3tpass",
        "https://admin:***@api.sovereign.example:6443/api",
    ),
    "authorization-header": (
        f"echo: Authorization: Bearer {TOKEN}",
        TOKEN,
        "Authorization: Bearer ***",
    ),
    "authorization-basic": (
        "Proxy-Authorization: Basic b3BzOnMzY3JldA==",
        "b3BzOnMzY3JldA==",
        "Proxy-Authorization: Basic ***",
    ),
    "authorization-dict": (
        f"{{'Authorization': 'Bearer {TOKEN}'}}",
        TOKEN,
        "{'Authorization': 'Bearer ***'}",
    ),
    "bearer-in-prose": (f"retrying with bearer {TOKEN}", TOKEN, "retrying with bearer ***"),
    "refresh-token-query": (
        f"POST /token grant_type=refresh_token&refresh_token={TOKEN}&client_id=kubelogin",
        TOKEN,
        "refresh_token=***&client_id=kubelogin",
    ),
    "refresh-token-kubeconfig": (f"refresh-token: {TOKEN}", TOKEN, "refresh-token: ***"),
    "id-token-jwt-not-garbled": (f"id-token: {JWT}", JWT[:40], "id-token: ***"),
    "access-token-json": (
        f'{{"access_token": "{TOKEN}", "expires_in": 3600}}',
        TOKEN,
        '{"access_token": "***", "expires_in": 3600}',
    ),
    "exec-plugin-stderr": (
        f"error: token={TOKEN} expired; run sovereign login",
        TOKEN,
        "error: token=*** expired; run sovereign login",
    ),
    "client-key-path": ("client-key: /home/ops/.kube/sov.key", "sov.key", "client-key: ***"),
    "client-key-data": (
        "clientKeyData: c2VjcmV0LWtleS1ieXRlcw==",
        "c2VjcmV0LWtleS1ieXRlcw==",
        "clientKeyData: ***",
    ),
    "client-secret": (f"client-secret={TOKEN}", TOKEN, "client-secret=***"),
    "password-field": ('"password": "hunter2"', "hunter2", '"password": "***"'),
    "jwt-anywhere": (f"the plugin answered {JWT} late", JWT[:40], "answered [JWT redacted] late"),
    "pem": (f"key {KEY} loaded", "MHcCAQEEIBkg4LVWM9", "key [PEM EC PRIVATE KEY redacted] loaded"),
    "pem-cut-short": (f"key {KEY[:80]}", "MHcCAQEE", "key [PEM EC PRIVATE KEY redacted]"),
    "pem-base64": (
        "certificate-authority-data LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ",
        "LS0tLS1CRUdJTi",
        "certificate-authority-data [base64 PEM redacted]",
    ),
}

# Text that must pass untouched: cluster messages that merely mention these words.
UNTOUCHED = [
    "resourceVersion expired (410 Gone): relisting",
    "The provided continue token has expired",
    "failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token",
    'secret "loki-credentials" not found',
    "imagePullSecrets: regcred",
    "Multi-Attach error for volume pvc-5a3 Volume is already used by pod loki-0",
    "proxy http://proxy.corp:3128 (from HTTPS_PROXY) failed: connection refused",
    "https://127.0.0.1:6443",
]


@pytest.mark.parametrize(("text", "secret", "kept"), CASES.values(), ids=CASES.keys())
def test_shapes_are_redacted(text: str, secret: str, kept: str):
    redacted = redaction.redact(text)
    assert secret not in redacted
    assert kept in redacted


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_text_is_left_alone(text: str):
    assert redaction.redact(text) == text


def test_a_remembered_credential_is_redacted_anywhere_even_bare():
    token = secrets.token_hex(16)
    echoed = f'{{"kind":"Status","message":"gateway rejected {token} for /api"}}'
    assert token in redaction.redact(echoed)  # no shape gives it away
    redaction.remember(token)
    assert redaction.redact(echoed) == '{"kind":"Status","message":"gateway rejected *** for /api"}'


def test_short_remembered_values_do_not_blank_ordinary_text():
    redaction.remember("a")
    redaction.remember(None)
    assert redaction.redact("a release") == "a release"


def test_the_redacted_stream_redacts_every_write():
    out = io.StringIO()
    stream = redaction.RedactedStream(out)
    stream.write(f"stream pods reconnecting: Authorization: Bearer {TOKEN}\n")
    stream.flush()
    assert out.getvalue() == "stream pods reconnecting: Authorization: Bearer ***\n"


@pytest.mark.parametrize(("text", "secret", "kept"), CASES.values(), ids=CASES.keys())
def test_redacted_json_stays_json(text: str, secret: str, kept: str):
    """Recording lines and JSON output are redacted as text: the result must still parse, with
    the secret gone, whatever the secret sits next to (quotes, escaped newlines, the line's end)."""
    for document in ({"message": text}, {"message": f'{text}"tail"', "next": 1}):
        decoded = json.loads(redaction.redact(json.dumps(document)))
        assert decoded.keys() == document.keys()
        assert secret not in json.dumps(decoded)
    cut = {"message": text[: len(text) // 2]}  # a message cut short mid-secret
    assert json.loads(redaction.redact(json.dumps(cut))).keys() == cut.keys()
