"""A small terminal model: what a terminal shows after it is sent some output.

It keeps the SGR state (attributes, foreground, background) the way a terminal does, across cursor
moves, and records each cell's character and look. It understands what sovwatch's TUI sends:
cursor positioning, SGR, newlines, and lines moved inside a scroll region (`CSI t;b r`, `CSI L`,
`CSI M`); every other CSI sequence (cursor visibility, synchronized output) and OSC sequence is
read and ignored.
"""

from __future__ import annotations

import re

SEQUENCE = re.compile(
    r"\x1b\[(?:(\d+);(\d+)H|([0-9;]*)m|([0-9;]*)([rLM])|[?0-9;]*[A-Za-z])|(\n)"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
)
BLANK = (" ", frozenset(), "39", "49")


class Terminal:
    """Cells of (character, attributes, foreground, background) after playing output."""

    def __init__(self, height: int, width: int) -> None:
        self.cells = [[BLANK] * width for _ in range(height)]
        self.x = self.y = 0
        self.width = width
        self.region = (0, height - 1)
        """The scroll region's first and last line."""
        self.reset()

    def reset(self) -> None:
        self.attributes: set[str] = set()
        self.fg, self.bg = "39", "49"

    def play(self, output: str) -> Terminal:
        position = 0
        for match in SEQUENCE.finditer(output):
            self._text(output[position : match.start()])
            position = match.end()
            if match.group(1):
                self.y, self.x = int(match.group(1)) - 1, int(match.group(2)) - 1
            elif match.group(6):
                self.y += 1
            elif match.group(3) is not None:
                self._sgr(match.group(3).split(";"))
            elif match.group(5):
                self._lines(match.group(5), match.group(4))
        self._text(output[position:])
        return self

    def _lines(self, final: str, params: str) -> None:
        """A scroll region (which moves the cursor home), or a line inserted or deleted in it."""
        if final == "r":
            numbers = [int(n) for n in params.split(";") if n]
            self.region = (numbers[0] - 1, numbers[1] - 1) if numbers else (0, len(self.cells) - 1)
            self.x = self.y = 0
            return
        top, bottom = self.region
        if not top <= self.y <= bottom:
            return
        blank = [(" ", frozenset(), "39", self.bg)] * self.width
        block = self.cells[self.y : bottom + 1]
        block = [blank, *block[:-1]] if final == "L" else [*block[1:], blank]
        self.cells[self.y : bottom + 1] = block

    def _text(self, text: str) -> None:
        for char in text:
            self.cells[self.y][self.x] = (char, frozenset(self.attributes), self.fg, self.bg)
            self.x += 1

    def _sgr(self, params: list[str]) -> None:
        while params:
            code = params.pop(0)
            if code in ("0", ""):
                self.reset()
            elif code in ("38", "48"):
                kind = params.pop(0)
                value = ";".join(
                    [code, kind, *[params.pop(0) for _ in range(3 if kind == "2" else 1)]]
                )
                if code == "38":
                    self.fg = value
                else:
                    self.bg = value
            elif code == "39" or 30 <= int(code) <= 37 or 90 <= int(code) <= 97:
                self.fg = code
            elif code == "49" or 40 <= int(code) <= 47 or 100 <= int(code) <= 107:
                self.bg = code
            else:
                self.attributes.add(code)

    def looks(self) -> list[list[tuple]]:
        """Each cell as seen: a blank shows only its background and the lines drawn through it."""
        seen = []
        for row in self.cells:
            line = []
            for char, attributes, fg, bg in row:
                if char == " ":
                    shown = attributes & {"4", "7", "9", "21", "53"}
                    line.append((char, shown, bg, fg if "7" in attributes else None))
                else:
                    line.append((char, attributes, fg, bg))
            seen.append(line)
        return seen

    def lines(self) -> list[str]:
        """The screen as plain text, one string per row."""
        return ["".join(cell[0] for cell in row) for row in self.cells]
