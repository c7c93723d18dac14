"""Terminal output that sends a style only when it changes, and only the part that changes.

Textual renders every segment as `ESC[<whole style>m text ESC[0m`: a table row of eight cells in
one colour carries eight full colour specifications and eight resets (about 25 bytes each at 256
colours), though the terminal keeps the current style between writes, across cursor moves too.
Measured during bootstrap-kit at 120x40, SGR sequences were about half of all bytes the TUI sent.

`StyleWriter` keeps the style the terminal is in and writes, per segment:
- nothing, when the segment's style is the current one (consecutive cells in one colour);
- nothing, when the segment is blank and would look the same in the current style (same
  background, same lines drawn through or under it): the padding after a cause in another colour;
- only the codes that differ (`ESC[38;5;222m`), when no attribute has to be switched off;
- otherwise a reset and the whole style in one sequence (`ESC[0;1;38;5;74;48;5;17m`).
It ends with a reset, so whatever is written after it starts from the default style, as after
Textual's own output. What the terminal shows is the same as with Textual's rendering.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rich.color import ColorSystem
from rich.console import Console
from rich.control import Control
from rich.style import Style
from textual.strip import SGR_STYLES, Strip

RESET = "\x1b[0m"
_VISIBLE_ON_BLANK = frozenset({"4", "7", "9", "21", "53"})
"""Attributes that show on a blank cell: underline, reverse, strike, double underline, overline."""


@dataclass(frozen=True)
class Codes:
    """A style as SGR parameters, split so two styles can be compared part by part."""

    attributes: frozenset[str]
    foreground: tuple[str, ...]
    background: tuple[str, ...]
    full: str
    """All parameters, as Textual renders them (`1;38;5;253;48;5;17`); empty for no style."""

    @property
    def blank(self) -> tuple:
        """What a blank cell in this style looks like."""
        reverse = "7" in self.attributes
        return (
            self.attributes & _VISIBLE_ON_BLANK,
            self.background,
            self.foreground if reverse else (),
        )

    def change_to(self, new: Codes) -> str:
        """The parameters that take the terminal from this style to `new`."""
        if (
            self.attributes - new.attributes
            or (self.foreground and not new.foreground)
            or (self.background and not new.background)
        ):
            return f"0;{new.full}"
        changed = sorted(new.attributes - self.attributes, key=SGR_STYLES.index)
        if new.foreground != self.foreground:
            changed.extend(new.foreground)
        if new.background != self.background:
            changed.extend(new.background)
        return ";".join(changed)


@lru_cache(maxsize=512)
def codes_of(style: Style, color_system: ColorSystem) -> Codes:
    bits = style._attributes & style._set_attributes
    attributes = [SGR_STYLES[bit] for bit in range(bits.bit_length()) if bits & (1 << bit)]
    foreground = background = ()
    if style.color is not None:
        foreground = tuple(style.color.downgrade(color_system).get_ansi_codes())
    if style.bgcolor is not None:
        background = tuple(style.bgcolor.downgrade(color_system).get_ansi_codes(False))
    full = ";".join((*attributes, *foreground, *background))
    return Codes(frozenset(attributes), foreground, background, full)


class StyleWriter:
    """Collects one terminal update: cursor moves, new lines and strips."""

    def __init__(self, console: Console) -> None:
        self._color_system = console._color_system or ColorSystem.TRUECOLOR
        self._out: list[str] = []
        self._current: Codes | None = None

    @property
    def color_system(self) -> ColorSystem:
        return self._color_system

    def move_to(self, x: int, y: int) -> None:
        self._out.append(Control.move_to(x, y).segment.text)

    def new_line(self) -> None:
        self._out.append("\n")

    def control(self, sequence: str) -> None:
        """A control sequence sent in the default style (lines it inserts are blank, not
        coloured with the current background)."""
        self._reset()
        self._out.append(sequence)

    def strip(self, strip: Strip) -> None:
        self.segments((text, style) for text, style, _ in strip)

    def segments(self, segments: Iterable[tuple[str, Style | None]]) -> None:
        append = self._out.append
        for text, style in segments:
            if style is None or style._null:
                self._reset()
                append(text)
            elif style._link:
                self._reset()
                append(Strip.render_style(style, text, self._color_system))
            else:
                self._styled(text, codes_of(style, self._color_system))

    def _styled(self, text: str, codes: Codes) -> None:
        current = self._current
        if not codes.full:
            self._reset()
        elif current is None:
            self._out.append(f"\x1b[{codes.full}m")
            self._current = codes
        elif codes != current and not (text.strip(" ") == "" and codes.blank == current.blank):
            self._out.append(f"\x1b[{current.change_to(codes)}m")
            self._current = codes
        self._out.append(text)

    def _reset(self) -> None:
        if self._current is not None:
            self._out.append(RESET)
            self._current = None

    def text(self) -> str:
        """Everything written, ending in the default style."""
        self._reset()
        return "".join(self._out)
