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

from sovwatch.model.progress import Progress
from sovwatch.model.snapshot import ReleaseView, Snapshot
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


def ago(seconds: float) -> str:
    """ "45s", "4m", "1h05m"."""
    seconds = int(max(seconds, 0))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


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


def progress_text(progress: Progress) -> str:
    total = progress.total
    expected = progress.expected or total
    seen = f", {total} seen" if expected != total else ""
    counts = ", ".join(
        f"{count} {word}"
        for word, count in (
            ("failed", progress.failed),
            ("waiting", progress.waiting),
            ("progressing", progress.progressing),
        )
        if count
    )
    detail = "; ".join(p for p in (seen.lstrip(", "), counts) if p)
    return f"{progress.ready}/{expected} ready" + (f" ({detail})" if detail else "")


def root_cause_text(release: ReleaseView) -> str:
    """Why a release is not ready, down to what blocks it, in ASCII and without the release's own
    name: `<- bp-loki <- pod loki/loki-0 ContainerCreating <- Multi-Attach error ...`."""
    root = release.root_cause
    if root is None:
        return ""
    cause = root.cause
    chain = root.text or (
        f"{subject(cause.kind, cause.namespace, cause.name)} "
        f"{cause.state}{because(cause.reason, cause.message)}"
    )
    steps = chain.split(" \u2190 ")
    if steps[0] == release.key[2]:
        steps[0] = ""
    return " <- ".join(steps).strip()


EXCERPT_LINES = 5
"""Newest log lines the failure summary prints under each decisive line."""


def log_section(snapshot: Snapshot) -> list[str]:
    """For a failed run: each culprit container's decisive log line and its newest lines, once per
    container, naming every release it holds back.

        log of pod/external-dns/external-dns-6f9-x2x container external-dns (previous run), bp-external-dns:
          decisive: Get "http://powerdns-api...": dial tcp 10.43.112.7:8081: connect: connection refused
          | time="2026-12-06T09:16:40Z" level=info msg="Created Kubernetes client https://10.43.0.1:443"
          | time="2026-12-06T09:16:41Z" level=fatal msg="Get ..."
    """
    lines = []
    for culprit in culprit_logs(snapshot):
        cause, excerpt = culprit.cause, culprit.excerpt
        where = subject(cause.kind, cause.namespace, cause.name)
        lines.append(
            f"log of {where} container {excerpt.container} ({excerpt.run} run), "
            f"{', '.join(culprit.releases)}:"
        )
        lines.append(f"  decisive: {one_line(excerpt.decisive or '-', 2 * MESSAGE_WIDTH)}")
        lines += [f"  | {one_line(line)}" for line in excerpt.lines[-EXCERPT_LINES:]]
    return lines


def _warnings(snapshot: Snapshot) -> list[str]:
    return [" ".join(w.split()) for w in snapshot.cluster.warnings]


