"""`?`: every key the main screen answers to, generated from the bindings themselves."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA = (("up down j k", "Move the selection"), ("pgup pgdn home end", "Page, first, last"))
"""Cursor keys, which the tables handle themselves."""


def key_lines(bindings: list[tuple[str, str]]) -> Content:
    width = max((len(k) for k, _ in bindings), default=4) + 2
    return Content("\n").join(
        Content.assemble((key.ljust(width), "bold $text-accent"), text) for key, text in bindings
    )


class HelpScreen(ModalScreen[None]):
    """A list of keys (scrolls when the screen is short); any of esc, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self._keys = [*EXTRA, *bindings]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Content.assemble(("Keys", "bold underline")), markup=False)
            yield Static(key_lines(self._keys), id="help-keys", markup=False)

    def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


def describe(bindings: list[Binding]) -> list[tuple[str, str]]:
    """(keys, description) for every described binding (its tooltip where the footer's word is
    short); keys sharing a description (an action, or two directions of one: "A minute back /
    on") share a line."""
    keys: dict[str, list[str]] = {}
    for binding in bindings:
        if binding.description:
            text = binding.tooltip or binding.description
            keys.setdefault(text, []).extend(map(_pretty, binding.key.split(",")))
    return [(" ".join(shown), text) for text, shown in keys.items()]


def _pretty(key: str) -> str:
    return {
        "slash": "/",
        "question_mark": "?",
        "full_stop": ".",
        "ctrl+c": "ctrl+c",
        "left_square_bracket": "[",
        "right_square_bracket": "]",
        "less_than_sign": "<",
        "greater_than_sign": ">",
    }.get(key, key)
