"""Opening the files sovwatch writes (`--record`, `--log-file`, `sim --write-kubeconfig`, the
picture cache) safely.

They hold what a cluster showed, diagnostics, or a token: each is opened with `O_NOFOLLOW`, so a
symbolic link planted where the file should be (pointing at someone's `~/.bashrc`, or dangling, to
make sovwatch create a file elsewhere) is refused with one line instead of followed, and nothing is
created. A new file is created private (0600). An existing regular file is truncated (and made
0600) or appended to (its mode kept), as before.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class OutputFileError(Exception):
    """The file cannot be opened for writing; `str()` is the one line for the operator."""


_BASE = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


def open_private(path: Path, *, append: bool, what: str, flag: str) -> int:
    """A file descriptor open for writing at `path`, never through a symbolic link.

    `append` keeps what the file holds and its mode; otherwise it is truncated and made 0600.
    `what` ("the recording") and `flag` ("--record") word the error. Raises `OutputFileError`.
    """
    fd = _open(path, _BASE | (os.O_APPEND if append else os.O_TRUNC), what, flag)
    if not append:
        os.fchmod(fd, 0o600)  # O_CREAT keeps an existing file's mode; these files are private
    return fd


def check_writable(path: Path, *, what: str, flag: str) -> None:
    """Fail now (`OutputFileError`), before any work, if `open_private` would fail later; a file
    created by the check is removed again, an existing one is left untouched."""
    existed = path.exists()
    os.close(_open(path, _BASE, what, flag))
    if not existed:
        path.unlink()


def _open(path: Path, flags: int, what: str, flag: str) -> int:
    try:
        return os.open(path, flags, 0o600)
    except OSError as err:
        reason = (
            "it is a symbolic link, and sovwatch never writes through one"
            if err.errno == errno.ELOOP  # what O_NOFOLLOW answers for a link, dangling or not
            else err.strerror or str(err)
        )
        raise OutputFileError(
            f"cannot write {what} {path}: {reason}; pass {flag} a path in a writable directory"
        ) from err
