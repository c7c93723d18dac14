"""The events pane: recent events, warnings first, one deduplicated row each with its count."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from sovwatch.model.states import State
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import Palette
from sovwatch.views.tui.viewmodel import EventRow, age, truncate
from sovwatch.views.tui.widgets.keyed_table import Column, KeyedTable

FIXED = (
    Column("type", "Type", 8),
    Column("count", "Count", 6),
    Column("age", "Last", 6),
    Column("reason", "Reason", 20),
)
MESSAGE_MIN = 30


class EventsTable(KeyedTable):
    """Events keyed by object, reason and message."""

    def __init__(self, *, glyphs: Glyphs, id: str | None = None) -> None:
        super().__init__(id=id)
        self.glyphs = glyphs

    def show(self, rows: Sequence[EventRow], *, now: float, palette: Palette) -> None:
        width = (self.size.width or self.app.size.width) - 1
        fixed = sum(c.width for c in FIXED)
        longest = max((len(r.object) for r in rows), default=10) + 1
        object_width = max(min(longest, width - fixed - MESSAGE_MIN), 12)
        message_width = max(width - fixed - object_width, 10)
        self.set_columns(
            (
                *FIXED,
                Column("object", "Object", object_width),
                Column("message", "Message", message_width),
            )
        )
        warn = palette.state[State.WAITING]
        g = self.glyphs
        self.sync(
            [
                (
                    r.key,
                    (
                        Text(
                            "Warning" if r.warning else "Normal",
                            style=warn if r.warning else palette.muted,
                        ),
                        Text(f"x{r.count}"),
                        Text(age(now - r.last_seen) if r.last_seen is not None else ""),
                        Text(truncate(r.reason, FIXED[3].width - 1, g)),
                        Text(truncate(r.object, object_width - 1, g)),
                        Text(truncate(r.message, message_width - 1, g)),
                    ),
                )
                for r in rows
            ]
        )
