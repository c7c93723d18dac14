"""State colours: CSS variables for Content markup and Rich styles for table cells.

Every state has a `$state-*` variable. On a truecolor or 256-colour terminal it aliases the theme's
own text colours (`$text-success`, `$text-error`, ...). A 16-colour terminal (`TERM=xterm`, `screen`)
would get those pastels downgraded to white and grey, so there the variables name the terminal's own
ANSI colours instead (failed red, waiting yellow, progressing cyan, ready green, the quiet states
grey) and the app passes ANSI colours through untouched, in the user's palette. With NO_COLOR,
table cells get no colour at all. A state is never shown by colour alone: every state cell carries
its glyph and word.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from textual.color import Color, ColorParseError

from sovwatch.model.states import State

STATE_VARIABLE: dict[State, str] = {
    State.READY: "state-ready",
    State.PROGRESSING: "state-progressing",
    State.WAITING: "state-waiting",
    State.FAILED: "state-failed",
    State.STALLED: "state-failed",
    State.SUSPENDED: "state-suspended",
    State.UNKNOWN: "state-unknown",
}
BOLD = frozenset({State.FAILED, State.STALLED})
"""States drawn bold as well, so trouble stands out without colour too."""

THEME_COLOURS = {
    "state-ready": "text-success",
    "state-progressing": "text-primary",
    "state-waiting": "text-warning",
    "state-failed": "text-error",
    "state-suspended": "text-secondary",
    "state-unknown": "foreground-darken-3",
}
"""Truecolor and 256 colours: each state variable is one of the theme's text colours."""
ANSI_COLOURS = {
    "state-ready": "ansi_green",
    "state-progressing": "ansi_cyan",
    "state-waiting": "ansi_yellow",
    "state-failed": "ansi_red",
    "state-suspended": "ansi_bright_black",
    "state-unknown": "ansi_bright_black",
    # The theme's orange accent becomes bright red in 16 colours: footer keys would look like
    # failures. Bold white keys on the footer's grey keep red for trouble only.
    "footer-key-foreground": "ansi_bright_white",
}
"""16 colours: the terminal's own ANSI colours."""

STATE_STYLE: dict[State, str] = {
    state: f"{'bold ' if state in BOLD else ''}${variable}"
    for state, variable in STATE_VARIABLE.items()
}
"""Content markup style per state (resolved against the app's variables when rendered)."""


def colour_variables(theme: dict[str, str], *, ansi: bool) -> dict[str, str]:
    """The `state-*` variables to add to the theme's: ANSI colour names when `ansi` (16-colour
    terminals), otherwise aliases of the theme's own text colours."""
    if ansi:
        return dict(ANSI_COLOURS)
    return {
        name: theme.get(source, theme.get("foreground", ""))
        for name, source in THEME_COLOURS.items()
    }


@dataclass(frozen=True)
class Palette:
    state: dict[State, Style]
    muted: Style

    @classmethod
    def from_variables(cls, variables: dict[str, str]) -> Palette:
        """Build from `App.get_css_variables()`; values that are not plain colours give no colour."""

        def colour(name: str) -> Style:
            try:
                return Style(color=Color.parse(variables.get(name, "")).rich_color)
            except ColorParseError:
                return Style()

        return cls(
            state={
                state: colour(variable) + Style(bold=state in BOLD)
                for state, variable in STATE_VARIABLE.items()
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
            state={state: Style(bold=state in BOLD) for state in STATE_VARIABLE},
            muted=Style(dim=True),
        )
