"""The recording format: what a watch received, one JSON line per item, replayable later.

A recording is a stream of source items, not of snapshots, so replay feeds the very same store and
model as the live run. Line 1 is a header::

    {"schema": "sovwatch.recording/v1", "sovwatch": "0.1.0", "context": "...", "server": "...",
     "started": 1764240000.0}

and `"warnings"` when the connection had any (`["insecure-skip-tls-verify is set ..."]`, which a
replay says again; older recordings have none), then one line per item, with its receive time `t`
(epoch seconds)::

    {"t": 1764240001.2, "event": "ADDED", "resource": "pods", "object": {...}}
    {"t": 1764240001.3, "stream": "pods", "state": "live", "since": ..., "attempt": 0, "detail": ""}

A fleet's recording (`"fleet": true` in the header) tags every item with its `"cluster"` (the
context name) and notes each cluster when it joins (`"trouble": null`), when its trouble changes,
and when it leaves (`"removed": true`), with the cluster's warnings when it has any (`"warnings"`:
a kubeconfig others may read, insecure-skip-tls-verify)::

    {"t": 1764240001.4, "cluster": "sov-c", "server": "https://...", "trouble": "cannot connect ..."}
    {"t": 1764240002.0, "cluster": "sov-d", "server": "https://...", "trouble": null,
     "warnings": ["insecure-skip-tls-verify is set for cluster 'sov-d' in ...: ..."]}

The writer flushes every line (through gzip's sync flush when the name ends in `.gz`), so an SSH drop
loses nothing already received, creates the file with mode 0600 (never through a symbolic link),
and redacts every line (`sovwatch.redaction`). Objects are slimmed again
before writing, so Secret payloads and pod env values cannot end up in a recording whatever the
source. The reader plays every valid line of a truncated or corrupt file and says where it broke,
and trusts nothing in it: objects are slimmed again and every other string (header, stream
details) neutralised (`sovwatch.untrusted`), so a hand-made or older recording shows as safely as
a live cluster.
Older schemas are upgraded line by line by the small pure functions in `_MIGRATIONS`.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from sovwatch import __version__, json_input
from sovwatch.outfiles import open_private
from sovwatch.redaction import redact
from sovwatch.sources.events import EventType, HealthState, SourceItem, StreamHealth, WatchEvent
from sovwatch.sources.slimming import slim
from sovwatch.untrusted import neutralise

SCHEMA = "sovwatch.recording/v1"
T = TypeVar("T")

_MIGRATIONS: dict[str, Callable[[dict], tuple[str, dict]]] = {}
"""schema → function turning one line of that schema into (next schema, line). None needed yet."""


class RecordingError(Exception):
    """The file cannot be read as a recording at all (missing, not a recording, unknown schema)."""


@dataclass(frozen=True)
class Header:
    """Where and when a recording was taken."""

    schema: str
    version: str
    """The sovwatch version that wrote it."""
    context: str
    server: str
    started: float
    """Epoch seconds when recording began."""
    fleet: bool = False
    """Several clusters' items, each tagged with its cluster (`FleetReader`)."""
    warnings: tuple[str, ...] = ()
    """What the operator was warned of about the connection (insecure-skip-tls-verify), for a
    replay to say again; a fleet's are in its notes."""


@dataclass(frozen=True)
class TroubleNote:
    """A fleet recording's note: a cluster joined, its trouble changed (None: watched), or it
    left (`removed`)."""

    cluster: str
    t: float
    server: str
    trouble: str | None
    removed: bool = False
    warnings: tuple[str, ...] = ()
    """What the operator should know about the cluster then (`Member.warnings`)."""


@dataclass(frozen=True)
class Damage:
    """Where a recording stops being readable; everything before it was played."""

    line: int
    """1-based line number of the first unreadable line."""
    reason: str

    def describe(self, path: Path) -> str:
        reason = neutralise(self.reason)  # may quote the damaged line
        return f"{path}: recording is damaged at line {self.line} ({reason}); played what came before it"


def _create_private(path: Path) -> tuple[IO[bytes], IO[str]]:
    """(the file, its text writer): `path` opened as a new, empty file readable only by its owner,
    never through a symbolic link (`OutputFileError` otherwise)."""
    raw = os.fdopen(open_private(path, append=False, what="the recording", flag="--record"), "wb")
    if path.name.endswith(".gz"):
        return raw, io.TextIOWrapper(gzip.GzipFile(fileobj=raw, mode="wb"), encoding="utf-8")
    return raw, io.TextIOWrapper(raw, encoding="utf-8")


def encode_item(item: SourceItem, *, slimmed: bool = False) -> dict:
    """One source item as a recording line (objects slimmed again on the way out, unless the
    caller took them from the store, which holds nothing else: `slimmed`)."""
    if isinstance(item, StreamHealth):
        return {
            "t": item.since,
            "stream": item.resource,
            "state": item.state.value,
            "since": item.since,
            "attempt": item.attempt,
            "detail": item.detail,
        }
    return {
        "t": item.received_at,
        "event": item.type.value,
        "resource": item.resource,
        "object": item.obj if slimmed else slim(item.obj),
    }


def decode_item(line: dict) -> SourceItem:
    """A recording line back into the source item it was written from (object slimmed, text
    neutralised: the file may have been written by anyone).

    Raises:
        KeyError, ValueError, TypeError: when the line is not a valid item.
    """
    if "stream" in line:
        return StreamHealth(
            resource=neutralise(str(line["stream"])),
            state=HealthState(line["state"]),
            since=float(line["since"]),
            attempt=int(line.get("attempt", 0)),
            detail=neutralise(str(line.get("detail", ""))),
        )
    obj = line["object"]
    if not isinstance(obj, dict):
        raise TypeError("object is not a JSON object")
    return WatchEvent(
        resource=neutralise(str(line["resource"])),
        type=EventType(line["event"]),
        obj=slim(obj),
        received_at=float(line["t"]),
    )


