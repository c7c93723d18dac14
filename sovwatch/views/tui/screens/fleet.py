"""The fleet screen: the totals, one row per Sovereign (failing first), the selected one in full.

`enter` opens the selected Sovereign's own screen (the app pushes a `MainScreen` fed by that
member's pipeline); `esc` there comes back here. Rows come from `model.fleet`; this screen only
draws them, and only while it is the one shown.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from sovwatch.model.fleet import (
    CONNECTING,
    HOLD,
    IN_PROGRESS,
    TOTALS_ORDER,
    TROUBLE,
    FleetRow,
    FleetTotals,
)
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import Palette
from sovwatch.views.tui.viewmodel import age
from sovwatch.views.tui.widgets.calm_static import CalmStatic
from sovwatch.views.tui.widgets.fleet_table import WARNED, FleetTable
from sovwatch.views.tui.widgets.rollout_header import OUTCOME_STYLE

TOTALS_STYLE = {**OUTCOME_STYLE, TROUBLE: "bold $state-failed", CONNECTING: "$state-unknown"}
WARNING_STYLE = "bold $state-waiting"
HELD_LINE = f"none now (a failed release recovered: held with the failing for {age(HOLD)})"
"""The selected row's cause line while it is held (`FleetRow.held`)."""


def totals_line(totals: FleetTotals, *, width: int, mode: str = "") -> Content:
    """ "sovwatch fleet  7 Sovereigns: 4 ready, 1 failed, 2 in progress", counts in their colours;
    a replay's mode ("REPLAY 10x") on the right."""
    words = dict(TOTALS_ORDER)
    parts: list[Content | tuple[str, str] | str] = [
        ("sovwatch ", "bold"),
        ("fleet", "bold $text-accent"),
    ]
    noun = "Sovereign" if totals.members == 1 else "Sovereigns"
    parts.append(f"  {totals.members} {noun}")
    for index, (outcome, count) in enumerate(totals.by_outcome):
        parts.append(": " if index == 0 else ", ")
        parts.append((f"{count} {words.get(outcome, outcome)}", TOTALS_STYLE.get(outcome, "")))
    if totals.warned:
        parts += ["  ", (f"{WARNED} {totals.warned} with warnings", WARNING_STYLE)]
    if totals.notice:
        parts += ["  ", (f"{WARNED} {totals.notice}", WARNING_STYLE)]
    line = Content.assemble(*parts)
    right = Content.assemble((mode, "reverse")) if mode else Content("")
    room = width - right.cell_length - (1 if mode else 0)
    if line.cell_length > room:
        line = line.truncate(room, ellipsis=True)
    if not mode:
        return line
    return Content.assemble(line, " " * (width - line.cell_length - right.cell_length), right)


def member_lines(row: FleetRow | None, *, glyphs: Glyphs) -> Content:
    """The selected Sovereign in full: where, how its streams are, and its cause, uncut."""
    if row is None:
        return Content("no Sovereign yet")
    clock = f"elapsed {age(row.elapsed)}" if row.elapsed is not None else ""
    eta = f"ETA {age(row.eta)}" if row.eta is not None and row.outcome == IN_PROGRESS else ""
    facts = "  ".join(p for p in (f"streams {row.streams.text}", clock, eta) if p)
    first = Content.assemble(
        (row.context, "bold $text-accent"), " ", row.server, "  ", (facts, "dim")
    )
    lines = [first]
    if row.cause:
        label = "trouble: " if row.outcome == TROUBLE else "cause: "
        style = "bold $state-failed" if row.failing else ""
        lines.append(Content.assemble((label, "bold"), (glyphs.chain.join(row.cause), style)))
    elif row.held:
        lines.append(Content.assemble(("cause: ", "bold"), (HELD_LINE, "dim")))
    lines += [Content.assemble(("warning: ", WARNING_STYLE), w) for w in row.warnings]
    return Content("\n").join(lines)


class FleetScreen(Screen[None]):
    """Every Sovereign of the fleet on one screen."""

    BINDINGS = [
        # the table's own `enter` does it (and shows in the footer); this one describes it in `?`
        Binding("enter", "open", "Open", show=False, tooltip="Open the selected cluster's screen"),
    ]

    class Opened(Message):
        """The user asked for a Sovereign's own screen."""

        def __init__(self, context: str) -> None:
            super().__init__()
            self.context = context

    def __init__(self, *, glyphs: Glyphs) -> None:
        super().__init__()
        self.glyphs = glyphs
        self.palette = Palette.monochrome()
        """The states' colours (the app hands its own down when it mounts)."""
        self.rows: list[FleetRow] = []
        self.totals = FleetTotals(0, ())
        self.mode = ""

    def compose(self) -> ComposeResult:
        yield CalmStatic(id="fleet-totals")
        yield FleetTable(glyphs=self.glyphs, id="fleet-table")
        yield CalmStatic(id="fleet-member")
        yield Footer(compact=True)

    def show(self, rows: list[FleetRow], totals: FleetTotals, *, mode: str = "") -> None:
        """Render the rows (already in display order), the totals and a replay's `mode`."""
        self.rows, self.totals, self.mode = rows, totals, mode
        width = self.size.width or self.app.size.width
        self.query_one("#fleet-totals", CalmStatic).show(
            totals_line(totals, width=width, mode=mode)
        )
        self.query_one(FleetTable).show(rows, palette=self.palette)
        self._show_member()

    @property
    def selected(self) -> str | None:
        return self.query_one(FleetTable).selected_key

    def _show_member(self) -> None:
        key = self.selected
        row = next((r for r in self.rows if r.context == key), None)
        pane = self.query_one("#fleet-member", CalmStatic)
        pane.set_class(row is not None and bool(row.warnings), "warned")
        pane.show(member_lines(row, glyphs=self.glyphs))

    def rerender(self) -> None:
        self.show(self.rows, self.totals, mode=self.mode)

    def on_resize(self) -> None:
        self.call_after_refresh(self.rerender)

    @on(DataTable.RowHighlighted, "#fleet-table")
    def _highlighted(self) -> None:
        self._show_member()

    @on(DataTable.RowSelected, "#fleet-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.post_message(self.Opened(event.row_key.value))

    def action_open(self) -> None:
        if self.selected is not None:
            self.post_message(self.Opened(self.selected))
