"""Partial screen updates that start where the change starts, not at the widget's left edge.

Textual's compositor sends a partial update (`ChopsUpdate.render_segments`, the path the app
writes to the terminal) from the left edge of each widget on a line up to the end of the changed
span: the crop on the left is missing (Textualize/textual#5625; its own `__rich_console__` path
does crop). The release table is one widget as wide as the screen, so a root cause changing at
column 64 re-sends the 63 cells before it, with their styles: measured at 120 columns, 335 bytes a
row instead of about 110, and a blocker's pod changing phase changes the cause of every release
waiting on it (36 rows in one frame during bootstrap-kit).

`install()` replaces that method, and the whole-screen update's, with versions that write through
`StyleWriter` (a style only when it changes, style_codes.py) and keep a `Shadow` of the terminal
per console (shadow.py): a partial update sends only the cells of its spans that differ from what
the terminal shows, so the crop starts at the first changed cell, not at the widget's edge, and
padding that was already blank stays unsent. Before that, blocks of whole lines that moved up or
down a line (a row of a sorted table moved) are moved by the terminal, shadow included
(line_shift.py). A whole-screen update is sent whole and resets the shadow. What reaches the screen is the same; only bytes that repeat what the terminal already
shows are left out.

The app installs it when it mounts and removes it when it unmounts. `install()` first checks that
this is a Textual it was written for (8.2 up to 9), that the two methods are still Textual's own
(nobody else replaced them) and that the updates carry the fields it reads; otherwise it leaves
Textual alone and logs why, once per process.
"""

from __future__ import annotations

import logging
import re
from weakref import WeakKeyDictionary

import textual
from rich.console import Console
from textual._compositor import ChopsUpdate, LayoutUpdate

from sovwatch.views.tui.terminal_output import line_shift
from sovwatch.views.tui.terminal_output.shadow import TAIL, Cell, Shadow, cells_of, write_cells
from sovwatch.views.tui.terminal_output.style_codes import StyleWriter

log = logging.getLogger(__name__)

TEXTUAL_VERSIONS = ((8, 2), (9,))
"""The Textual versions this was written against: from 8.2 up to, not including, 9."""
_ATTRIBUTES = ("chops", "spans", "chop_ends")
_LAYOUT_ATTRIBUTES = ("strips", "region")
TEXTUAL_RENDER_SEGMENTS = ChopsUpdate.render_segments
"""Textual's own methods, restored by `uninstall()` and kept for comparison (tests)."""
TEXTUAL_RENDER_LAYOUT = LayoutUpdate.render_segments
_SHADOWS: WeakKeyDictionary[Console, Shadow] = WeakKeyDictionary()
_installs = 0
"""How many mounted apps use the replacement: Textual's methods come back when the last one leaves."""
_refusal_logged = False


def render_segments(update: ChopsUpdate, console: Console) -> str:
    """The terminal sequences for `update`: the cells of its spans that the terminal does not
    show yet."""
    writer = StyleWriter(console)
    shadow = shadow_of(console, writer)
    shift_moved_lines(update, writer, shadow)
    for y, x1, x2 in update.spans:
        for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
            if strip is None or x >= x2 or end <= x1:
                continue
            cells = cells_of(strip)
            low, high = max(x1, x) - x, min(x2, end) - x
            if cells[low : low + 1] == [TAIL]:
                low -= 1
            if cells[high : high + 1] == [TAIL]:
                high += 1
            cells = cells[low:high]
            for start, stop in shadow.changed_runs(y, x + low, cells):
                writer.move_to(x + low + start, y)
                write_cells(writer, cells[start:stop])
            shadow.record(y, x + low, cells)
    return writer.text()


def shift_moved_lines(update: ChopsUpdate, writer: StyleWriter, shadow: Shadow) -> None:
    """Move blocks of lines that moved up or down by one with the terminal's line insertion and
    deletion (line_shift.py), and the shadow with them, so the update re-sends only what differs
    after the move."""
    whole = whole_lines(update)
    if len(whole) < 2:
        return
    new = {y: [shadow.look(cell) for cell in cells] for y, cells in whole.items()}
    for top, bottom, step in line_shift.shifts(shadow.lines, new):
        writer.control(line_shift.sequence(top, bottom, step))
        line_shift.apply(shadow.lines, top, bottom, step)


