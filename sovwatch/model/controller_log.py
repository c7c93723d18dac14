"""helm-controller's own words about a failing release: its JSON log lines about that HelmRelease.

For a release that is failed or stalled, `controller_log_targets` asks for helm-controller's log
lines about it (as `flux logs --kind HelmRelease --name X -n NS` filters them); the source side
reads helm-controller's log again when the release's state or reason changes and feeds the lines
back as a `HelmControllerLog` object named after the release:

    {"kind": "HelmControllerLog", "apiVersion": "sovwatch.io/v1",
     "metadata": {"namespace": "flux-system", "name": "bp-spire"},
     "lines": ["{\"level\":\"error\",\"ts\":\"...\",\"msg\":\"Reconciler error\",...}", ...]}

The model parses each line into `{ts, level, msg, error}` for the snapshot
(`releases[].helmControllerLog`) and the detail pane.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sovwatch.model.decisive_line import json_record
from sovwatch.model.states import State
from sovwatch.sources.events import ControllerLogTarget
from sovwatch.untrusted import neutralise

Key = tuple[str, str, str]
WANTED_STATES = (State.FAILED, State.STALLED)


@dataclass(frozen=True, slots=True)
class ControllerLine:
    ts: str
    level: str
    msg: str
    error: str

    def to_dict(self) -> dict:
        return {"ts": self.ts, "level": self.level, "msg": self.msg, "error": self.error}


def controller_log_targets(releases: Iterable[tuple[Key, State, str]]) -> list[ControllerLogTarget]:
    """A target per failed or stalled release, from (key, state, reason): read again when the
    state or reason changes, not when a message counts restarts."""
    return [
        ControllerLogTarget(key[1], key[2], f"{state}|{reason}")
        for key, state, reason in releases
        if state in WANTED_STATES
    ]


def parse_line(line: str) -> ControllerLine | None:
    record = json_record(line)
    if record is None:
        return None
    return ControllerLine(  # decoding JSON can bring back controls the gate escaped: gate again
        ts=neutralise(str(record.get("ts") or "")),
        level=neutralise(str(record.get("level") or "")),
        msg=neutralise(str(record.get("msg") or "")),
        error=neutralise(str(record.get("error") or "")),
    )


def read_controller_log(obj: dict) -> tuple[ControllerLine, ...]:
    lines = obj.get("lines")
    if not isinstance(lines, list):
        return ()
    return tuple(parsed for line in lines if (parsed := parse_line(str(line))) is not None)
