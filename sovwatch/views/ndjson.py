"""NDJSON: one JSON object per line, each with a `type`, for scripts and log pipelines.

Record types (times are RFC 3339 UTC, like the Kubernetes API writes them):

- `snapshot`: `{"type", "ts", "snapshot"}`: the `sovwatch.snapshot/v1` document; once when every
  stream has listed, and once more at the end. Before them, a live watch may write one whose
  `stale` is set: the picture kept on disk at the last run (`sovwatch.picture_cache`).
- `transition`: `{"type", "ts", "kind", "namespace", "name", "from", "to", "reason", "message"}`
  for every object whose state changed; `from` is null for a new object, `to` null for a deleted one.
- `stream`: `{"type", "ts", "resource", "state", "since", "attempt", "detail"}` when a watch stream's
  health changes.
- `outcome`: `{"type", "ts", "outcome", "exitCode", "why", "progress", "logs"}`, the last line;
  `logs` names each culprit container's decisive log line when the run did not end ready.

`--once` prints the bare snapshot document instead (one line, no record around it).

A snapshot of a large cluster is several megabytes of JSON; it is written piece by piece (each
release, object row and event encoded on its own) rather than encoded whole, which would hold the
whole line two or three times over at once, the process's peak memory. The bytes are the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

import msgspec

from sovwatch.model.snapshot import Snapshot
from sovwatch.model.times import format_time
from sovwatch.sources.events import StreamHealth
from sovwatch.views.culprit_logs import culprit_logs
from sovwatch.views.transitions import Transition

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""`json.dumps(value, ensure_ascii=False, separators=(",", ":"))`, without a new encoder per call."""
_encode_record = msgspec.json.Encoder().encode
"""The same bytes as `_encode`, UTF-8 encoded, for the small records (a transition per changed
object: thousands a second in an event storm) at a fraction of its cost; its floats differ only
in how an exponent is written (`1e20`, not `1e+20`), and no record holds such a number."""
SPLIT_DEPTH = 3
"""How deep a snapshot record is split: record, document, section (`releases`, `objects`,
`events`), then each item is encoded whole (a release with its pods is a few KB)."""


def encode_pieces(value: Any, depth: int = SPLIT_DEPTH) -> Iterator[str]:
    """The compact JSON text of `value` in pieces that join to exactly what `_encode` gives:
    dicts (with string keys) and lists down to `depth` levels are split into their items."""
    if depth and type(value) is dict and all(type(k) is str for k in value):
        sep = "{"
        for key, item in value.items():
            yield f"{sep}{_encode(key)}:"
            yield from encode_pieces(item, depth - 1)
            sep = ","
        yield "}" if value else "{}"
    elif depth and type(value) is list:
        sep = "["
        for item in value:
            yield sep
            yield from encode_pieces(item, depth - 1)
            sep = ","
        yield "]" if value else "[]"
    else:
        yield _encode(value)


def transition_record(t: Transition) -> dict:
    return {
        "type": "transition",
        "ts": format_time(t.ts),
        "kind": t.kind,
        "namespace": t.namespace,
        "name": t.name,
        "from": t.before,
        "to": t.after,
        "reason": t.reason,
        "message": t.message,
    }


def stream_record(health: StreamHealth) -> dict:
    return {
        "type": "stream",
        "ts": format_time(health.since),
        "resource": health.resource,
        "state": health.state.value,
        "since": format_time(health.since),
        "attempt": health.attempt,
        "detail": health.detail,
    }


FLEET_SCHEMA = "sovwatch.fleet/v1"


def write_fleet(out: TextIO, clusters: list[dict]) -> None:
    """A fleet's `--once` document, `{"schema", "clusters": [{"context", "server", "snapshot" |
    "error"}]}`, on one line, written in pieces like a snapshot record."""
    for piece in encode_pieces({"schema": FLEET_SCHEMA, "clusters": clusters}, SPLIT_DEPTH + 2):
        out.write(piece)
    out.write("\n")
    out.flush()


class NdjsonView:
    """Writes NDJSON records to `out`, flushing after every batch; with `cluster` (a fleet's
    member) every record carries it, right after its `type`."""

    def __init__(self, out: TextIO, *, cluster: str | None = None):
        self._out = out
        self._cluster = cluster

    def _tagged(self, record: dict) -> dict:
        if self._cluster is None or "type" not in record:
            return record
        return {"type": record["type"], "cluster": self._cluster, **record}

    def write_records(self, records: list[dict]) -> None:
        """Records of the caller's own (a fleet's), tagged like the view's."""
        self._write(records)

    def _write(self, records: list[dict]) -> None:
        if records:
            lines = b"\n".join(map(_encode_record, map(self._tagged, records)))
            self._out.write(lines.decode() + "\n")
            self._out.flush()

    def _write_large(self, record: dict, depth: int = SPLIT_DEPTH) -> None:
        """One record holding a snapshot, written in pieces (see the module docstring)."""
        write = self._out.write
        for piece in encode_pieces(self._tagged(record), depth):
            write(piece)
        write("\n")
        self._out.flush()

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        self._write([stream_record(health)])

    def cached(self, snapshot: Snapshot, ts: float) -> None:
        """The picture kept on disk, its document's `stale` set."""
        self.synced(snapshot, [], ts)

    def synced(self, snapshot: Snapshot, initial: list[Transition], ts: float) -> None:
        """The first full picture; its objects are not repeated as transitions."""
        document = snapshot.to_dict()
        self._write_large({"type": "snapshot", "ts": format_time(ts), "snapshot": document})

    def changed(self, snapshot: Snapshot, transitions: list[Transition], ts: float) -> None:
        self._write([transition_record(t) for t in transitions])

    def once(self, snapshot: Snapshot) -> None:
        # the bare document: no record around it
        self._write_large(snapshot.to_dict(), SPLIT_DEPTH - 1)

    def finished(self, snapshot: Snapshot, *, outcome: str, code: int, why: str, ts: float) -> None:
        document = snapshot.to_dict()
        self._write_large({"type": "snapshot", "ts": format_time(ts), "snapshot": document})
        self._write(
            [
                {
                    "type": "outcome",
                    "ts": format_time(ts),
                    "outcome": outcome,
                    "exitCode": int(code),
                    "why": why,
                    "progress": document["progress"],
                    "logs": [c.to_dict() for c in culprit_logs(snapshot)] if code else [],
                },
            ]
        )