class PlainView:
    """Writes the plain log to `out`, flushing after every write so a CI log streams; every line
    starts with `prefix` (a fleet's member: its name and a space)."""

    def __init__(self, out: TextIO, *, color: bool = False, prefix: str = ""):
        self._out = out
        self._prefix = prefix
        self._color = color
        self._progress: tuple | None = None
        self._waiting_for: str | None = None

    def _state(self, state: str | None, fallback: str) -> str:
        word = state or fallback
        if self._color and state in _COLORS:
            return f"\x1b[{_COLORS[state]}m{word}\x1b[0m"
        return word

    def write_lines(self, lines: list[str]) -> None:
        """Lines of the caller's own (a fleet's trouble lines), prefixed like the view's."""
        self._write(lines)

    def _write(self, lines: list[str]) -> None:
        if lines:
            self._out.write("".join(f"{self._prefix}{line}\n" for line in lines))
            self._out.flush()

    def _transition(self, t: Transition) -> str:
        return (
            f"{clock(t.ts)} {subject(t.kind, t.namespace, t.name)} "
            f"{self._state(t.before, 'new')} -> {self._state(t.after, 'deleted')}"
            f"{because(t.reason, t.message)}"
        )

    def _progress_line(self, snapshot: Snapshot, ts: float) -> list[str]:
        progress = snapshot.progress
        key = (progress.ready, progress.total, progress.expected, progress.failed)
        if key == self._progress:
            return []
        self._progress = key
        return [f"{clock(ts)} progress {progress_text(progress)}"]

    def _waiting_line(self, snapshot: Snapshot, ts: float) -> list[str]:
        """What sovwatch waits for while there is no HelmRelease, each time it changes."""
        waiting = snapshot.waiting_for
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

    def cached(self, snapshot: Snapshot, ts: float) -> None:
        """The picture kept on disk, before the cluster's own: one line, marked stale."""
        assert snapshot.stale is not None
        waiting = f"; {one_line(snapshot.waiting_for)}" if snapshot.waiting_for else ""
        self._write(
            [
                f"{clock(ts)} stale: cached {ago(snapshot.stale.age(ts))} ago, connecting...: "
                f"progress {progress_text(snapshot.progress)}{waiting}"
            ]
        )

    def synced(self, snapshot: Snapshot, initial: list[Transition], ts: float) -> None:
        """Every stream has listed: say what is there now."""
        streams = snapshot.streams
        live = sum(1 for s in streams if s.state == HealthState.LIVE)
        lines = [f"{clock(ts)} synced: {live}/{len(streams)} streams live"]
        lines += [f"{clock(ts)} warning: {w}" for w in _warnings(snapshot)]
        lines += [self._transition(t) for t in initial if is_rollout_level(t)]
        self._write(lines + self._waiting_line(snapshot, ts) + self._progress_line(snapshot, ts))

    def changed(self, snapshot: Snapshot, transitions: list[Transition], ts: float) -> None:
        lines = [self._transition(t) for t in transitions if is_rollout_level(t)]
        self._write(lines + self._waiting_line(snapshot, ts) + self._progress_line(snapshot, ts))

    def once(self, snapshot: Snapshot) -> None:
        self._write(self.table(snapshot))

    def finished(self, snapshot: Snapshot, *, outcome: str, code: int, why: str, ts: float) -> None:
        progress = progress_text(snapshot.progress)
        tail = f"{clock(ts)} outcome {outcome} (exit {code}): {progress}" + (
            f"; {why}" if why else ""
        )
        logs = log_section(snapshot) if code else []
        self._write(self.table(snapshot) + logs + [tail])

    # -- the summary table -----------------------------------------------------------------------

    def table(self, snapshot: Snapshot) -> list[str]:
        """One row per release (in the model's order), then streams that are not live."""
        header = ("NAME", "STATE", "PODS", "REASON", "DETAIL")
        rows = []
        for release in snapshot.releases:
            workloads, verdict = release.core.workloads, release.verdict
            pods = f"{workloads.ready}/{workloads.total}" if workloads.total else "-"
            state = str(verdict.state)
            detail = root_cause_text(release) if state != "ready" else ""
            rows.append(
                (
                    subject(HELMRELEASE, *release.key[1:]),
                    state,
                    pods,
                    verdict.reason or "-",
                    one_line(detail or verdict.message or ""),
                )
            )
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
        lines = []
        for row in [header, *rows]:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            if row is not header:
                cells[1] = self._state(row[1], "") + " " * (widths[1] - len(row[1]))
            lines.append("  ".join([*cells, row[-1]]).rstrip())
        if snapshot.waiting_for:
            lines.append(one_line(snapshot.waiting_for))
        for stream in snapshot.streams:
            if stream.state != HealthState.LIVE:
                lines.append(f"stream {stream.resource} {stream.state}")
        lines += [f"warning: {w}" for w in _warnings(snapshot)]
        return lines
