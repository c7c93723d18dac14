"""LogLines: a bounded ring of log lines, drawn line by line, wrapped or scrolled sideways.

It keeps the newest `RING_LINES` lines (each cut at `LINE_CHARS` characters); older ones drop off
the top. Only the rows on screen are drawn (Textual's line API), so appending to a long log costs
the visible rows, not the whole log. Matches of the search are shown in reverse video (the current
one bold too), which reads the same with and without colour.
"""

from __future__ import annotations

import re
from collections import deque
from itertools import chain

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

RING_LINES = 5000
"""Lines the view keeps (and asks the server for with `tailLines`); older ones are dropped."""
LINE_CHARS = 2000
"""Characters kept of one line; a longer line ends in `…`."""
HIT = Style(reverse=True)
CURRENT_HIT = Style(reverse=True, bold=True)


def printable(line: str) -> str:
    """One line as it may be drawn: tabs expanded, bounded (the source has already passed it
    through the untrusted-text gate, `sovwatch.untrusted`, so it holds no control character)."""
    line = line.expandtabs(8)
    return line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…"


class LogLines(ScrollView, can_focus=True):
    """The log's lines, newest last; follows the end while the end is in view."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: deque[str] = deque(maxlen=RING_LINES)
        self.first = 0
        """The number of the oldest kept line (lines are numbered from the first one received)."""
        self.wrap = False
        self.query = ""
        self.current: int | None = None
        """The number of the line the search landed on."""
        self._rows: deque[tuple[int, str]] = deque()
        """What each screen row shows: (line number, text); one row a line unless wrapped."""
        self._widest = 0
        self._rows_width = 0

    # -- content -----------------------------------------------------------------------------

    def clear(self) -> None:
        self.lines.clear()
        self._rows.clear()
        self.first, self._widest, self.current = 0, 0, None
        self._resize()

    def append(self, new: list[str]) -> None:
        """Add lines at the end (one repaint for the batch); stays at the end if it was there."""
        at_end = self.scroll_y >= self.max_scroll_y
        for line in new:
            line = printable(line)
            if len(self.lines) == self.lines.maxlen:
                self.first += 1
            self.lines.append(line)
            number = self.first + len(self.lines) - 1
            self._rows.extend(self._split(number, line))
            self._widest = max(self._widest, cell_len(line))
        while self._rows and self._rows[0][0] < self.first:
            self._rows.popleft()
        self._resize()
        if at_end:
            self.scroll_end(animate=False)

    def set_wrap(self, wrap: bool) -> None:
        self.wrap = wrap
        self._rebuild()

    def _split(self, number: int, line: str) -> list[tuple[int, str]]:
        width = self.scrollable_content_region.width
        if not self.wrap or width <= 0 or cell_len(line) <= width:
            return [(number, line)]
        return [(number, part) for part in chop_cells(line, width)]

    def _rebuild(self) -> None:
        self._rows_width = self.scrollable_content_region.width
        self._rows = deque(
            row for i, line in enumerate(self.lines) for row in self._split(self.first + i, line)
        )
        self._resize()

    def _resize(self) -> None:
        width = self.scrollable_content_region.width if self.wrap else self._widest
        self.virtual_size = Size(width, len(self._rows))
        self.refresh()

    def on_resize(self) -> None:
        if self.wrap and self.scrollable_content_region.width != self._rows_width:
            self._rebuild()

    # -- search ------------------------------------------------------------------------------

    def search(self, query: str, *, forward: bool = True, again: bool = False) -> int | None:
        """Land on the next (or previous) line holding `query` (case-insensitive), from the line
        searched last (`again`) or from the top of the view; None when no line holds it."""
        self.query = query
        found = None
        if query:
            pattern = re.compile(re.escape(query), re.IGNORECASE)
            end = self.first + len(self.lines)
            start = self.current if again and self.current is not None else self._top_line()
            start = min(max(start, self.first), end)
            if forward:
                after = start + 1 if again else start
                order = chain(range(after, end), range(self.first, after))
            else:
                order = chain(range(start - 1, self.first - 1, -1), range(end - 1, start - 1, -1))
            found = next((n for n in order if pattern.search(self.lines[n - self.first])), None)
        self.current = found
        if found is not None:
            row = next(i for i, (n, _) in enumerate(self._rows) if n == found)
            middle = max(row - self.scrollable_content_region.height // 2, 0)
            self.scroll_to(y=middle, animate=False, immediate=True)
        self.refresh()
        return found

    def matches(self) -> int:
        if not self.query:
            return 0
        pattern = re.compile(re.escape(self.query), re.IGNORECASE)
        return sum(1 for line in self.lines if pattern.search(line))

    def _top_line(self) -> int:
        row = int(self.scroll_y)
        return self._rows[row][0] if row < len(self._rows) else self.first

    # -- drawing -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        row = scroll_y + y
        if row >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        number, text = self._rows[row]
        strip = Strip(self._segments(text, number == self.current))
        if not self.wrap:
            strip = strip.crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width).apply_style(self.rich_style)

    def _segments(self, text: str, current: bool) -> list[Segment]:
        if not self.query:
            return [Segment(text)]
        style = CURRENT_HIT if current else HIT
        out, at = [], 0
        for match in re.finditer(re.escape(self.query), text, re.IGNORECASE):
            out += [Segment(text[at : match.start()]), Segment(match.group(), style)]
            at = match.end()
        out.append(Segment(text[at:]))
        return out
