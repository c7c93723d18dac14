"""Rich styles for table cells, taken from the active Textual theme.

DataTable cells are Rich `Text`, which cannot name theme variables, so the colours are looked up once
from the theme (`$text-success`, `$text-error`, ...) rather than written as literals. With NO_COLOR,
Textual's monochrome filter turns them into greys, which is why a state is never shown by colour
alone: every state cell carries its glyph and word.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style

from sovwatch.model.states import State

STATE_VARIABLES: dict[State, tuple[str, bool]] = {
    State.READY: ("text-success", False),
    State.PROGRESSING: ("text-primary", False),
    State.WAITING: ("text-warning", False),
    State.FAILED: ("text-error", True),
    State.STALLED: ("text-error", True),
    State.SUSPENDED: ("text-secondary", False),
    State.UNKNOWN: ("", False),
}
"""Theme variable and bold flag per state."""


@dataclass(frozen=True)
class Palette:
    state: dict[State, Style]
    muted: Style

    @classmethod
    def from_variables(cls, variables: dict[str, str]) -> Palette:
        """Build from `App.get_css_variables()`; variables that are not plain colours are skipped."""

        def colour(name: str) -> Style:
            value = variables.get(name, "")
            return Style(color=value[:7]) if value.startswith("#") else Style()

        return cls(
            state={
                state: colour(var) + Style(bold=bold)
                for state, (var, bold) in STATE_VARIABLES.items()
            },
            muted=Style(dim=True),
        )

    @classmethod
    def monochrome(cls) -> Palette:
        """No colours at all (NO_COLOR): bold marks trouble, the rest is the terminal's own text.

        Textual's monochrome filter would map every theme colour to a grey, and two different greys
        can land on the same one of the 16 terminal colours, e.g. a state's text on the cursor row.
        """
        return cls(
            state={state: Style(bold=bold) for state, (_, bold) in STATE_VARIABLES.items()},
            muted=Style(dim=True),
        )
