"""StyleWriter draws exactly what Textual's own rendering draws, cell by cell and colour by colour,
in fewer bytes.

Both outputs are played into a small terminal model that keeps the SGR state (attributes,
foreground, background) the way a terminal does, across cursor moves, and records each cell's
character and look; the two screens must match.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region
from textual.strip import Strip

from sovwatch.sources.events import EventType
from sovwatch.views.tui.terminal_output import partial_update
from sovwatch.views.tui.terminal_output.style_codes import StyleWriter, codes_of
from tests.views.tui.conftest import START, items_of, played, settle
from tests.views.tui.terminal import Terminal

WIDTH = 40
ROW_BG = "grey15"
WAITING = Style(color="color(222)", bgcolor=ROW_BG)
PLAIN = Style(color="color(253)", bgcolor=ROW_BG)
FAILED = Style(color="color(203)", bgcolor=ROW_BG, bold=True)
CURSOR = Style(color="color(195)", bgcolor="color(32)", bold=True)
HEADER = Style(color="color(253)", bgcolor="color(23)", bold=True, underline=True)
SCROLLBAR = Style(color="color(242)", bgcolor=ROW_BG, reverse=True)


def console(system: str, width: int = WIDTH) -> Console:
    return Console(width=width, file=io.StringIO(), force_terminal=True, color_system=system)


def table_row(state: str, state_style: Style, name: str, cause: str, cause_style: Style) -> Strip:
    """A release-table row as a DataTable renders it: one padded segment per cell."""
    return Strip(
        [
            Segment(state.ljust(12), state_style),
            Segment(name.ljust(12), PLAIN),
            Segment("<1m ", PLAIN),
            Segment(cause, cause_style),
            Segment(" " * (WIDTH - 29 - len(cause)), PLAIN),
            Segment(" ", SCROLLBAR),
        ]
    )


ROWS = [
    Strip([Segment("State".ljust(WIDTH), HEADER)]),
    table_row("◷ waiting", WAITING, "bp-grafana", "← bp-loki", WAITING),
    table_row("✗ failed", FAILED, "bp-loki", "Multi-Att", FAILED),
    table_row("◐ progress", CURSOR, "bp-mimir", "Pending", CURSOR),
    Strip([Segment("plain text", None), Segment(" " * 10, Style()), Segment("x" * 20, PLAIN)]),
    Strip([Segment("underlined blanks:", PLAIN), Segment(" " * 22, Style(underline=True))]),
]


def fresh(strip: Strip) -> Strip:
    """A copy with new style objects: Textual caches a style's codes on it for the first colour
    system it meets, and a strip's rendering on the strip."""
    return Strip([Segment(text, style and _copy(style)) for text, style, _ in strip])


def _copy(style: Style) -> Style:
    flags = ("bold", "underline", "reverse")
    return Style(color=style.color, bgcolor=style.bgcolor, **{f: getattr(style, f) for f in flags})


@pytest.mark.parametrize("system", ["256", "standard", "truecolor"])
def test_whole_screen_looks_the_same_in_fewer_bytes(system):
    rows = [fresh(strip) for strip in ROWS]
    update = LayoutUpdate([[strip] for strip in rows], Region(0, 0, WIDTH, len(rows)))
    ours = partial_update.render_layout(update, console(system))
    textual = partial_update.TEXTUAL_RENDER_LAYOUT(update, console(system))
    screen = Terminal(len(rows), WIDTH).play(ours)
    assert screen.looks() == Terminal(len(rows), WIDTH).play(textual).looks()
    assert (screen.fg, screen.bg, screen.attributes) == ("39", "49", set())  # ends in reset
    assert len(ours.encode()) < len(textual.encode()) * 0.8


def test_partial_update_over_the_old_screen_looks_like_the_new_one():
    before = [table_row("◷ waiting", WAITING, f"bp-{n}", "← bp-cilium", WAITING) for n in "abc"]
    after = [table_row("◷ waiting", WAITING, f"bp-{n}", "← bp-x", WAITING) for n in "abc"]
    after[1] = table_row("✗ failed", FAILED, "bp-b", "CrashLoop", FAILED)
    old = LayoutUpdate([[strip] for strip in before], Region(0, 0, WIDTH, 3))
    new = LayoutUpdate([[strip] for strip in after], Region(0, 0, WIDTH, 3))
    chops = ChopsUpdate(
        [{0: strip} for strip in after], [(0, 29, 39), (1, 0, 39), (2, 29, 39)], [[WIDTH]] * 3
    )
    screen = Terminal(3, WIDTH).play(partial_update.TEXTUAL_RENDER_LAYOUT(old, console("256")))
    screen.play(partial_update.render_segments(chops, console("256")))
    expected = Terminal(3, WIDTH).play(partial_update.TEXTUAL_RENDER_LAYOUT(new, console("256")))
    assert screen.looks() == expected.looks()


CHANGES = {
    "same-style": (PLAIN, PLAIN, "x", ""),
    "colour-only": (PLAIN, WAITING, "x", "\x1b[38;5;222m"),
    "add-bold": (PLAIN, PLAIN + Style(bold=True), "x", "\x1b[1m"),
    "drop-bold": (FAILED, WAITING, "x", "\x1b[0;38;5;222;48;5;235m"),
    "blank-in-other-colour": (WAITING, PLAIN, "   ", ""),
    "blank-on-other-background": (PLAIN, CURSOR, "   ", "\x1b[1;38;5;195;48;5;32m"),
    "blank-reversed": (PLAIN, SCROLLBAR, " ", "\x1b[7;38;5;242m"),
}


