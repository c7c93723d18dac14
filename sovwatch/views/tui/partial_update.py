"""Partial screen updates that start where the change starts, not at the widget's left edge.

Textual's compositor sends a partial update (`ChopsUpdate.render_segments`, the path the app
writes to the terminal) from the left edge of each widget on a line up to the end of the changed
span: the crop on the left is missing (Textualize/textual#5625; its own `__rich_console__` path
does crop). The release table is one widget as wide as the screen, so a root cause changing at
column 64 re-sends the 63 cells before it, with their styles: measured at 120 columns, 335 bytes a
row instead of about 110, and a blocker's pod changing phase changes the cause of every release
waiting on it (36 rows in one frame during bootstrap-kit).

`install()` replaces that one method with a version that starts each piece at the segment holding
the span's first cell (a segment boundary, so a wide character is never split; table cells are
separate segments). What reaches the screen is the same; only bytes that repeat what the terminal
already shows are left out. It is installed once per process by the app and checks the shape it
relies on, leaving Textual alone if that shape is different.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate
from textual.strip import Strip

_ATTRIBUTES = ("chops", "spans", "chop_ends")
TEXTUAL_RENDER_SEGMENTS = ChopsUpdate.render_segments
"""Textual's own method, kept for comparison (tests)."""


def render_segments(update: ChopsUpdate, console: Console) -> str:
    """The terminal sequences for `update`: for each changed span, only the segments it touches."""
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    last_y = update.spans[-1][0]
    for y, x1, x2 in update.spans:
        for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
            if strip is None or x >= x2 or end <= x1:
                continue
            if x < x1:
                x, strip = _from_segment_at(strip, x, x1)
            if end > x2:
                strip = strip.crop(0, x2 - x)
            append(move_to(x, y).segment.text)
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def _from_segment_at(strip: Strip, x: int, cell: int) -> tuple[int, Strip]:
    """`strip` (starting at screen column `x`) from the segment holding column `cell` on, and the
    column where that segment starts."""
    segments = list(strip)
    for index, segment in enumerate(segments):
        width = cell_len(segment.text)
        if x + width > cell:
            rest = segments[index:]
            return x, Strip(rest, sum(cell_len(s.text) for s in rest))
        x += width
    return x, Strip([], 0)


def install() -> bool:
    """Use `render_segments` for Textual's partial updates; False (and nothing changed) when this
    Textual's `ChopsUpdate` is not the shape it was written for."""
    if ChopsUpdate.render_segments is _method:
        return True
    init = ChopsUpdate.__init__.__code__.co_varnames
    if not all(name in init for name in _ATTRIBUTES):
        return False
    ChopsUpdate.render_segments = _method
    return True


def _method(self: ChopsUpdate, console: Console) -> str:
    return render_segments(self, console)
