"""A Static that repaints only when what it shows really changed.

`Content.__eq__` compares plain text only, so a change of style alone (a state turning from waiting
to failed with the same width) would be missed; comparing text and spans catches it.

`Static.update` also asks for a layout by default, and a layout pass repaints more than the widget
(the release table's scrollbar, 1.4 KB a second under the ticking clock, measured). When every line
keeps its width, or the widget's width is fixed and no line count or wrap changes, its size cannot
change, so only its own content is repainted.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import Static

from sovwatch.views.tui.glyphs import to_ascii


class CalmStatic(Static):
    """Static text updated through `show()`, which skips identical content."""

    ascii_only = False
    """Set on the class by the app in ASCII mode: every character shown is made ASCII."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self._shown: tuple[str, tuple] | None = None
        self.repaints = 0
        """How many times the content changed; tests use it to prove calm updates."""

    def show(self, content: Content) -> bool:
        """Display `content`; returns True if it differed from what was shown."""
        if self.ascii_only and not content.plain.isascii():
            content = Content(to_ascii(content.plain), spans=list(content.spans))
        key = (content.plain, tuple(content.spans))
        if key == self._shown:
            return False
        resized = self._may_resize(content.plain)
        self._shown = key
        self.repaints += 1
        self.update(content, layout=resized)
        return True

    def _may_resize(self, plain: str) -> bool:
        """Whether showing `plain` instead of what is shown could change this widget's size."""
        if self._shown is None:
            return True
        before, after = _widths(self._shown[0]), _widths(plain)
        if before == after:
            return False
        width = self.styles.width
        if width is None or not width.is_auto:  # fixed width: only the height can change
            room = self.content_size.width
            return len(before) != len(after) or max(before + after) > room
        return True

    @property
    def plain(self) -> str:
        """The text currently shown."""
        return self._shown[0] if self._shown else ""


def _widths(plain: str) -> tuple[int, ...]:
    """The cell width of each line: what decides the size of an auto-sized Static."""
    return tuple(cell_len(line) for line in plain.split("\n"))
