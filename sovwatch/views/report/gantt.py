"""The timeline's geometry: every release's bar by wave, as numbers an SVG template draws.

The x axis runs from the earliest instant known (the run's start or the first release's first-seen
time, but no earlier than the run's own length before its start) to the end of the run. Per
release: a thin line while it waited on its dependencies (first seen to could start), a light bar
while it could start but its current attempt had not begun (could start to started: Flux's requeue,
the chart pull, earlier attempts), a solid bar while the Helm action ran (started to installed) and
another while its pods became ready (installed to ready), to the end for what never got there; red
spans while it was failed or stalled (a sliver when that was its state at the very end), and a tick
at each retry. No markup is built here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sovwatch.views.report.facts import ReleaseRun, Report
from sovwatch.views.transitions import BAD

WIDTH = 960.0
LABEL_WIDTH = 200.0
RIGHT_MARGIN = 12.0
ROW = 16.0
WAVE_HEADER = 20.0
AXIS = 22.0
Scale = Callable[[float], float]
"""Epoch seconds -> x."""
_TICK_STEPS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)
_MAX_TICKS = 8


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    kind: str
    """`deps` (waiting on dependencies), `wait` (could start, current attempt not begun), `work`
    (the Helm action), `pods` (installed, pods not all ready yet), or a bad state (`failed`,
    `stalled`)."""
    start: float
    end: float


@dataclass(frozen=True)
class Row:
    y: float
    release: ReleaseRun
    segments: tuple[Segment, ...]
    retries: tuple[float, ...]
    """x of each retry."""
    outline: Segment | None
    """Around the work of a release on the critical path (started to ready)."""


@dataclass(frozen=True)
class Band:
    """A wave's header line."""

    y: float
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Gantt:
    width: float
    height: float
    label_width: float
    rows: tuple[Row, ...]
    bands: tuple[Band, ...]
    ticks: tuple[Tick, ...]
    end_x: float


def layout(report: Report) -> Gantt:
    """Lay out every release of `report`, wave by wave (releases without a wave last)."""
    v = report.verdict
    earliest = min([v.started, *(r.first_seen for r in report.releases if r.first_seen)])
    # releases created long before the run (a day-2 watch) would squash it: at most as much time
    # before the run as the run itself; what began earlier is cut at the left edge
    t0 = max(earliest, v.started - max(v.ended - v.started, 60.0))
    t1 = max(v.ended, t0 + 1.0)
    scale = (WIDTH - LABEL_WIDTH - RIGHT_MARGIN) / (t1 - t0)

    def x(t: float) -> float:
        return round(LABEL_WIDTH + (min(max(t, t0), t1) - t0) * scale, 2)

    groups = [(f"wave {wave[0].wave}", wave) for wave in report.waves]
    if report.unplaced:
        groups.append(("no wave (dependency cycle)", report.unplaced))
    rows: list[Row] = []
    bands: list[Band] = []
    y = AXIS
    for label, releases in groups:
        bands.append(Band(y, label))
        y += WAVE_HEADER
        for release in releases:
            rows.append(_row(release, y, x, t1))
            y += ROW
    return Gantt(
        width=WIDTH,
        height=round(y + 4, 2),
        label_width=LABEL_WIDTH,
        rows=tuple(rows),
        bands=tuple(bands),
        ticks=_ticks(t0, t1, x),
        end_x=x(t1),
    )


def _row(release: ReleaseRun, y: float, x: Scale, end: float) -> Row:
    done = release.ready or end
    installed = release.installed
    if installed is None or installed >= done or installed < (release.started or installed):
        installed = None
    spans: list[tuple[str, float | None, float | None]] = [
        ("deps", release.first_seen, release.could_start or end),
        ("wait", release.could_start, release.started or (end if release.could_start else None)),
        ("work", release.started, installed or done),
        ("pods", installed, done),
    ]
    spans += [(s.state, s.start, s.end) for s in release.troubles]
    segments = tuple(
        Segment(x(a), max(round(x(b) - x(a), 2), 1.0), kind, a, b)
        for kind, a, b in spans
        if a is not None and b is not None and (b > a or (b == a and kind in BAD))
    )
    work = [s for s in segments if s.kind in ("work", "pods")]
    outline = None
    if release.critical and work:
        outline = Segment(
            work[0].x,
            round(work[-1].x + work[-1].width - work[0].x, 2),
            "critical",
            work[0].start,
            work[-1].end,
        )
    return Row(
        y=y,
        release=release,
        segments=segments,
        retries=tuple(x(t) for t in release.retries),
        outline=outline,
    )


def _ticks(t0: float, t1: float, x: Scale) -> tuple[Tick, ...]:
    span = t1 - t0
    step = next((s for s in _TICK_STEPS if span / s <= _MAX_TICKS), _TICK_STEPS[-1])
    return tuple(Tick(x(t0 + i * step), _offset(i * step)) for i in range(int(span // step) + 1))


def _offset(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"+{s}s"
    if s < 3600:
        return f"+{s // 60}m" + (f"{s % 60:02d}s" if s % 60 else "")
    return f"+{s // 3600}h" + (f"{s % 3600 // 60:02d}m" if s % 3600 else "")
