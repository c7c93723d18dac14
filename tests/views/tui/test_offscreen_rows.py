"""A sync repaints the changed cells on screen only; a changed row off screen shows its new cells
when it is scrolled into view."""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.coordinate import Coordinate

from sovwatch.views.tui.widgets.keyed_table import Column, KeyedTable
from tests.views.tui import screen

ROWS = 40


class CountingTable(KeyedTable):
    """Counts the cells whose region a sync looked up (`DataTable` sums the heights of every row
    above a cell to find it: the cost this guards)."""

    looked_up = 0

    def refresh_coordinate(self, coordinate: Coordinate) -> CountingTable:
        self.looked_up += 1
        return super().refresh_coordinate(coordinate)


class Small(App[None]):
    def compose(self):
        yield CountingTable(id="t")


def rows(changed: dict[int, str] | None = None) -> list[tuple[str, tuple[Text, ...]]]:
    changed = changed or {}
    return [(f"r{i:02d}", (Text(f"r{i:02d}"), Text(changed.get(i, "calm")))) for i in range(ROWS)]


async def test_changed_rows_off_screen_are_not_repainted_until_scrolled_into_view():
    app = Small()
    async with app.run_test(size=(30, 8)) as pilot:
        table = app.query_one(CountingTable)
        table.set_columns([Column("name", "Name", 8), Column("value", "Value", 12)])
        table.sync(rows())
        await pilot.pause()
        frames = screen.Frames(app)
        await frames.quiet(pilot)
        table.looked_up = 0
        table.sync(rows({1: "moved", 30: "far away", 33: "further"}))
        await pilot.pause()
        assert table.looked_up == 1  # r01's changed cell; r30 and r33 are below the screen
        r01 = next(y for y, line in enumerate(screen.lines(app)) if "r01" in line)
        assert frames.take()[0] == {r01}
        table.scroll_to(y=28, animate=False)
        await pilot.pause()
        shown = {line.split()[0]: line.split()[1:] for line in screen.lines(app) if line.strip()}
        assert (shown["r29"], shown["r30"], shown["r33"]) == (
            ["calm"],
            ["far", "away"],
            ["further"],
        )