def _texts(value: object) -> tuple[str, ...]:
    """A list of texts (`warnings`) read through the gate; TypeError when it is not a list."""
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return tuple(neutralise(str(text)) for text in value)


def decode_fleet_line(line: dict) -> tuple[str, SourceItem] | TroubleNote:
    """A fleet recording's line: (its cluster, the item), or a trouble note."""
    cluster = neutralise(str(line["cluster"]))
    if "trouble" in line:
        trouble = line["trouble"]
        return TroubleNote(
            cluster=cluster,
            t=float(line["t"]),
            server=neutralise(str(line.get("server", ""))),
            trouble=None if trouble is None else neutralise(str(trouble)),
            removed=line.get("removed") is True,
            warnings=_texts(line.get("warnings", [])),
        )
    return cluster, decode_item(line)


class Recorder:
    """Writes a recording as items arrive. Use as a context manager, or call `close()`. A fleet's
    recorder (`fleet=True`) is given each item's cluster, and notes trouble."""

    def __init__(
        self,
        path: Path,
        *,
        context: str,
        server: str,
        started: float | None = None,
        fleet: bool = False,
        warnings: tuple[str, ...] = (),
    ):
        self.path = path
        self._raw, self._file = _create_private(path)
        header = {
            "schema": SCHEMA,
            "sovwatch": __version__,
            "context": context,
            "server": server,
            "started": time.time() if started is None else started,
        }
        if fleet:
            header["fleet"] = True
        if warnings:
            header["warnings"] = list(warnings)
        self._write(header)

    def _write(self, line: dict) -> None:
        self._file.write(redact(json.dumps(line, separators=(",", ":"), ensure_ascii=False)) + "\n")
        self._file.flush()

    def write(self, item: SourceItem, *, cluster: str | None = None) -> None:
        if isinstance(item, WatchEvent) and item.obj.get("kind") == "Secret":
            return  # never watched; refused here too so no source can leak one into a file
        line = encode_item(item)
        self._write(line if cluster is None else {"cluster": cluster, **line})

    def note(self, note: TroubleNote) -> None:
        """A fleet's cluster joined, its trouble changed, or it left."""
        line = {
            "t": note.t,
            "cluster": note.cluster,
            "server": note.server,
            "trouble": note.trouble,
        }
        if note.warnings:
            line["warnings"] = list(note.warnings)
        self._write(line | {"removed": True} if note.removed else line)

    def close(self) -> None:
        self._file.close()
        self._raw.close()  # a GzipFile leaves the file it was given open

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _migrate(line: dict, schema: str) -> dict:
    while schema != SCHEMA:
        migration = _MIGRATIONS.get(schema)
        if migration is None:
            raise RecordingError(
                f"unknown recording schema {schema!r}; this sovwatch reads {SCHEMA} "
                "(was it written by a newer sovwatch?)"
            )
        schema, line = migration(line)
    return line


def _header(head: dict) -> Header:
    """A header line read through the gate (ValueError or TypeError: a field of the wrong kind)."""
    return Header(
        schema=SCHEMA,
        version=neutralise(str(head.get("sovwatch", ""))),
        context=neutralise(str(head.get("context", ""))),
        server=neutralise(str(head.get("server", ""))),
        started=float(head.get("started", 0.0)),
        fleet=head.get("fleet") is True,
        warnings=_texts(head.get("warnings", [])),
    )


def _open_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")  # noqa: SIM115 - the reader closes it
    return open(path, encoding="utf-8")  # noqa: SIM115 - the reader closes it


class RecordingReader:
    """Reads a recording: `header` right away, then items by iterating; `damage` after that."""

    def __init__(self, path: Path):
        self.path = path
        self.damage: Damage | None = None
        try:
            self._file = _open_text(path)
        except OSError as err:
            raise RecordingError(f"cannot open recording {path}: {err.strerror or err}") from err
        self._line_no = 0
        try:
            first = self._next_line()
            raw = json_input.loads(first) if first is not None else None
        except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as err:
            self.close()
            raise RecordingError(f"{path} is not a sovwatch recording ({err})") from err
        if not isinstance(raw, dict) or "schema" not in raw:
            self.close()
            raise RecordingError(f"{path} is not a sovwatch recording (no header line)")
        self._schema = str(raw["schema"])
        try:
            self.header = _header(_migrate(raw, self._schema))
        except (ValueError, TypeError) as err:
            self.close()
            raise RecordingError(f"{path} is not a sovwatch recording (header: {err})") from err

    def _next_line(self) -> str | None:
        line = self._file.readline()
        if not line:
            return None
        self._line_no += 1
        return line

    def __iter__(self) -> Iterator[SourceItem]:
        return self._read(decode_item)

    def fleet_entries(self) -> Iterator[tuple[str, SourceItem] | TroubleNote]:
        """A fleet recording's lines: (cluster, item) or a trouble note."""
        return self._read(decode_fleet_line)

    def _read(self, decode: Callable[[dict], T]) -> Iterator[T]:
        while True:
            try:
                text = self._next_line()
            except (OSError, EOFError, zlib.error, UnicodeDecodeError) as err:
                self.damage = Damage(self._line_no + 1, f"unreadable: {err}")
                return
            if text is None:
                return
            if not text.endswith("\n"):
                self.damage = Damage(self._line_no, "line cut off")
                return
            if not text.strip():
                continue
            try:
                yield decode(_migrate(json_input.loads(text), self._schema))
            except (ValueError, KeyError, TypeError) as err:
                self.damage = Damage(self._line_no, f"not a valid item: {err}")
                return

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RecordingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
