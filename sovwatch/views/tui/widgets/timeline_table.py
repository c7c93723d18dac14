"""The timeline: how long each release took (or has taken so far), slowest first."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import Palette
from sovwatch.views.tui.viewmodel import NO_WAVE, TimelineRow, age
from sovwatch.views.tui.widgets.keyed_table import Column, KeyedTable


class TimelineTable(KeyedTable):
    """One row per release: critical-path mark, name, state, wave, start offset, duration."""

    def __init__(self, *, glyphs: Glyphs, id: str | None = None) -> None:
        super().__init__(id=id)
        self.glyphs = glyphs

    def show(self, rows: Sequence[TimelineRow], *, palette: Palette) -> None:
        name_width = min(max((len(r.name) for r in rows), default=8), 28) + 1
        self.set_columns(
            (
                Column("critical", "", 2),
                Column("name", "Release", name_width),
                Column("state", "State", 14),
                Column("wave", "Wave", 5),
                Column("started", "Started", 10),
                Column("took", "Took", 8),
            )
        )
        g = self.glyphs
        self.sync(
            [
                (
                    r.key,
                    (
                        Text(g.critical if r.critical else " "),
                        Text(r.name),
                        Text(f"{g.state[r.state]} {r.state.value}", style=palette.state[r.state]),
                        Text(str(r.wave) if r.wave != NO_WAVE else g.dash),
                        Text("+" + age(r.started) if r.started is not None else g.dash),
                        Text(age(r.took) if r.took is not None else g.dash),
                    ),
                )
                for r in rows
            ]
        )
