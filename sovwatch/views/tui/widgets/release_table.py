"""The releases table: one row per HelmRelease, in dependency order.

Columns adapt to the width: state, name, time in state, workloads and root cause are always there;
probes, volumes and chart@version join, in that order, while the cause column keeps at least
`CAUSE_MIN` cells (at 80 columns it gets about 31, and `ShortCause.fit` decides what of the
cause survives). A resize across such a step rebuilds the columns once; data updates never do.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding

from sovwatch.model.states import State
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import Palette
from sovwatch.views.tui.viewmodel import ReleaseRow, age, settled_age
from sovwatch.views.tui.widgets.keyed_table import Column, KeyedTable

STATE_WIDTH = 14
"""Glyph, space, the longest state word ("progressing") and the gap."""
AGE_WIDTH = 6
"""Time in state, "1h05m" and the gap."""
CAUSE_MIN = 36
SCROLLBAR = 1
OPTIONAL = ("probes", "volumes", "chart")
"""Columns shown when there is room, in order of priority."""


CAUSE_LABELS = ("Blocked by / cause", "Cause")
"""The cause column's header, and its deliberate abbreviation when the column is narrower."""


def _column(key: str, label: str, content: int) -> Column:
    """A column wide enough for its content and for its whole header, plus the one-cell gap."""
    return Column(key, label, max(content, len(label)) + 1)


def layout(width: int, rows: Sequence[ReleaseRow]) -> tuple[Column, ...]:
    """The columns for a table `width` cells wide, sized for `rows`; every header stays whole."""
    name = _column("name", "Release", min(max((len(r.name) for r in rows), default=7), 28))
    candidates = {
        "probes": _column("probes", "Probes", 7),
        "volumes": _column("volumes", "Volumes", 7),
        "chart": _column("chart", "Chart", min(max((len(r.chart) for r in rows), default=5), 32)),
    }
    fixed = STATE_WIDTH + name.width + AGE_WIDTH + 6 + SCROLLBAR
    room = width - fixed
    shown = set()
    for key in OPTIONAL:
        if room - candidates[key].width >= CAUSE_MIN:
            shown.add(key)
            room -= candidates[key].width
    columns = [Column("state", "State", STATE_WIDTH), name]
    if "chart" in shown:
        columns.append(candidates["chart"])
    columns += [Column("age", "For", AGE_WIDTH), Column("pods", "Pods", 6)]
    columns += [candidates[k] for k in ("probes", "volumes") if k in shown]
    label = next((c for c in CAUSE_LABELS if len(c) < room), CAUSE_LABELS[-1])
    columns.append(Column("cause", label, max(room, len(label) + 1)))
    return tuple(columns)


def cells(
    row: ReleaseRow, columns: Sequence[Column], *, now: float, glyphs: Glyphs, palette: Palette
) -> tuple[Text, ...]:
    """The styled cells of one row for the given columns (fresh objects per call)."""
    style = palette.state[row.state]
    values = {
        "state": Text(f"{glyphs.state[row.state]} {row.state.value}", style=style),
        "name": Text(row.name),
        "chart": Text(row.chart, style=palette.muted),
        "age": Text(_age_text(row, now, glyphs)),
        "pods": Text(row.workloads),
        "probes": Text(row.probes, style=style if "fail" in row.probes else ""),
        "volumes": Text(row.volumes, style=style if "err" in row.volumes else ""),
    }
    by_key = {c.key: c for c in columns}
    cause_width = by_key["cause"].width - 1 if "cause" in by_key else 0
    values["cause"] = Text(row.cause.fit(cause_width, glyphs), style=style)
    return tuple(values[c.key] for c in columns)


def _age_text(row: ReleaseRow, now: float, glyphs: Glyphs) -> str:
    """Time in state: to the minute while a release is moving or in trouble, coarse once ready."""
    if row.since is None:
        return glyphs.dash
    seconds = now - row.since
    return settled_age(seconds) if row.state is State.READY else age(seconds)


class ReleaseTable(KeyedTable):
    """The releases, one keyed row each (`namespace/name`)."""

    BINDINGS = [Binding("enter", "select_cursor", "Details")]

    def __init__(self, *, glyphs: Glyphs, id: str | None = None) -> None:
        super().__init__(id=id)
        self.glyphs = glyphs
        self._rows: list[ReleaseRow] = []
        self._sizing: list[ReleaseRow] = []
        self._now = time.time()
        self._made: dict[str, tuple[ReleaseRow, str, tuple[Text, ...]]] = {}
        """Each shown row's cells with the row and age text they were made from."""
        self._made_for: tuple[tuple[Column, ...], Palette] | None = None

    def show(
        self,
        rows: Sequence[ReleaseRow],
        *,
        sizing: Sequence[ReleaseRow],
        now: float,
        palette: Palette,
    ) -> None:
        """Display `rows` in this order (already filtered and arranged); columns are sized for
        `sizing` (every release) so that filtering does not change them."""
        self._rows, self._sizing, self._now = list(rows), list(sizing), now
        self._render(palette)

    def relayout(self, palette: Palette) -> None:
        """Re-fit the columns to the current width (on resize)."""
        self._render(palette)

    def _render(self, palette: Palette) -> None:
        width = self.size.width or self.app.size.width
        self.set_columns(layout(width, self._sizing))
        columns = self.layout_columns
        made = self._made if self._made_for == (columns, palette) else {}
        self._made, self._made_for = {}, (columns, palette)
        rows = []
        for row in self._rows:
            age_text = _age_text(row, self._now, self.glyphs)
            kept = made.get(row.key)
            if kept is not None and kept[1] == age_text and (kept[0] is row or kept[0] == row):
                row_cells = kept[2]  # most rows are unchanged: their cells are not made again
            else:
                row_cells = cells(row, columns, now=self._now, glyphs=self.glyphs, palette=palette)
            self._made[row.key] = (row, age_text, row_cells)
            rows.append((row.key, row_cells))
        self.sync(rows)
