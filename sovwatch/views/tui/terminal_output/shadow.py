"""What the terminal shows, cell by cell, so a partial update sends only the cells that differ.

Textual repaints a refreshed region whole: when a root cause changes from "← bp-cilium" to
"← bp-cert-manager" the cell is re-sent with its 40 cells of padding, and when a release's state
and cause change, its whole row goes out (the table refreshes one stretch per row). The terminal
already shows most of those cells. `Shadow` keeps the last character and look sent for every cell
(as curses does); a partial update is compared against it and only the runs of cells that differ
are written, joined when the gap between two runs is cheaper to re-send than a cursor move.

A whole-screen update (Textual sends one on start, resize, screen switch and resume) is written as
it is and resets the shadow, so anything the terminal lost is painted again. A cell the shadow
has not seen yet is always sent.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import get_character_cell_size
from rich.color import ColorSystem
from rich.style import Style
from textual.strip import Strip

from sovwatch.views.tui.terminal_output.style_codes import Codes, StyleWriter, codes_of

Cell = tuple[str, Style | None]
"""One cell's text (a character, with any zero-width ones after it) and style."""
Look = tuple
"""What decides how a cell looks: its text and the parts of its style that show."""
TAIL = ("", None)
"""The right half of a wide character."""
_TAIL_LOOK: Look = ("",)
GAP = 6
"""Unchanged cells between two changed runs re-sent rather than a cursor move (~7 bytes)."""
_NO_STYLE = Codes(frozenset(), (), (), "")


class Shadow:
    """The terminal's cells as last written: None where unknown."""

    def __init__(self, color_system: ColorSystem) -> None:
        self._color_system = color_system
        self._rows: dict[int, list[Look | None]] = {}

    def clear(self) -> None:
        self._rows.clear()

    @property
    def lines(self) -> dict[int, list[Look | None]]:
        """Each line's looks by line number (`line_shift` moves them as the terminal does)."""
        return self._rows

    def look(self, cell: Cell) -> Look:
        text, style = cell
        if cell is TAIL:
            return _TAIL_LOOK
        if style is None or style._null:
            codes = _NO_STYLE
        elif style._link:
            return (text, style._link_id)
        else:
            codes = codes_of(style, self._color_system)
        return (text, codes.blank) if text == " " else (text, codes)

    def record(self, y: int, x: int, cells: list[Cell]) -> None:
        """`cells` were written on line `y` from column `x`."""
        row = self._rows.setdefault(y, [])
        end = x + len(cells)
        if len(row) < end:
            row.extend([None] * (end - len(row)))
        row[x:end] = [self.look(cell) for cell in cells]

    def changed_runs(self, y: int, x: int, cells: list[Cell]) -> list[tuple[int, int]]:
        """The stretches `[start, end)` of `cells` (on line `y` from column `x`) that differ from
        what the terminal shows, never splitting a wide character, with short gaps joined."""
        row = self._rows.get(y, [])
        runs: list[list[int]] = []
        for index, cell in enumerate(cells):
            column = x + index
            shown = row[column] if column < len(row) else None
            if shown is not None and shown == self.look(cell):
                continue
            start = index - 1 if cell is TAIL and index > 0 else index
            if runs and start - runs[-1][1] <= GAP:
                runs[-1][1] = index + 1
            else:
                runs.append([start, index + 1])
        for run in runs:
            if run[1] < len(cells) and cells[run[1]] is TAIL:
                run[1] += 1
        return [(start, end) for start, end in runs]


def cells_of(strip: Strip) -> list[Cell]:
    """A strip as one entry per cell (a wide character's right half is `TAIL`)."""
    cells: list[Cell] = []
    for text, style, control in strip:
        if control:
            continue
        for char in text:
            width = get_character_cell_size(char)
            if width == 0 and cells:
                previous, previous_style = cells[-1]
                cells[-1] = (previous + char, previous_style)
            elif width:
                cells.append((char, style))
                if width == 2:
                    cells.append(TAIL)
    return cells


def write_cells(writer: StyleWriter, cells: Iterable[Cell]) -> None:
    """Write cells, one segment per stretch of a single style."""
    text: list[str] = []
    current: Style | None = None
    pieces: list[tuple[str, Style | None]] = []
    for char, style in cells:
        if char == "" and style is None:  # TAIL: its character was written with the left half
            continue
        if text and style != current:
            pieces.append(("".join(text), current))
            text = []
        current = style
        text.append(char)
    if text:
        pieces.append(("".join(text), current))
    writer.segments(pieces)