@pytest.mark.parametrize(
    ("first", "second", "text", "sent"), list(CHANGES.values()), ids=list(CHANGES)
)
def test_sends_only_what_changes(first, second, text, sent):
    writer = StyleWriter(console("256"))
    writer.strip(Strip([Segment("a", first), Segment(text, second)]))
    opening = f"\x1b[{codes_of(first, ColorSystem.EIGHT_BIT).full}ma"
    assert writer.text() == f"{opening}{sent}{text}\x1b[0m"


def _painted_then_updated(before: list, after: list, terminal) -> tuple[ChopsUpdate, str]:
    """`before` painted whole on `terminal`'s console, then a partial update to `after` (every
    row's full width): the update and the text it sent, once the screen it leaves is checked to
    look as Textual's whole paint of `after` does."""
    rows = len(before)
    screen = Terminal(rows, WIDTH).play(
        partial_update.render_layout(
            LayoutUpdate([[s] for s in before], Region(0, 0, WIDTH, rows)), terminal
        )
    )
    chops = ChopsUpdate(
        [{0: strip} for strip in after], [(y, 0, WIDTH) for y in range(rows)], [[WIDTH]] * rows
    )
    sent = partial_update.render_segments(chops, terminal)
    screen.play(sent)
    expected = Terminal(rows, WIDTH).play(
        partial_update.TEXTUAL_RENDER_LAYOUT(
            LayoutUpdate([[s] for s in after], Region(0, 0, WIDTH, rows)), console("256")
        )
    )
    assert screen.looks() == expected.looks()
    return chops, sent


def test_after_a_whole_screen_only_the_changed_cells_are_sent():
    """A partial update on the console that painted the screen sends the cells that differ from
    it: the new blocker's name, not the row or the padding after it."""
    terminal = console("256")
    before = [table_row("◷ waiting", WAITING, f"bp-{n}", "← bp-cilium", WAITING) for n in "ab"]
    after = [
        table_row("◷ waiting", WAITING, "bp-a", "← bp-flux", WAITING),
        table_row("✗ failed", FAILED, "bp-b", "← bp-cilium", FAILED),
    ]
    chops, sent = _painted_then_updated(before, after, terminal)
    plain = re.sub(r"\x1b\[[0-9;]*[mH]", "", sent)
    # row 0: "← bp-" and the padding stay; row 1: the state and the cause, now red, not the name
    assert plain == "flux  " + "✗ failed " + "← bp-cilium"
    assert partial_update.render_segments(chops, terminal) == ""  # nothing new: nothing sent


async def test_the_real_app_s_updates_leave_the_terminal_as_a_full_repaint_would(fed_app):
    """Every update the app sends while the rollout moves on (rows changing state, causes,
    ages, the header) is played into one terminal; it ends up showing what a whole-screen paint
    of the final state shows: the shadow never leaves a stale cell."""
    app = fed_app()
    width, height = 120, 40
    terminal = Terminal(height, width)
    output = console("256", width)
    updates = []

    async with app.run_test(size=(width, height)) as pilot:
        original = app._display

        def display(screen, renderable) -> None:
            if isinstance(renderable, (ChopsUpdate, LayoutUpdate)) and not app._batch_count:
                updates.append(type(renderable))
                terminal.play(renderable.render_segments(output))
            original(screen, renderable)

        await settle(pilot, app)
        app._display = display  # type: ignore[method-assign]
        first = app.screen._compositor.render_update(full=True)  # a whole paint, as at start
        terminal.play(first.render_segments(output))
        for minutes in (12, 20, 35, 50):
            later = START + minutes * 60
            app.clock = lambda later=later: later
            for item in items_of(played(minutes * 60), later, event=EventType.MODIFIED):
                app.store.apply(item)
            app.flush()
            await pilot.pause()
        full = app.screen._compositor.render_update(full=True)
        # Our whole-screen rendering (equal to Textual's, test above): Textual's own caches each
        # style's codes for the first colour system it met, in whichever test ran before.
        expected = Terminal(height, width).play(
            partial_update.render_layout(full, console("256", width))
        )
    assert ChopsUpdate in updates
    assert terminal.looks() == expected.looks()


@pytest.mark.parametrize(
    ("order", "shifts"),
    [
        ([5, 0, 1, 2, 3, 4, 6, 7], "\x1b[1;6r\x1b[1;1H\x1b[L\x1b[r"),  # a row moves to the top
        ([0, 2, 3, 4, 5, 6, 7, 1], "\x1b[2;8r\x1b[2;1H\x1b[M\x1b[r"),  # a row moves to the end
        ([1, 0, 2, 3, 4, 5, 6, 7], ""),  # two rows swap: nothing to shift
    ],
)
def test_rows_that_moved_a_line_are_moved_by_the_terminal(order, shifts):
    """A row of a sorted table moves: the rows between shift by a line. The terminal shifts
    them (a scroll region, one line inserted or deleted) and only the row that moved is sent;
    the screen ends up as a whole paint of the new order shows it."""
    terminal = console("256")
    rows = [table_row("◷ waiting", WAITING, f"bp-{n}", f"← bp-{n}{n}", WAITING) for n in "abcdefgh"]
    after = [rows[i] for i in order]
    _, sent = _painted_then_updated(rows, after, terminal)
    assert sent.startswith(shifts)
    if shifts:  # the shift and the one row that moved in, not the six it displaced
        one_row = partial_update.render_layout(
            LayoutUpdate([[rows[0]]], Region(0, 0, WIDTH, 1)), console("256")
        )
        assert len(sent) < len(shifts) + 1.5 * len(one_row), sent
