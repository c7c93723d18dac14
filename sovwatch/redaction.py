"""The one function that keeps credentials out of everything sovwatch writes: `redact`.

Every exit passes through it: fatal errors and warnings on stderr (`session.diagnose`), stream
health details (so plain, JSON, the TUI and recordings get them clean), plain and JSON output on
stdout, recording lines, and every log record (`logs.RedactingFilter`).

Two kinds of rule:
- shapes: a PEM block (or one cut short) and its base64 form (`client-key-data`), an
  `Authorization` header value of any scheme, a `Bearer` credential anywhere, JWTs, the password
  of a URL's userinfo (`https://user:***@host`, proxies included), and the value of any field whose
  name ends in token, password or secret (`token:`, `id-token:`, `refresh_token=`,
  `"access_token":`, `client-secret`) or is a client key (`client-key`, `client-key-data`);
- known values: the credentials sovwatch loaded (the bearer token, a basic-auth password, a proxy
  password) are `remember`ed when they are loaded and replaced wherever they appear, even bare
  inside a server's answer that echoes them back.
"""

from __future__ import annotations

import re
from typing import TextIO

MASK = "***"

MIN_KNOWN_LENGTH = 6
"""Shorter remembered values are not replaced verbatim (a one-letter password would blank every
`a`); the shape rules still catch them where they appear as a field or in a URL."""

_SECRET_KEY = (
    r"[A-Za-z_-]*(?:token|password|passwd|secret)"
    r"|client-?key(?:-?data)?|client_key(?:_data)?"
)
"""Field names whose value is a credential (case-insensitive): `token`, `id-token`,
`refresh_token`, `accessToken`, `password`, `client-secret`, `client-key-data`, `clientKeyData`."""

_QUOTE = r"""(?:\\?["'])?"""
"""An optional quote around a key or value, escaped (`\"`) when the text is a JSON line's."""

_PEM_BODY = r"(?:[A-Za-z0-9+/=\s:,-]|\\[nr])"
"""What a PEM block's body is made of: base64, headers, and newlines (real, or `\n` in JSON)."""

_USER = r"""[^\s/:@'"\\]*"""
_PASSWORD = r"""[^\s/@'"\\]+"""
_URL_PASSWORD = re.compile(rf"(\b[A-Za-z][A-Za-z0-9+.-]*://{_USER}:){_PASSWORD}@")
"""The password in a URL's userinfo: `scheme://user:password@host`."""
_USERINFO = re.compile(rf"://{_USER}:{_PASSWORD}@")
"""The same from its `://`, which the regex engine finds by a fast literal search: text with URLs
but no userinfo (probe messages, server addresses) skips `_URL_PASSWORD`, which is tried at every
word, about 20 ns a character (80 ms for a large cluster's `--once -o json`)."""

_RULES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # (hints: lower-case words one of which the text must hold for the rule to be tried at all,
    #  which keeps the common case, text with no credential in it, at a few substring searches:
    #  about 5 µs for a 750-byte watch line, against 240 µs for running every rule)
    # Every rule stops at a quote or a backslash, so a redacted JSON line is still JSON.
    # A PEM block, or one cut short (a message truncated mid-key still leaks the key).
    (
        ("-----begin",),
        re.compile(rf"-----BEGIN ([A-Z0-9 ]+)-----(?:{_PEM_BODY}*?-----END \1-----|{_PEM_BODY}*)"),
        r"[PEM \1 redacted]",
    ),
    # The same in base64, as kubeconfig *-data fields carry it ("-----BEGIN" encodes to LS0tLS1CRUdJTi).
    (("ls0tls1crudjti",), re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]*"), "[base64 PEM redacted]"),
    # The password in a URL's userinfo: scheme://user:password@host (proxies, a pasted server URL).
    (("://",), _URL_PASSWORD, rf"\1{MASK}@"),
    # An Authorization (or Proxy-Authorization) header value of any scheme.
    (
        ("authorization",),
        re.compile(
            rf"""(\bAuthorization{_QUOTE}\s*[:=]\s*{_QUOTE})(\w+)\s+[^\s"',;}}\\]+""",
            re.IGNORECASE,
        ),
        rf"\1\2 {MASK}",
    ),
    # A bearer credential anywhere.
    (
        ("bearer",),
        re.compile(r"\b(Bearer)\s+(?!\*\*\*)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE),
        rf"\1 {MASK}",
    ),
    # `token: x`, `"password": "x"`, `refresh_token=x`: keep the key, drop the value (before the JWT
    # rule, so `id-token: eyJ...` reads `id-token: ***`).
    (
        ("token", "passw", "secret", "clientkey", "client-key", "client_key"),
        re.compile(
            rf"""(?P<key>(?<![A-Za-z0-9])(?:{_SECRET_KEY}){_QUOTE}\s*[:=]\s*)"""
            r"""(?P<quote>\\?["']?)(?!\*\*\*|\[)"""
            # prose ("anonymous token: unexpected status", containerd's pull error) is not a field:
            # after a bare ": ", a plain lower-case word is left alone
            r"""(?!(?<=:\s)[a-z]+(?=[\s"',;&}\]\\]|$))"""
            r"""[^\s"',;&}\]\\]+(?P=quote)""",
            re.IGNORECASE,
        ),
        rf"\g<key>\g<quote>{MASK}\g<quote>",
    ),
    # JWTs (service account and OIDC tokens) wherever they appear.
    (
        ("eyj",),
        re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
        "[JWT redacted]",
    ),
)

_HINTS = tuple(hint for hints, _, _ in _RULES for hint in hints)
"""Every rule's hints: most text holds none of them and is done with after these searches."""

_known: set[str] = set()


def remember(secret: str | None) -> None:
    """Redact `secret` verbatim wherever it appears from now on (a loaded token or password)."""
    if secret and len(secret) >= MIN_KNOWN_LENGTH:
        _known.add(secret)


def redact(text: str) -> str:
    """`text` with every known credential and every credential-looking part replaced."""
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    lower = text.lower()
    if not any(hint in lower for hint in _HINTS):
        return text
    for hints, pattern, replacement in _RULES:
        if any(hint in lower for hint in hints):
            if pattern is _URL_PASSWORD and not _USERINFO.search(text):
                continue
            text = pattern.sub(replacement, text)
    return text


class RedactedStream:
    """A text stream (stdout) whose every `write` is redacted first; what the views write to."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(redact(text))

    def flush(self) -> None:
        self._stream.flush()
