"""Rows that moved up or down a line are moved by the terminal, not sent again.

When one row of a sorted table moves (a Sovereign starts failing and goes to the top of the fleet
screen), every row between its old and new place shifts by one line. Cell by cell they all differ
from what the terminal shows, so a partial update re-sends them all: measured on the fleet
screen, 50 Sovereigns at 120x40, about 70 bytes a row and most of its bytes. Curses has long
moved such blocks with the terminal's own line insertion: a scroll region around the block
(`CSI top;bottom r`), one line inserted (`CSI L`, the block moves down) or deleted (`CSI M`, it
moves up), the scroll region reset (`CSI r`), about 20 bytes; then only the row that moved in is
written. Every VT100-compatible terminal, tmux and screen do this.

`shifts()` finds such blocks in an update by comparing whole lines with the `Shadow`, and only
among lines the update repaints from edge to edge, so whatever the shift disturbs is written again
by the update itself (each cell is still compared with the shadow, which is shifted the same way).
"""

from __future__ import annotations

from collections.abc import Sequence

from sovwatch.views.tui.terminal_output.shadow import Look

MIN_BLOCK = 3
"""Lines a block must have to be shifted rather than re-sent (a shift costs about one row)."""


def shifts(
    old: dict[int, Sequence[Look | None]], new: dict[int, Sequence[Look]]
) -> list[tuple[int, int, int]]:
    """The shifts that turn `old` (the shadow's lines) into `new` (the update's whole lines, by
    line number): `(top, bottom, step)`, the lines top..bottom (inclusive) scrolled by `step`
    (+1: down, one line inserted at `top`; -1: up, one deleted at `top`), in the order to apply
    them. Each region lies within consecutive lines of `new`."""
    lines = {y: list(cells) for y, cells in old.items()}
    found: list[tuple[int, int, int]] = []
    for _ in range(len(new)):
        best = _best_block(lines, new)
        if best is None:
            break
        found.append(best)
        apply(lines, *best)
    return found


def _best_block(
    old: dict[int, list[Look | None]], new: dict[int, Sequence[Look]]
) -> tuple[int, int, int] | None:
    """The longest run of lines that a one-line shift would show as `new` wants them, and that are
    not shown so already."""
    best: tuple[int, tuple[int, int, int]] | None = None
    for step in (1, -1):
        run: list[int] = []
        for y in sorted(new) + [None]:
            fits = (
                y is not None
                and old.get(y - step) == new[y]
                and old.get(y) != new[y]
                and (not run or run[-1] == y - 1)
            )
            if fits:
                run.append(y)
                continue
            if len(run) >= MIN_BLOCK:
                # down: the region starts a line above the block; up: it ends a line below
                top, bottom = (run[0] - 1, run[-1]) if step == 1 else (run[0], run[-1] + 1)
                if top in new and bottom in new and (best is None or len(run) > best[0]):
                    best = (len(run), (top, bottom, step))
            run = (
                [y]
                if y is not None and old.get(y - step) == new[y] and old.get(y) != new[y]
                else []
            )
    return best[1] if best else None


def apply(lines: dict[int, list[Look | None]], top: int, bottom: int, step: int) -> None:
    """Shift `lines` as the terminal does: the line that comes in is unknown (None cells)."""
    width = max((len(lines.get(y, ())) for y in range(top, bottom + 1)), default=0)
    if step == 1:
        for y in range(bottom, top, -1):
            lines[y] = list(lines.get(y - 1, [None] * width))
        lines[top] = [None] * width
    else:
        for y in range(top, bottom):
            lines[y] = list(lines.get(y + 1, [None] * width))
        lines[bottom] = [None] * width


def sequence(top: int, bottom: int, step: int) -> str:
    """The terminal sequences for one shift (0-based lines), ending with the whole screen as the
    scroll region again; the cursor ends at the top left (a scroll region moves it there)."""
    edit = "L" if step == 1 else "M"
    return f"\x1b[{top + 1};{bottom + 1}r\x1b[{top + 1};1H\x1b[{edit}\x1b[r"
