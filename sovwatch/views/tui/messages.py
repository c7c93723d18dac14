"""Messages shared across the app (a widget's private messages live in the widget)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class SourceEnded(Message):
    """The source stopped yielding: `error` says why in one line ("" when it simply finished)."""

    error: str


@dataclass
class Flushed(Message):
    """A flush applied a new snapshot to the screen; `revision` is the store revision it showed."""

    revision: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Flushed)
