"""Plain text: one line per meaningful change, for CI logs, `tee` and `grep` on a bastion.

Every line starts with the local time `HH:MM:SS` and a subject, and its shape never depends on the
terminal: no ANSI codes unless colour is forced, no wrapping, no glyphs outside ASCII (text written
by the cluster is passed through as it is). What is printed:

    12:04:31 bp-loki waiting -> progressing (Progressing: Running 'install' action with timeout of 5m0s)
    12:04:31 pod/loki/loki-0 progressing -> failed (CrashLoopBackOff: back-off 40s restarting ...)
    12:04:32 progress 12/38 ready (1 failed, 20 waiting, 5 progressing)
    12:04:40 stream pods reconnecting (attempt 2): server closed the connection
    12:04:02 warning: insecure-skip-tls-verify is set for cluster 'sov' in ...: the server's ...
    12:04:02 waiting for Flux: HelmRelease CRD not installed yet
    12:30:02 outcome ready (exit 0): 38/38 ready

A HelmRelease in flux-system is named by its name alone (that is how the bootstrap-kit refers to
them), any other object as `kind/namespace/name`. The summary table comes before the final outcome
line, so `tail -1` is the verdict; when the run did not end ready, the decisive log line and the
newest log lines of each culprit container come between them (`log_section`).
"""

from __future__ import annotations

import time
from typing import TextIO

from sovwatch.sources.events import HealthState, StreamHealth
from sovwatch.views.culprit_logs import culprit_logs
from sovwatch.views.transitions import HELMRELEASE, Transition, is_rollout_level

MESSAGE_WIDTH = 160
"""Messages longer than this are cut with '...' so a line stays a line."""

_COLORS = {
    "ready": "32",
    "progressing": "36",
    "waiting": "33",
    "failed": "31",
    "stalled": "1;31",
    "suspended": "35",
    "unknown": "2",
}


def clock(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts))


def one_line(text: str, width: int = MESSAGE_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3].rstrip() + "..."


def subject(kind: str, namespace: str, name: str) -> str:
    if kind == HELMRELEASE:
        return name if namespace in ("flux-system", "") else f"{namespace}/{name}"
    return "/".join(p for p in (kind.lower(), namespace, name) if p)


def because(reason: str, message: str) -> str:
    """`(Reason: message)`, `(Reason)` or nothing."""
    text = ": ".join(p for p in (reason, one_line(message)) if p)
    return f" ({text})" if text else ""


def progress_text(progress: dict) -> str:
    ready = progress.get("ready", 0)
    total = progress.get("total", 0)
    expected = progress.get("expected") or total
    seen = f", {total} seen" if expected != total else ""
    counts = ", ".join(
        f"{progress[key]} {key}"
        for key in ("failed", "waiting", "progressing")
        if progress.get(key)
    )
    detail = "; ".join(p for p in (seen.lstrip(", "), counts) if p)
    return f"{ready}/{expected} ready" + (f" ({detail})" if detail else "")


def root_cause_text(release: dict) -> str:
    """Why a release is not ready, down to what blocks it, in ASCII and without the release's own
    name: `<- bp-loki <- pod loki/loki-0 ContainerCreating <- Multi-Attach error ...`."""
    cause = release.get("rootCause")
    if not cause:
        return ""
    chain = cause.get("chain") or (
        f"{subject(cause.get('kind', ''), cause.get('namespace', ''), cause.get('name', ''))} "
        f"{cause.get('state', '')}{because(cause.get('reason', ''), cause.get('message', ''))}"
    )
    steps = chain.split(" \u2190 ")
    if steps[0] == release.get("name"):
        steps[0] = ""
    return " <- ".join(steps).strip()


EXCERPT_LINES = 5
"""Newest log lines the failure summary prints under each decisive line."""


def log_section(snapshot: dict) -> list[str]:
    """For a failed run: each culprit container's decisive log line and its newest lines, once per
    container, naming every release it holds back.

        log of pod/external-dns/external-dns-6f9-x2x container external-dns (previous run), bp-external-dns:
          decisive: Get "http://powerdns-api...": dial tcp 10.43.112.7:8081: connect: connection refused
          | time="2026-12-06T09:16:40Z" level=info msg="Created Kubernetes client https://10.43.0.1:443"
          | time="2026-12-06T09:16:41Z" level=fatal msg="Get ..."
    """
    lines = []
    for culprit in culprit_logs(snapshot):
        run = "previous run" if culprit["run"] == "previous" else "current run"
        where = subject(culprit["kind"], culprit["namespace"], culprit["name"])
        lines.append(
            f"log of {where} container {culprit['container']} ({run}), "
            f"{', '.join(culprit['releases'])}:"
        )
        lines.append(f"  decisive: {one_line(culprit['decisive'] or '-', 2 * MESSAGE_WIDTH)}")
        lines += [f"  | {one_line(line)}" for line in culprit["lines"][-EXCERPT_LINES:]]
    return lines


