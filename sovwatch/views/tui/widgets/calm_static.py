"""A Static that repaints only when what it shows really changed.

`Content.__eq__` compares plain text only, so a change of style alone (a state turning from waiting
to failed with the same width) would be missed; comparing text and spans catches it.
"""

from __future__ import annotations

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
        self._shown = key
        self.repaints += 1
        self.update(content)
        return True

    @property
    def plain(self) -> str:
        """The text currently shown."""
        return self._shown[0] if self._shown else ""
