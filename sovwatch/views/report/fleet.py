"""A fleet's post-mortem: every cluster of a fleet's recording at a glance, each with its own report.

One `FleetEntry` per cluster, failing first as on the fleet screen (`model.fleet.FleetRow`: the
outcome, "31/38 ready", the worst root cause or the trouble), with the cluster's own `Report`
(None for a cluster that was never watched: it was in trouble from start to end) and the file
name of that report's HTML page beside the index. The HTML index links to those pages; the
Markdown summary is one document, the fleet's table and then each cluster's own summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sovwatch.exitcodes import ExitCode, worst
from sovwatch.model.fleet import (
    RANKS,
    TROUBLE,
    FleetRow,
    FleetTotals,
    MemberState,
    fleet_row,
    fleet_totals,
)
from sovwatch.model.snapshot import Snapshot
from sovwatch.views.report.facts import Report


@dataclass(frozen=True)
class FleetEntry:
    row: FleetRow
    code: int
    """Its exit code: its report's, or 2 for a cluster in trouble at the end."""
    report: Report | None
    page: str | None
    """The file name of its HTML report, beside the index (None without a report)."""
    left: bool = False
    """It left the fleet before the run ended (its kubeconfig file was removed)."""


@dataclass(frozen=True)
class FleetReport:
    totals: FleetTotals
    code: int
    """The fleet's exit code: the run's own, else the worst of its clusters' (as `--exit-on-done`
    gives it)."""
    code_of_run: bool
    started: float
    entries: tuple[FleetEntry, ...]
    recorded_with: str
    sovwatch: str


@dataclass(frozen=True)
class PlayedCluster:
    """One cluster of a fleet's recording, played through its own store and model."""

    name: str
    server: str
    trouble: str | None
    """Its trouble when the recording ended (None: it was being watched)."""
    snapshot: Snapshot | None = None
    """Its last snapshot (None: nothing of it was recorded)."""
    report: Report | None = None
    """Its own report (None without a snapshot)."""
    left: bool = False
    """It left the fleet before the recording ended."""


def build(
    clusters: Sequence[PlayedCluster],
    *,
    exit_code: int | None,
    started: float,
    recorded_with: str,
    sovwatch: str,
    page: Callable[[str], str] | None,
) -> FleetReport:
    """The fleet's report: an entry per cluster, failing first; `exit_code` the run's own if known;
    `page(name)` the file name of a cluster's HTML report (None: no pages, the Markdown form)."""
    entries = [_entry(c, page) for c in clusters]
    entries.sort(key=lambda e: (e.row.rank, e.row.context))
    return FleetReport(
        totals=fleet_totals([e.row for e in entries]),
        code=worst(e.code for e in entries) if exit_code is None else exit_code,
        code_of_run=exit_code is not None,
        started=started,
        entries=tuple(entries),
        recorded_with=recorded_with,
        sovwatch=sovwatch,
    )


def _entry(cluster: PlayedCluster, page: Callable[[str], str] | None) -> FleetEntry:
    report = cluster.report
    row = fleet_row(
        MemberState(
            context=cluster.name,
            server=cluster.server,
            snapshot=cluster.snapshot,
            trouble=cluster.trouble,
            started_at=report.verdict.started if report is not None else None,
            now=report.verdict.ended if report is not None else None,
        )
    )
    if report is None or (cluster.trouble and report.verdict.decided is None):
        # never watched, or undecided and in trouble at the end: as `--exit-on-done` decides it
        return FleetEntry(
            replace(row, outcome=TROUBLE, rank=min(row.rank, RANKS[TROUBLE])),
            ExitCode.USAGE,
            report,
            page(cluster.name) if page is not None and report is not None else None,
            cluster.left,
        )
    return FleetEntry(
        replace(row, outcome=report.verdict.outcome),
        report.verdict.code,
        report,
        page(cluster.name) if page is not None else None,
        cluster.left,
    )
