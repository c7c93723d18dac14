"""80x24 and resizes, 16 colours, NO_COLOR and ASCII: what SSH sessions and old terminals get."""

from __future__ import annotations

import re

import pytest
from rich.color import ColorSystem

from sovwatch.model.states import State
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from tests.views.tui import screen
from tests.views.tui.conftest import settle

STATE_WORDS = ("ready", "progressing", "waiting", "failed", "stalled", "suspended", "unknown")


ESSENTIAL_CAUSES = {
    "bp-vpa": "ImagePull vpa-recommender-",
    "bp-powerdns": "ConfigError powerdns-",
    "bp-external-dns": "CrashLoop external-dns-",
    "bp-mimir": "ProvisionFail storage-mimir",
    "bp-grafana": "← bp-loki: Multi-Attach storag",
    "bp-gitea": "← bp-keycloak: AuthFailed",
    "bp-openbao": "← bp-spire: Error spire-server",
    "bp-loki": "Multi-Attach storage-loki-0",
}
"""What the cause column must show of each troubled release at 80 columns (stuck, minute 10)."""


def release_lines(app) -> list[str]:
    return [line for line in screen.lines(app)[3:-1] if line.strip()]


async def test_80x24_keeps_every_essential(fed_app):
    app = fed_app(failed_first=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        lines = screen.lines(app)
        assert len(lines) == 24
        assert all(len(line) == 80 for line in lines)
        assert "sov-omantel" in lines[0]
        assert "https://203.0.113.10:6443" in lines[0]
        assert lines[0].rstrip().endswith("live")
        for part in ("in-progress", "7/20 ready", "inventory", "elapsed 10m"):
            assert part in lines[1]
        for header in ("State", "Release", "For", "Pods", "Blocked by / cause"):
            assert header in lines[2]
        rows = release_lines(app)
        assert len(rows) == 20
        names = {r.key[2] for r in app.main.snapshot.releases}
        for row in rows:  # state glyph + word, and the full name, on every row
            words = row.split()
            assert words[1] in STATE_WORDS, row
            assert words[2] in names, row
        by_name = {row.split()[2]: row for row in rows}
        for name, essential in ESSENTIAL_CAUSES.items():  # blocker, reason and object survive
            assert essential in by_name[name], by_name[name]
        for row in rows:  # a blocker is never cut: it is a release name to type into `/`
            if "← " in row:
                assert row.split("← ")[1].split(":")[0].strip() in names, row
        assert "? Help" in lines[-1]
        assert "q Quit" in lines[-1]
        assert "Filter" in lines[-1]


async def test_80x24_events_pane_keeps_kind_name_and_reason(fed_app):
    app = fed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        await pilot.pause()
        lines = screen.lines(app)
        start = next(i for i, line in enumerate(lines) if line.startswith("Type"))
        rows = [line for line in lines[start + 1 : -1] if line.strip()]
        assert len(rows) >= 5
        assert all(len(line) == 80 for line in lines)
        for row in rows:
            assert row.split()[0] in ("Warn", "Norm"), row
            assert re.match(r"x\d+$", row.split()[1]), row
        loki = next(row for row in rows if "AttachFailed" in row)
        assert "pod/loki-0" in loki
        assert "Multi-Attach error" in loki
        vpa = next(row for row in rows if "pod/vpa-recommender-" in row)
        assert "Failed" in vpa


async def test_80x24_with_detail_pane_open(fed_app):
    app = fed_app(failed_first=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("enter")
        await pilot.pause()
        lines = screen.lines(app)
        rows = [line for line in lines[3:12] if any(w in line for w in STATE_WORDS)]
        assert len(rows) >= 3  # the table keeps a few rows above the pane
        assert "bp-vpa  flux-system  ✖ failed  ImagePullBackOff" in "\n".join(lines[10:])
        assert "? Help" in lines[-1]


async def test_resize_refits_columns(fed_app):
    app = fed_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        table = app.main.query_one(ReleaseTable)
        wide = [c.key for c in table.layout_columns]
        assert {"chart", "probes", "volumes"} <= set(wide)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        narrow = [c.key for c in table.layout_columns]
        assert narrow == ["state", "name", "age", "pods", "cause"]
        assert sum(c.width for c in table.layout_columns) <= 80
        assert table.row_count == 20
        assert all(len(line) == 80 for line in screen.lines(app))
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        await pilot.pause()
        assert "probes" in [c.key for c in table.layout_columns]


ANSI = {"red": {1, 9}, "green": {2, 10}, "yellow": {3, 11}, "cyan": {6, 14}, "grey": {8}}
STATE_COLOUR = {
    "failed": "red",
    "stalled": "red",
    "waiting": "yellow",
    "progressing": "cyan",
    "ready": "green",
    "suspended": "grey",
    "unknown": "grey",
}


def row_colours(app) -> dict[str, tuple[set, set]]:
    """Per release row (not the cursor's): its state word and the ANSI foregrounds of its state
    cell and of its cause cell."""
    table = app.main.query_one(ReleaseTable)
    cause_at = sum(c.width for c in table.layout_columns[:-1])
    out = {}
    cursor = table.cursor_row + 3  # header lines, then the column labels
    for y, row in enumerate(screen.ansi_colours(app)[3:-1], start=3):
        text = "".join(ch for ch, _ in row)
        words = text.split()
        if y == cursor or len(words) < 3 or words[1] not in STATE_COLOUR:
            continue
        state_cell = {fg for ch, fg in row[: len(words[0]) + 1 + len(words[1])] if ch.strip()}
        cause_cell = {fg for ch, fg in row[cause_at:] if ch.strip()}
        out[words[2]] = (words[1], state_cell, cause_cell)
    return out


async def test_16_colours_states_use_ansi_colours(fed_app):
    app = fed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        assert app.ansi_colours
        rows = row_colours(app)
        seen = set()
        for name, (state, state_cell, cause_cell) in rows.items():
            wanted = ANSI[STATE_COLOUR[state]]
            assert state_cell, (name, state)
            assert state_cell <= wanted, (name, state, state_cell)
            if cause_cell:
                assert cause_cell <= wanted, (name, state, cause_cell)
            seen.add(state)
        assert {"failed", "waiting", "progressing", "ready"} <= seen
        failed = [name for name, (state, _, cause) in rows.items() if state == "failed" and cause]
        assert failed, "a failed row with its cause, drawn red"


async def test_256_colours_keep_the_theme(fed_app, monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    app = fed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        assert not app.ansi_colours
        variables = app.get_css_variables()
        failed = app.palette.state[State.FAILED].color
        assert failed.triplet.hex.upper() == variables["text-error"].upper()
        downgraded = {
            state: app.palette.state[state].color.downgrade(ColorSystem.EIGHT_BIT).number
            for state in (State.READY, State.WAITING, State.FAILED, State.PROGRESSING)
        }
        assert len(set(downgraded.values())) == 4, downgraded


def unreadable(app, system: str) -> list[str]:
    """Cells whose glyph would be drawn in its own background colour."""
    bad = []
    for y, row in enumerate(screen.cells(app, system)):
        for x, cell in enumerate(row):
            if cell.char.strip() and cell.fg == cell.bg:
                bad.append(f"{x},{y} {cell.char!r}")
    return bad


@pytest.mark.parametrize("no_color", [False, True], ids=["16-colours", "NO_COLOR"])
@pytest.mark.parametrize(
    "keys", [[], ["enter"], ["g"], ["question_mark"]], ids=["main", "detail", "graph", "help"]
)
async def test_every_glyph_is_readable(fed_app, monkeypatch, no_color, keys):
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = fed_app(failed_first=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        assert app.no_color is no_color
        assert unreadable(app, "16") == []


async def test_no_color_cursor_row_stands_out(fed_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = fed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()
        cells = screen.cells(app, "16")
        cursor, other = cells[4], cells[5]  # row 2 of the table is selected
        assert {c.bg for c in cursor[:20]} != {c.bg for c in other[:20]}


async def test_ascii_glyphs_only(fed_app):
    app = fed_app(ascii=True, failed_first=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for keys in ([], ["enter"], ["g"], ["t"]):
            await pilot.press(*keys)
            await pilot.pause()
            text = screen.text(app)
            assert text.isascii(), sorted({ch for ch in text if not ch.isascii()})
        assert "x failed" in text  # the timeline, with every state
        assert ". waiting" in text
        assert "~ progressing" in text
