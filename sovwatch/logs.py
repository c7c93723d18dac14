"""Where sovwatch's log records go, and the filter that keeps credentials out of every one of them.

The TUI owns the terminal: one stray line on stderr tears its screen. So under the TUI records go to
a file (`--log-file`) or nowhere at all, and Python's "last resort" handler (which prints warnings
to stderr when nothing is configured) and `warnings.warn` output are routed away too. Headless
modes log to stderr, where a user expects diagnostics, and to `--log-file` too when one is given.

Whatever the destination, a `RedactingFilter` on the handler rewrites each record before it is
formatted with `sovwatch.redaction.redact` (the one redaction every exit uses): credentials become
`***`/`[… redacted]` in the message, its arguments, the traceback and the stack.

The CLI calls, once, before anything else logs::

    logs.configure(verbosity=args.verbose, log_file=args.log_file, to_stderr=not tui)
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from sovwatch.outfiles import OutputFileError, open_private
from sovwatch.redaction import redact

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_LEVELS = (logging.WARNING, logging.INFO, logging.DEBUG)
"""By verbosity (the number of -v flags): warnings, then info, then debug."""


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


def configure(
    *, verbosity: int, log_file: Path | None = None, to_stderr: bool
) -> list[logging.Handler]:
    """Send log records to stderr (`to_stderr`, headless) and to `log_file` (any mode), or nowhere.

    `verbosity` 0 logs warnings and errors, 1 adds info, 2 or more debug. The file is appended to,
    created private (0600) and never opened through a symbolic link. Calling again replaces what an
    earlier call installed. Returns the handlers; raises `LogSetupError` if `log_file` cannot be
    opened.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _INSTALLED, False)]:
        root.removeHandler(handler)
        handler.close()
    handlers = _handlers(log_file, to_stderr)
    for handler in handlers:
        setattr(handler, _INSTALLED, True)
        handler.addFilter(RedactingFilter())
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(_LEVELS[min(max(verbosity, 0), len(_LEVELS) - 1)])
    # `warnings.warn` would print straight to stderr; as log records they follow the handlers.
    logging.captureWarnings(True)
    return handlers


class _PrivateFileHandler(logging.StreamHandler):
    """Appends to a log file opened by `outfiles.open_private`, and closes it when closed."""

    def __init__(self, path: Path) -> None:
        try:
            fd = open_private(path, append=True, what="the log file", flag="--log-file")
        except OutputFileError as e:
            raise LogSetupError(str(e)) from e
        super().__init__(os.fdopen(fd, "a", encoding="utf-8"))

    def close(self) -> None:
        with self.lock:
            self.stream.close()
        super().close()


def _handlers(log_file: Path | None, to_stderr: bool) -> list[logging.Handler]:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)] if to_stderr else []
    if log_file is not None:
        handlers.append(_PrivateFileHandler(log_file))
    # With no handler at all, logging's last-resort handler would print warnings to stderr, under
    # the TUI: a handler that drops everything instead.
    return handlers or [logging.NullHandler()]
