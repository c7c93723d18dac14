"""Partial updates that start at the changed segment draw the same screen with fewer bytes.

The bytes are played into a tiny terminal (cursor moves, text, colours ignored) that already shows
the previous frame, and the result is compared with the new frame.
"""

from __future__ import annotations

import io
import logging
import re

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.strip import Strip

from sovwatch.views.tui.terminal_output import partial_update

WAITING, PLAIN = Style(color="yellow"), Style(color="white")
CONTROL = re.compile(r"\x1b\[(?:(\d+);(\d+)H|[0-9;]*m)|\r\n|\n")


def console() -> Console:
    return Console(width=44, file=io.StringIO(), force_terminal=True, color_system="standard")


def row(name: str, cause: str) -> Strip:
    """A release-table row the way a DataTable renders it: one segment per cell, padded."""
    return Strip(
        [
            Segment("◷ waiting", WAITING),
            Segment("  ", PLAIN),
            Segment(name.ljust(14), PLAIN),
            Segment("<1m ", PLAIN),
            Segment(cause.ljust(18), WAITING),
        ]
    )


def play(screen: list[list[str]], sequences: str) -> None:
    """Apply terminal output to `screen` (rows of cells)."""
    y = x = 0
    position = 0
    for match in CONTROL.finditer(sequences):
        for char in sequences[position : match.start()]:
            screen[y][x] = char
            x += 1
        position = match.end()
        if match.group(1):
            y, x = int(match.group(1)) - 1, int(match.group(2)) - 1
        elif match.group(0) in ("\r\n", "\n"):
            y, x = y + 1, 0
    for char in sequences[position:]:
        screen[y][x] = char
        x += 1


def text_of(strip: Strip, scrollbar: str = "▐") -> list[str]:
    return list("".join(s.text for s in strip) + scrollbar)


CASES = {
    "cause-only": (
        [(0, 29, 47)],
        {0: ("bp-grafana", "← bp-loki")},
        {0: ("bp-grafana", "← bp-mimir")},
    ),
    "mid-segment": (
        [(0, 33, 40)],
        {0: ("bp-grafana", "← bp-loki")},
        {0: ("bp-grafana", "← bp-lokx")},
    ),
    "two-rows": (
        [(0, 29, 47), (1, 0, 47)],
        {0: ("bp-a", "← bp-x"), 1: ("bp-b", "← bp-x")},
        {0: ("bp-a", "← bp-y"), 1: ("bp-c", "← bp-y")},
    ),
}


@pytest.mark.parametrize(("spans", "before", "after"), list(CASES.values()), ids=list(CASES))
def test_same_screen_fewer_bytes(spans, before, after):
    strips = {y: row(*after[y]) for y in after}
    width = strips[0].cell_length
    update = ChopsUpdate(
        [{0: strips[y], width: Strip([Segment("▐")])} for y in sorted(strips)],
        spans,
        [[width, width + 1] for _ in strips],
    )
    ours = partial_update.render_segments(update, console())
    textual = partial_update.TEXTUAL_RENDER_SEGMENTS(update, console())
    for sequences in (ours, textual):
        screen = [text_of(row(*before[y])) for y in sorted(before)]
        play(screen, sequences)
        assert ["".join(line) for line in screen] == [
            "".join(text_of(strips[y])) for y in sorted(strips)
        ]
    changed_rows_only = all(x1 > 0 for _, x1, _ in spans)
    if changed_rows_only:
        assert len(ours.encode()) < len(textual.encode()) / 2
    else:
        assert len(ours.encode()) < len(textual.encode())


def test_never_starts_inside_a_wide_character():
    """A span starting on the second half of a wide character starts at the character."""
    strip = Strip([Segment("ab", PLAIN), Segment("日本", WAITING), Segment("cd", PLAIN)])
    update = ChopsUpdate([{0: strip}], [(0, 3, 6)], [[strip.cell_length]])
    assert partial_update.render_segments(update, console()).startswith("\x1b[1;3H")


def test_install_replaces_textuals_methods_until_the_last_uninstall():
    update = ChopsUpdate([{0: row("bp-a", "← bp-x")}], [(0, 29, 47)], [[47]])
    try:
        assert partial_update.install()
        assert partial_update.install()  # a second app mounted at the same time
        assert update.render_segments(console()) == partial_update.render_segments(
            update, console()
        )
        partial_update.uninstall()
        assert partial_update.installed()  # the other app still uses it
    finally:
        partial_update.uninstall()
    assert not partial_update.installed()
    assert ChopsUpdate.render_segments is partial_update.TEXTUAL_RENDER_SEGMENTS
    assert LayoutUpdate.render_segments is partial_update.TEXTUAL_RENDER_LAYOUT


def test_it_fits_the_textual_it_runs_on():
    assert partial_update.refusal() is None


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("8.1.9", "Textual 8.1.9 is not one"),
        ("9.0.0", "Textual 9.0.0 is not one"),
        ("dev", "Textual dev"),
    ],
)
def test_refuses_a_textual_it_was_not_written_for(version, expected):
    assert partial_update.refusal(version).startswith(expected)


def test_refuses_methods_that_are_not_textuals_own():
    def render_segments(self, console):  # someone else's replacement
        return ""

    reason = partial_update.refusal(methods=(render_segments, LayoutUpdate.render_segments))
    assert reason.startswith("ChopsUpdate.render_segments is not Textual's own")
    assert partial_update.refusal(methods=(ChopsUpdate.render_segments, render_segments))


def test_a_refusal_leaves_textual_alone_and_is_logged_once(caplog, monkeypatch):
    def render_segments(self, console):
        return ""

    monkeypatch.setattr(partial_update, "_refusal_logged", False)  # as in a fresh process
    try:
        ChopsUpdate.render_segments = render_segments
        with caplog.at_level(logging.WARNING, logger=partial_update.__name__):
            assert not partial_update.install()
            assert not partial_update.install()
        assert ChopsUpdate.render_segments is render_segments
        assert LayoutUpdate.render_segments is partial_update.TEXTUAL_RENDER_LAYOUT
    finally:
        ChopsUpdate.render_segments = partial_update.TEXTUAL_RENDER_SEGMENTS
    [refusal] = [r.getMessage() for r in caplog.records]
    assert "ChopsUpdate.render_segments is not Textual's own" in refusal


async def test_the_app_installs_it_while_mounted(fed_app):
    app = fed_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert partial_update.installed()
    assert not partial_update.installed()
