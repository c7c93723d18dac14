"""A DataTable kept in step with a list of keyed rows, touching only what changed.

Measured (a 5,000-row DataTable under `App.run_test`: one `update_cell` per change at 100/s kept a
core ~70 % busy, the same changes coalesced at 4 Hz ~23 %): every `update_cell` invalidates the
table's render caches and `clear()` + `add_rows` per update costs a full repaint, so `sync()` compares before it writes:
rows that disappeared are removed, new rows are added, and only cells whose value differs are
updated. When the wanted order differs from the shown order (dependency waves shift rarely), the rows
are re-sorted in place with one `sort()` call and the cursor stays on the same release; the table is
never rebuilt for data. It is rebuilt only when its columns change (a resize across a layout step).

`DataTable.update_cell` also calls a bare `refresh()`, which marks the whole widget dirty: the
next frame re-sends every visible row to the terminal even when one cell changed (over SSH that was
most of the bytes). While `sync()` rewrites cells in place, those bare refreshes are swallowed and
only the regions of the cells that changed are refreshed (`refresh_coordinate`, public API), so a
frame carries just those cells. Adding, removing or reordering rows still repaints the whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widgets import DataTable

from sovwatch.views.tui.glyphs import to_ascii

Cells = tuple[Text, ...]
_STRUCTURAL = ("layout", "recompose")
"""`refresh()` flags that change more than pixels; never swallowed."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    """Content width in cells; it includes the one-cell gap to the next column."""


class KeyedTable(DataTable):
    """A DataTable synced from `(key, cells)` rows with minimal writes."""

    ascii_only = False
    """Set on the class by the app in ASCII mode: every character shown is made ASCII."""
    _in_place = False
    """True only inside `_update_in_place` (a class default: DataTable refreshes in __init__)."""
    _collected: list[Region] | None = None
    """While `_refresh_changed` gathers one row's cell regions, they are kept here."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("home", "scroll_top", "First", show=False),
        Binding("end", "scroll_bottom", "Last", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id, classes=classes, cursor_type="row", cell_padding=0, zebra_stripes=False
        )
        self._columns: tuple[Column, ...] = ()
        self._shown: dict[str, Cells] = {}
        """What each row currently displays, by row key (the objects the table holds)."""
        self.writes = 0
        """Cells added or updated so far; tests and the bench use it to prove calm updates."""
        self.full_repaints = 0
        """Syncs that had to repaint the whole table (rows added, removed or moved)."""

    @property
    def layout_columns(self) -> tuple[Column, ...]:
        return self._columns

    @property
    def selected_key(self) -> str | None:
        """The row key under the cursor, if any."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def set_columns(self, columns: Sequence[Column]) -> bool:
        """Replace the columns if they differ; returns True when the table was rebuilt (empty)."""
        columns = tuple(columns)
        if columns == self._columns:
            return False
        self.clear(columns=True)
        for column in columns:
            self.add_column(column.label, width=column.width, key=column.key)
        self._columns = columns
        self._shown = {}
        return True

    def sync(self, rows: Sequence[tuple[str, Cells]]) -> None:
        """Make the table show exactly `rows`, in this order."""
        if self.ascii_only:
            rows = [(key, tuple(_ascii_text(c) for c in cells)) for key, cells in rows]
        wanted = dict(rows)
        selected = self.selected_key
        gone = [k for k in self._shown if k not in wanted]
        for key in gone:
            self.remove_row(key)
            del self._shown[key]
        added = False
        changed: list[tuple[str, int]] = []
        for key, cells in rows:
            old = self._shown.get(key)
            if old is None:
                self.add_row(*cells, key=key)
                self.writes += len(cells)
                self._shown[key] = cells
                added = True
                continue
            kept = []
            for index, (column, before, after) in enumerate(
                zip(self._columns, old, cells, strict=True)
            ):
                if same(before, after):
                    kept.append(before)
                else:
                    self._update_in_place(key, column.key, after)
                    changed.append((key, index))
                    kept.append(after)
            self._shown[key] = tuple(kept)
        order = [key for key, _ in rows]
        moved = [row.key.value for row in self.ordered_rows] != order
        if moved:
            self._reorder(order)
        if moved or added or gone:
            self.full_repaints += 1  # add_row, remove_row and sort() repaint everything anyway
            self.refresh()
        else:
            self._refresh_changed(changed)
        if selected in wanted and self.selected_key != selected:
            self.move_cursor(row=self.get_row_index(selected), scroll=False)

    def _refresh_changed(self, changed: list[tuple[str, int]]) -> None:
        """Repaint the changed cells, as one stretch per row: the terminal update re-sends a line
        once per separate region on it, so two cells of one row would send it twice. Rows off
        screen are skipped (a row scrolled into view is painted from the table's data), so a
        sync costs the rows shown, not the rows changed: `DataTable` finds a cell's region by
        summing the heights of every row above it."""
        by_row: dict[str, list[int]] = {}
        for key, index in changed:
            by_row.setdefault(key, []).append(index)
        top = int(self.scroll_y)
        on_screen = range(top, top + self.size.height)  # rows are one line (`add_row`'s default)
        for key, indexes in by_row.items():
            row = self.get_row_index(key)
            if row not in on_screen:
                continue
            self._collected = []
            try:
                for index in indexes:
                    self.refresh_coordinate(Coordinate(row, index))  # collected, not sent
                regions = self._collected
            finally:
                self._collected = None
            if regions:
                super().refresh(Region.from_union(regions))

    def _update_in_place(self, key: str, column: str, value: Text) -> None:
        """`update_cell` without its whole-table repaint; the caller refreshes the cell."""
        self._in_place = True
        try:
            self.update_cell(key, column, value)
        finally:
            self._in_place = False
        self.writes += 1

    def refresh(self, *regions: Region, **kwargs: bool) -> Self:
        """Swallow the bare, whole-widget `refresh()` that `update_cell` makes (see the module
        docstring) and gather cell regions for `_refresh_changed`; every other refresh goes
        through."""
        if self._in_place and not regions and not any(kwargs.get(k) for k in _STRUCTURAL):
            return self
        if self._collected is not None and regions:
            self._collected.extend(regions)
            return self
        return super().refresh(*regions, **kwargs)

    def _reorder(self, order: list[str]) -> None:
        # DataTable.sort() hands the key function a row's cell objects, not its key. `_shown`
        # holds the very objects the table holds, and cells are built per row, so the id() of a
        # row's first cell identifies the row.
        position = {id(self._shown[key][0]): index for index, key in enumerate(order)}
        self.sort(self._columns[0].key, key=lambda cell: position[id(cell)])


def same(a: Text, b: Text) -> bool:
    """Whether two cells look the same. `Text.__eq__` ignores the text's own style, so a state
    turning from progressing to failed with an unchanged cause would keep its old colour. Empty
    cells look the same whatever their style."""
    if a.plain != b.plain:
        return False
    return not a.plain or (a.style == b.style and a.spans == b.spans)


def _ascii_text(text: Text) -> Text:
    if text.plain.isascii():
        return text
    return Text(to_ascii(text.plain), style=text.style, spans=list(text.spans), end="")
