"""The `/` filter: a one-line input that narrows the releases by name substring or state word."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FilterBar(Input):
    """Typing filters live; Enter keeps the filter and returns to the table; Esc clears it."""

    BINDINGS = [Binding("escape", "clear", "Clear filter", show=False)]

    @dataclass
    class Typed(Message):
        """The query changed (filter live)."""

        query: str

    @dataclass
    class Closed(Message):
        """The bar closed, keeping `query` ("" after Esc)."""

        query: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="filter: name or state (failed, waiting, ...)", id=id)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Typed(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Closed(event.value))

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Closed(""))
