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

MIN_GAIN = 24
"""Bytes a shift must spare to be worth its sequence (about 20 bytes)."""
RUN_COST = 12
"""What starting a stretch of changed cells costs: a cursor move and a style, roughly."""


def shifts(
    old: dict[int, Sequence[Look | None]], new: dict[int, Sequence[Look]]
) -> list[tuple[int, int, int]]:
    """The shifts that bring `old` (the shadow's lines) closest to `new` (the update's whole
    lines, by line number): `(top, bottom, step)`, the lines top..bottom (inclusive) scrolled by
    `step` (+1: down, one line inserted at `top`; -1: up, one deleted at `top`), in the order to
    apply them. Each region lies within consecutive lines of `new`; each spares at least
    `MIN_GAIN` bytes that would otherwise be sent (rows that also changed while they moved still
    count for the cells that did not)."""
    lines = {y: list(cells) for y, cells in old.items()}
    found: list[tuple[int, int, int]] = []
    for _ in range(len(new)):
        best = _best_shift(lines, new)
        if best is None:
            break
        found.append(best)
        apply(lines, *best)
    return found


def _differ(shown: Sequence[Look | None] | None, wanted: Sequence[Look]) -> int:
    """About the bytes a line showing `shown` needs to show `wanted`: a byte per cell that
    differs and `RUN_COST` per stretch of them (a cursor move and a style)."""
    if shown is None:
        return len(wanted) + RUN_COST
    cost, inside = 0, False
    for index, look in enumerate(wanted):
        differs = index >= len(shown) or shown[index] is None or shown[index] != look
        if differs:
            cost += 1 if inside else 1 + RUN_COST
        inside = differs
    return cost


def _best_shift(
    old: dict[int, list[Look | None]], new: dict[int, Sequence[Look]]
) -> tuple[int, int, int] | None:
    """The one-line shift of a region of consecutive `new` lines that spares the most bytes."""
    best: tuple[int, tuple[int, int, int]] | None = None
    ys = sorted(new)
    runs: list[list[int]] = []
    for y in ys:
        if runs and runs[-1][-1] == y - 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    for run in runs:
        stay = [_differ(old.get(y), new[y]) for y in run]
        for step in (1, -1):
            moved = [_differ(old.get(y - step), new[y]) for y in run]
            blank = [len(new[y]) + RUN_COST for y in run]
            for i in range(len(run)):
                gained = 0
                for j in range(i + 1, len(run)):
                    # down: line i comes in blank, i+1..j show old i..j-1; up: i..j-1 show
                    # old i+1..j, j comes in blank
                    if step == 1:
                        gained += stay[j] - moved[j]
                        total = gained + stay[i] - blank[i]
                    else:
                        gained += stay[j - 1] - moved[j - 1]
                        total = gained + stay[j] - blank[j]
                    if total >= MIN_GAIN and (best is None or total > best[0]):
                        best = (total, (run[i], run[j], step))
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
