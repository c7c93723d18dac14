"""The picture cache: the last slim objects seen of each cluster, on disk, for a picture at once.

An operator who restarts sovwatch mid-bootstrap, or opens it over a slow link, sees the last
picture at once, marked stale with its age, until every stream has listed (as catalyst-api's
k8scache keeps a disk snapshot per cluster and kind). One file per cluster, under
`$XDG_CACHE_HOME/sovwatch/` (`~/.cache/sovwatch/`), named by a hash of server URL, context,
user and namespace (`-n`) (no name a file system dislikes, nothing readable in a directory listing). Like a recording,
one JSON line each: a header, then one line per object, as a recording writes it::

    {"schema": "sovwatch.cache/v1", "server": ..., "context": ..., "user": ..., "namespace": ...,
     "savedAt": ...}
    {"t": 1764240001.2, "event": "ADDED", "resource": "pods", "object": {...}}

Written atomically (a private temporary file, then a rename) with mode 0600, never through a
symbolic link (`sovwatch.outfiles`), each line redacted (`sovwatch.redaction`); objects come
from the store (slim already) and are slimmed again on the way in, every other string neutralised
(the recording's own `encode_item` / `decode_item`): the file is only trusted to be well-formed. Bounded: a file larger than `MAX_BYTES` is neither written nor
read, and `prune` removes files older than `MAX_AGE` and then the oldest until the directory holds
at most `MAX_TOTAL` bytes. A file that is corrupt, foreign (another cluster's, another schema),
too old, too large or not a regular file is ignored with one debug log line: the cache can only
ever save time, never stop a watch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sovwatch import json_input
from sovwatch.outfiles import OutputFileError, open_private
from sovwatch.redaction import redact
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.recording import decode_item, encode_item

logger = logging.getLogger(__name__)

SCHEMA = "sovwatch.cache/v1"
SUFFIX = ".json"
MAX_AGE = 3600.0
"""Seconds after which a kept picture is too old to show (and its file is pruned)."""
MAX_BYTES = 32 * 1024 * 1024
"""Largest file written or read."""
MAX_TOTAL = 128 * 1024 * 1024
"""Largest total of the cache directory; the oldest files go first."""


@dataclass(frozen=True)
class Identity:
    """Which cluster, as whom, how much of it: a picture is shown only to the same server,
    context, user and namespace (`-n`; "" for all)."""

    server: str
    context: str
    user: str
    namespace: str = ""

    def file_name(self) -> str:
        key = "\0".join((self.server, self.context, self.user, self.namespace))
        digest = hashlib.sha256(key.encode())
        return digest.hexdigest()[:32] + SUFFIX


@dataclass(frozen=True)
class CachedPicture:
    """A kept picture: its objects (as ADDED watch events) and when it was taken."""

    saved_at: float
    items: tuple[WatchEvent, ...]


def directory(environ: Mapping[str, str], home: Path) -> Path:
    """`$XDG_CACHE_HOME/sovwatch` (an absolute one; the XDG spec ignores a relative value), else
    `~/.cache/sovwatch`."""
    base = environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else home / ".cache") / "sovwatch"


def read(path: Path, identity: Identity, *, now: float) -> CachedPicture | None:
    """The picture kept at `path` for `identity`, or None (absent, or unusable: one debug line)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as err:
        logger.debug("picture cache %s ignored: %s", path, err.strerror or err)
        return None
    try:
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ValueError("not a regular file")
            if info.st_size > MAX_BYTES:
                raise ValueError(f"{info.st_size} bytes, more than {MAX_BYTES}")
            saved_at = _check_header(json_input.loads(file.readline()), identity, now)
            items = tuple(_decode_line(line) for line in file)
        return CachedPicture(saved_at=saved_at, items=items)
    except (OSError, ValueError, KeyError, TypeError) as err:
        logger.debug("picture cache %s ignored: %s", path, err)
        return None


def _check_header(header: object, identity: Identity, now: float) -> float:
    """When the picture was taken; ValueError if it is not this identity's or too old."""
    if not isinstance(header, dict) or header.get("schema") != SCHEMA:
        raise ValueError("not a sovwatch picture cache")
    kept = tuple(header.get(k) for k in ("server", "context", "user", "namespace"))
    if kept != (identity.server, identity.context, identity.user, identity.namespace):
        raise ValueError("kept for another cluster or user")
    saved_at = float(header["savedAt"])
    if not 0 <= now - saved_at <= MAX_AGE:
        raise ValueError(f"taken {now - saved_at:.0f}s ago, outside 0..{MAX_AGE:.0f}s")
    return saved_at


def _decode_line(line: bytes) -> WatchEvent:
    item = decode_item(json_input.loads(line))
    if not isinstance(item, WatchEvent) or item.type is not EventType.ADDED:
        raise ValueError("a line that is not an object")
    return item


def write(
    path: Path, identity: Identity, objects: Iterable[WatchEvent], *, saved_at: float
) -> bool:
    """Keep `objects` (slim: taken from the store) as the picture of `identity` at `path`,
    atomically and privately, one redacted line each; False (and one debug line) when it could
    not be written or would exceed `MAX_BYTES`."""
    header = {
        "schema": SCHEMA,
        "server": identity.server,
        "context": identity.context,
        "user": identity.user,
        "namespace": identity.namespace,
        "savedAt": saved_at,
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = open_private(temporary, append=False, what="the picture cache", flag="--no-cache")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            size = file.write(_line(header))
            for item in objects:
                size += file.write(_line(encode_item(item, slimmed=True)))
                if size > MAX_BYTES:
                    raise OSError(f"more than {MAX_BYTES} bytes")
        os.replace(temporary, path)
    except (OSError, OutputFileError) as err:  # a cache that cannot be written only costs time
        logger.debug("picture cache not written: %s", err)
        temporary.unlink(missing_ok=True)
        return False
    return True


def _line(value: dict) -> str:
    return redact(json.dumps(value, separators=(",", ":"), ensure_ascii=False)) + "\n"


def prune(folder: Path, *, now: float) -> None:
    """Remove kept pictures (and leftover temporary files) older than `MAX_AGE`, then the oldest
    until the folder holds at most `MAX_TOTAL` bytes."""
    try:
        entries = [
            (info.st_mtime, info.st_size, entry)
            for entry in folder.iterdir()
            if entry.name.endswith((SUFFIX, ".tmp"))
            and stat.S_ISREG((info := entry.lstat()).st_mode)
        ]
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for mtime, size, entry in sorted(entries, key=lambda e: e[0]):
        if now - mtime <= MAX_AGE and total <= MAX_TOTAL:
            break
        entry.unlink(missing_ok=True)
        total -= size
