"""Where sovwatch's log records go, and the filter that keeps credentials out of every one of them.

The TUI owns the terminal: one stray line on stderr tears its screen. So under the TUI records go to
a file (`--log-file`) or nowhere at all, and Python's "last resort" handler (which prints warnings
to stderr when nothing is configured) and `warnings.warn` output are routed away too. Headless
modes log to stderr, where a user expects diagnostics.

Whatever the destination, a `RedactingFilter` on the handler rewrites each record before it is
formatted: bearer and basic credentials, `token`/`password`/key fields, JWTs and anything that looks
like a PEM block (or its base64 form, as in `client-key-data`) become `***`/`[… redacted]`, in the
message, its arguments, the traceback and the stack.

The CLI calls, once, before anything else logs::

    logs.configure(verbosity=args.verbose, log_file=args.log_file, to_stderr=not tui)
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_LEVELS = (logging.WARNING, logging.INFO, logging.DEBUG)
"""By verbosity (the number of -v flags): warnings, then info, then debug."""

_SECRET_FIELDS = (
    "token",
    "id-token",
    "refresh-token",
    "access-token",
    "password",
    "client-key-data",
    "clientKeyData",
    "client-secret",
)

_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A PEM block, or one cut short (a message truncated mid-key still leaks the key).
    (
        re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?(?:-----END \1-----|\Z)", re.DOTALL),
        r"[PEM \1 redacted]",
    ),
    # The same in base64, as kubeconfig *-data fields carry it ("-----BEGIN" encodes to LS0tLS1CRUdJTi).
    (re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]*"), "[base64 PEM redacted]"),
    # An Authorization header value of any scheme, and a bearer credential anywhere.
    (
        re.compile(r"""(\bAuthorization["']?\s*[:=]\s*["']?)(\w+)\s+[^\s"',}]+""", re.IGNORECASE),
        r"\1\2 ***",
    ),
    (re.compile(r"\b(Bearer)\s+(?!\*\*\*)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE), r"\1 ***"),
    # JWTs (service account and OIDC tokens) wherever they appear.
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[JWT redacted]"),
    # `token: x`, `"password": "x"`, `client-key-data=x`: keep the key, drop the value.
    (
        re.compile(
            r"""(?P<key>["']?\b(?:"""
            + "|".join(re.escape(f) for f in _SECRET_FIELDS)
            + r""")\b["']?\s*[:=]\s*)(?P<quote>["']?)(?!\*\*\*)[^\s"',}\]]+(?P=quote)"""
        ),
        r"\g<key>\g<quote>***\g<quote>",
    ),
)


def redact(text: str) -> str:
    """`text` with every credential-looking part replaced."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack with `redact` (never drops a record)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(
                record.exc_text or self._formatter.formatException(record.exc_info)
            )
            record.exc_info = None  # the redacted text above is what gets printed
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class LogSetupError(Exception):
    """The log file cannot be written; `str()` is one line for the operator."""


_INSTALLED = "_sovwatch_handler"


def configure(*, verbosity: int, log_file: Path | None = None, to_stderr: bool) -> logging.Handler:
    """Send log records to stderr (`to_stderr`, headless), else to `log_file`, else nowhere.

    `verbosity` 0 logs warnings and errors, 1 adds info, 2 or more debug. The file is appended to
    and created private (0600). Calling again replaces what an earlier call installed. Returns
    the handler; raises `LogSetupError` if `log_file` cannot be opened.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _INSTALLED, False)]:
        root.removeHandler(handler)
        handler.close()
    handler = _handler(log_file, to_stderr)
    setattr(handler, _INSTALLED, True)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(_LEVELS[min(max(verbosity, 0), len(_LEVELS) - 1)])
    # `warnings.warn` would print straight to stderr; as log records they follow the handler.
    logging.captureWarnings(True)
    return handler


def _handler(log_file: Path | None, to_stderr: bool) -> logging.Handler:
    if to_stderr:
        return logging.StreamHandler(sys.stderr)
    if log_file is None:
        # A handler that drops everything: with none at all, logging's last-resort handler would
        # print warnings to stderr, under the TUI.
        return logging.NullHandler()
    try:
        os.close(os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        return logging.FileHandler(log_file, mode="a", encoding="utf-8")
    except OSError as e:
        raise LogSetupError(
            f"cannot write the log file {log_file}: {e.strerror}; choose another --log-file"
        ) from e
