"""The events pane: recent events, warnings first, one deduplicated row each with its count.

Columns fit the width in steps, so the message keeps at least `MESSAGE_MIN` cells: first objects
lose their namespace ("pod/loki-0"), then the pane goes compact ("Warn"/"Norm", short reason
names, objects cut at their end). At 80 columns kind, name and reason stay readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

from sovwatch.model.states import State
from sovwatch.views.tui.cause_text import SHORT_REASONS
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import Palette
from sovwatch.views.tui.viewmodel import EventRow, age, truncate
from sovwatch.views.tui.widgets.keyed_table import Column, KeyedTable

AGE_WIDTH = 6
REASON_MAX = 27
"""Wide enough for "CreateContainerConfigError"."""
MESSAGE_MIN = 30
OBJECT_MAX = 40
"""Longer object names are cut: the message says more than the end of a long pod name."""
COMPACT_REASON_MAX = 16
COMPACT_OBJECT_MIN = 16
COMPACT_MESSAGE_MIN = 24


@dataclass(frozen=True)
class Form:
    """How much each row says: the namespace in objects, full type words and reasons."""

    namespace: bool = True
    compact: bool = False

    def type_word(self, warning: bool) -> str:
        if self.compact:
            return "Warn" if warning else "Norm"
        return "Warning" if warning else "Normal"

    def reason(self, row: EventRow) -> str:
        return SHORT_REASONS.get(row.reason, row.reason) if self.compact else row.reason

    def object(self, row: EventRow) -> str:
        return row.object(brief=not self.namespace)


FORMS = (Form(), Form(namespace=False), Form(namespace=False, compact=True))
"""From the most to the least complete."""


def layout(width: int, rows: Sequence[EventRow]) -> tuple[tuple[Column, ...], Form]:
    """The columns for a pane `width` cells wide (scrollbar excluded), and the form rows take."""
    for form in FORMS[:-1]:
        columns = _columns(width, rows, form)
        if columns[-1].width >= MESSAGE_MIN:
            return columns, form
    return _columns(width, rows, FORMS[-1]), FORMS[-1]


def _columns(width: int, rows: Sequence[EventRow], form: Form) -> tuple[Column, ...]:
    count_width = max((len(f"x{r.count}") for r in rows), default=3) + 1
    reason_cap = COMPACT_REASON_MAX if form.compact else REASON_MAX
    reason_width = min(max((len(form.reason(r)) for r in rows), default=6), reason_cap)
    fixed = (
        Column("type", "Type", len(form.type_word(True)) + 1),
        Column("count", "Count" if count_width > 5 else "N", count_width),
        Column("age", "Last", AGE_WIDTH),
        Column("reason", "Reason", reason_width + 1),
    )
    rest = width - sum(c.width for c in fixed)
    object_width = min(max((len(form.object(r)) for r in rows), default=10), OBJECT_MAX) + 1
    if form.compact:
        object_width = max(min(object_width, rest - COMPACT_MESSAGE_MIN), COMPACT_OBJECT_MIN)
    return (
        *fixed,
        Column("object", "Object", object_width),
        Column("message", "Message", max(rest - object_width, 10)),
    )


class EventsTable(KeyedTable):
    """Events keyed by object, reason and message."""

    def __init__(self, *, glyphs: Glyphs, id: str | None = None) -> None:
        super().__init__(id=id)
        self.glyphs = glyphs

    def show(self, rows: Sequence[EventRow], *, now: float, palette: Palette) -> None:
        width = (self.size.width or self.app.size.width) - 1
        columns, form = layout(width, rows)
        self.set_columns(columns)
        size = {c.key: c.width - 1 for c in columns}
        warn = palette.state[State.WAITING]
        g = self.glyphs
        self.sync(
            [
                (
                    r.key,
                    (
                        Text(form.type_word(r.warning), style=warn if r.warning else palette.muted),
                        Text(f"x{r.count}"),
                        Text(age(now - r.last_seen) if r.last_seen is not None else ""),
                        Text(truncate(form.reason(r), size["reason"], g)),
                        Text(truncate(form.object(r), size["object"], g)),
                        Text(truncate(r.message, size["message"], g)),
                    ),
                )
                for r in rows
            ]
        )