def whole_lines(update: ChopsUpdate) -> dict[int, list[Cell]]:
    """The cells of each line the update repaints from the screen's left edge to its right."""
    whole: dict[int, list[Cell]] = {}
    for y, x1, x2 in update.spans:
        ends = update.chop_ends[y]
        if x1 != 0 or not ends or x2 < ends[-1]:
            continue
        strips = list(update.chops[y].values())
        if any(strip is None for strip in strips):
            continue
        cells = [cell for strip in strips for cell in cells_of(strip)]
        if len(cells) == ends[-1]:
            whole[y] = cells
    return whole


def render_layout(update: LayoutUpdate, console: Console) -> str:
    """The terminal sequences for a whole-region update (Textual's, through `StyleWriter`); what
    it paints becomes the shadow."""
    writer = StyleWriter(console)
    shadow = shadow_of(console, writer)
    shadow.clear()
    x, top = update.region.x, update.region.y
    for y, line in enumerate(update.strips, top):
        if y != top:
            writer.new_line()
        writer.move_to(x, y)
        column = x
        for strip in line:
            writer.strip(strip)
            cells = cells_of(strip)
            shadow.record(y, column, cells)
            column += len(cells)
    return writer.text()


def shadow_of(console: Console, writer: StyleWriter) -> Shadow:
    """The shadow of the terminal `console` writes to."""
    shadow = _SHADOWS.get(console)
    if shadow is None:
        shadow = _SHADOWS[console] = Shadow(writer.color_system)
    return shadow


def install() -> bool:
    """Use `render_segments` and `render_layout` for Textual's screen updates until `uninstall()`;
    False (nothing changed, the reason logged once) when this Textual is not one they fit."""
    global _installs
    if _installs:
        _installs += 1
        return True
    reason = refusal()
    if reason is not None:
        _log_refusal(reason)
        return False
    ChopsUpdate.render_segments = _chops_method
    LayoutUpdate.render_segments = _layout_method
    _installs = 1
    return True


def uninstall() -> None:
    """Give Textual its own methods back once no mounted app uses the replacement, and forget the
    shadows (the next app starts with a whole-screen update)."""
    global _installs
    if not _installs:
        return
    _installs -= 1
    if _installs:
        return
    if ChopsUpdate.render_segments is _chops_method:
        ChopsUpdate.render_segments = TEXTUAL_RENDER_SEGMENTS
    if LayoutUpdate.render_segments is _layout_method:
        LayoutUpdate.render_segments = TEXTUAL_RENDER_LAYOUT
    _SHADOWS.clear()


def installed() -> bool:
    return ChopsUpdate.render_segments is _chops_method


def forget(console: Console) -> None:
    """Forget what the terminal of `console` shows: every cell is sent again (after `ctrl+l`)."""
    _SHADOWS.pop(console, None)


def refusal(
    version: str = textual.__version__, methods: tuple[object, object] | None = None
) -> str | None:
    """Why the replacement must not be installed on this Textual, or None when it fits: the
    version, the identity of the methods it replaces (by default, those in place now), and the
    fields it reads."""
    if methods is None:
        methods = (ChopsUpdate.render_segments, LayoutUpdate.render_segments)
    low, high = TEXTUAL_VERSIONS
    numbers = re.match(r"(\d+)\.(\d+)", version)
    if numbers is None or not low <= (int(numbers[1]), int(numbers[2])) < high:
        return f"Textual {version} is not one it was written for (8.2 up to 9)"
    for method, cls in zip(methods, (ChopsUpdate, LayoutUpdate), strict=True):
        expected = f"{cls.__name__}.render_segments"
        if (getattr(method, "__module__", None), getattr(method, "__qualname__", None)) != (
            "textual._compositor",
            expected,
        ):
            return f"{expected} is not Textual's own (replaced by {method!r})"
    if not _has_attributes(ChopsUpdate, _ATTRIBUTES) or not _has_attributes(
        LayoutUpdate, _LAYOUT_ATTRIBUTES
    ):
        return "Textual's screen updates do not carry the fields it reads"
    return None


def _log_refusal(reason: str) -> None:
    global _refusal_logged
    if not _refusal_logged:
        _refusal_logged = True
        log.warning("terminal output: Textual's own screen updates are used: %s", reason)


def _has_attributes(cls: type, names: tuple[str, ...]) -> bool:
    init = cls.__init__.__code__.co_varnames
    return all(name in init for name in names)


def _chops_method(self: ChopsUpdate, console: Console) -> str:
    return render_segments(self, console)


def _layout_method(self: LayoutUpdate, console: Console) -> str:
    return render_layout(self, console)
