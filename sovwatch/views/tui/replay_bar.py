"""The replay's position bar: where the recording's clock stands between its start and its end.

One line under the table: a play or pause mark, the time since the recording began, a bar, the
recording's length, and the seek keys when there is room. While playing it moves to the minute
(a seconds clock would repaint every second over SSH); paused, it shows the second a seek or a step
landed on.
"""

from __future__ import annotations

from textual.content import Content

from sovwatch.views.tui.glyphs import Glyphs

KEYS = "  [ ] minute  < > ends  n change  F failure"
"""The seek keys, shown after the bar when the line has room for them."""
_MIN_BAR = 10


def clock(seconds: float, *, exact: bool) -> str:
    """`12:03` (minutes and seconds) when `exact`, else `12m`; hours as `1:05:03` / `1h05m`."""
    seconds = int(max(seconds, 0))
    hours, minutes, secs = seconds // 3600, seconds // 60 % 60, seconds % 60
    if exact:
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def position_line(
    *,
    now: float,
    start: float,
    end: float,
    paused: bool,
    width: int,
    glyphs: Glyphs,
    note: str = "",
    keys: bool = True,
) -> Content:
    """The bar for a replay whose clock reads `now`, over a recording from `start` to `end`;
    `note` (a search in progress, or that it found nothing) is shown instead of the `keys`."""
    exact = paused
    left = f"{glyphs.pause if paused else glyphs.play} {clock(now - start, exact=exact)} {glyphs.bar_left}"
    right = f"{glyphs.bar_right} {clock(end - start, exact=exact)}"
    room = width - len(left) - len(right) - 1
    tail = f"  {note}" if note else KEYS if keys else ""
    tail = tail if room - len(tail) >= _MIN_BAR else ""
    cells = max(room - len(tail), 1)
    share = 1.0 if end <= start else min(max((now - start) / (end - start), 0.0), 1.0)
    full = round(share * cells)
    return Content.assemble(
        (left, "bold"),
        (glyphs.bar_full * full, "$state-ready"),
        (glyphs.bar_empty * (cells - full), "dim"),
        right,
        (tail, "dim"),
    )