def _warnings(snapshot: dict) -> list[str]:
    return [" ".join(w.split()) for w in (snapshot.get("cluster") or {}).get("warnings") or ()]


class PlainView:
    """Writes the plain log to `out`, flushing after every write so a CI log streams."""

    def __init__(self, out: TextIO, *, color: bool = False):
        self._out = out
        self._color = color
        self._progress: tuple | None = None
        self._waiting_for: str | None = None

    def _state(self, state: str | None, fallback: str) -> str:
        word = state or fallback
        if self._color and state in _COLORS:
            return f"\x1b[{_COLORS[state]}m{word}\x1b[0m"
        return word

    def _write(self, lines: list[str]) -> None:
        if lines:
            self._out.write("".join(line + "\n" for line in lines))
            self._out.flush()

    def _transition(self, t: Transition) -> str:
        return (
            f"{clock(t.ts)} {subject(t.kind, t.namespace, t.name)} "
            f"{self._state(t.before, 'new')} -> {self._state(t.after, 'deleted')}"
            f"{because(t.reason, t.message)}"
        )

    def _progress_line(self, snapshot: dict, ts: float) -> list[str]:
        progress = snapshot.get("progress") or {}
        key = tuple(progress.get(k) for k in ("ready", "total", "expected", "failed"))
        if key == self._progress:
            return []
        self._progress = key
        return [f"{clock(ts)} progress {progress_text(progress)}"]

    def _waiting_line(self, snapshot: dict, ts: float) -> list[str]:
        """What sovwatch waits for while there is no HelmRelease, each time it changes."""
        waiting = snapshot.get("waitingFor")
        if waiting == self._waiting_for:
            return []
        self._waiting_for = waiting
        return [f"{clock(ts)} {one_line(waiting)}"] if waiting else []

    # -- what the headless runner calls ----------------------------------------------------------

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        """A stream's health changed. Before the first sync only trouble is news."""
        if not synced and health.state in (HealthState.CONNECTING, HealthState.LIVE):
            return
        attempt = f" (attempt {health.attempt})" if health.attempt else ""
        detail = f": {one_line(health.detail)}" if health.detail else ""
        self._write(
            [f"{clock(health.since)} stream {health.resource} {health.state}{attempt}{detail}"]
        )

    def synced(self, snapshot: dict, initial: list[Transition], ts: float) -> None:
        """Every stream has listed: say what is there now."""
        streams = snapshot.get("streams") or ()
        live = sum(1 for s in streams if s.get("state") == HealthState.LIVE)
        lines = [f"{clock(ts)} synced: {live}/{len(streams)} streams live"]
        lines += [f"{clock(ts)} warning: {w}" for w in _warnings(snapshot)]
        lines += [self._transition(t) for t in initial if is_rollout_level(t)]
        self._write(lines + self._waiting_line(snapshot, ts) + self._progress_line(snapshot, ts))

    def changed(self, snapshot: dict, transitions: list[Transition], ts: float) -> None:
        lines = [self._transition(t) for t in transitions if is_rollout_level(t)]
        self._write(lines + self._waiting_line(snapshot, ts) + self._progress_line(snapshot, ts))

    def once(self, snapshot: dict) -> None:
        self._write(self.table(snapshot))

    def finished(self, snapshot: dict, *, outcome: str, code: int, why: str, ts: float) -> None:
        progress = progress_text(snapshot.get("progress") or {})
        tail = f"{clock(ts)} outcome {outcome} (exit {code}): {progress}" + (
            f"; {why}" if why else ""
        )
        logs = log_section(snapshot) if code else []
        self._write(self.table(snapshot) + logs + [tail])

    # -- the summary table -----------------------------------------------------------------------

    def table(self, snapshot: dict) -> list[str]:
        """One row per release (in the model's order), then streams that are not live."""
        header = ("NAME", "STATE", "PODS", "REASON", "DETAIL")
        rows = []
        for release in snapshot.get("releases") or ():
            workloads = release.get("workloads") or {}
            pods = f"{workloads['ready']}/{workloads['total']}" if workloads.get("total") else "-"
            state = release.get("state", "")
            detail = root_cause_text(release) if state != "ready" else ""
            rows.append(
                (
                    subject(HELMRELEASE, release.get("namespace", ""), release.get("name", "")),
                    state,
                    pods,
                    release.get("reason") or "-",
                    one_line(detail or release.get("message") or ""),
                )
            )
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
        lines = []
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            if row is not header:
                cells[1] = self._state(row[1], "") + " " * (widths[1] - len(row[1]))
            lines.append("  ".join([*cells, row[-1]]).rstrip())
        if snapshot.get("waitingFor"):
            lines.append(one_line(snapshot["waitingFor"]))
        for stream in snapshot.get("streams") or ():
            if stream.get("state") != HealthState.LIVE:
                lines.append(f"stream {stream.get('resource')} {stream.get('state')}")
        lines += [f"warning: {w}" for w in _warnings(snapshot)]
        return lines
