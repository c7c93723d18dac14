"""A scrollbar drawn without block characters, for the ASCII glyph set.

Textual draws the thumb's ends with eighth-blocks ("▁".."▇"); on a terminal that cannot show UTF-8
they turn into garbage. This renderer draws the thumb with its colour only (whole cells).
"""

from __future__ import annotations

from typing import ClassVar

from textual.scrollbar import ScrollBarRender


class AsciiScrollBarRender(ScrollBarRender):
    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8
