"""NDJSON: one JSON object per line, each with a `type`, for scripts and log pipelines.

Record types (times are RFC 3339 UTC, like the Kubernetes API writes them):

- `snapshot`: `{"type", "ts", "snapshot"}`: the `sovwatch.snapshot/v1` document; once when every
  stream has listed, and once more at the end.
- `transition`: `{"type", "ts", "kind", "namespace", "name", "from", "to", "reason", "message"}`
  for every object whose state changed; `from` is null for a new object, `to` null for a deleted one.
- `stream`: `{"type", "ts", "resource", "state", "since", "attempt", "detail"}` when a watch stream's
  health changes.
- `outcome`: `{"type", "ts", "outcome", "exitCode", "why", "progress"}`, the last line.

`--once` prints the bare snapshot document instead (one line, no record around it).
"""

from __future__ import annotations

import json
from typing import TextIO

from sovwatch.model.times import format_time
from sovwatch.sources.events import StreamHealth
from sovwatch.views.transitions import Transition


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


class NdjsonView:
    """Writes NDJSON records to `out`, flushing after every batch."""

    def __init__(self, out: TextIO):
        self._out = out

    def _write(self, records: list[dict]) -> None:
        if records:
            self._out.write(
                "".join(
                    json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records
                )
            )
            self._out.flush()

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        self._write([stream_record(health)])

    def synced(self, snapshot: dict, initial: list[Transition], ts: float) -> None:
        """The first full picture; its objects are not repeated as transitions."""
        self._write([{"type": "snapshot", "ts": format_time(ts), "snapshot": snapshot}])

    def changed(self, snapshot: dict, transitions: list[Transition], ts: float) -> None:
        self._write([transition_record(t) for t in transitions])

    def once(self, snapshot: dict) -> None:
        self._write([snapshot])

    def finished(self, snapshot: dict, *, outcome: str, code: int, why: str, ts: float) -> None:
        self._write(
            [
                {"type": "snapshot", "ts": format_time(ts), "snapshot": snapshot},
                {
                    "type": "outcome",
                    "ts": format_time(ts),
                    "outcome": outcome,
                    "exitCode": int(code),
                    "why": why,
                    "progress": snapshot.get("progress"),
                },
            ]
        )
