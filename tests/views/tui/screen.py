"""Reading what the app put on the screen: plain lines, styled cells, and SVGs in a colour system.

Textual's `export_screenshot()` always renders truecolor; a `TERM=xterm` user sees those colours
downgraded to the 16 ANSI ones (Rich does it on output), so `svg()` downgrades each segment the same
way before exporting, and `cells()` gives the downgraded colours to check readability.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from rich.color import Color, ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual.app import App

SYSTEMS = {"truecolor": ColorSystem.TRUECOLOR, "16": ColorSystem.STANDARD}


def _segment_lines(app: App) -> list[list[Segment]]:
    # The same render that App.export_screenshot() prints (Textual has no public API for segments).
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    segments = list(console.render(update))
    return [list(line) for line in Segment.split_lines(s for s in segments if not s.control)][
        :height
    ]


def _downgrade(style: Style | None, system: ColorSystem) -> Style | None:
    if style is None:
        return None
    color = style.color.downgrade(system) if style.color else None
    bgcolor = style.bgcolor.downgrade(system) if style.bgcolor else None
    return style + Style.from_color(color, bgcolor)


def lines(app: App) -> list[str]:
    """The screen as plain text, one string per row."""
    return ["".join(s.text for s in line) for line in _segment_lines(app)]


def text(app: App) -> str:
    return "\n".join(lines(app))


@dataclass(frozen=True)
class Cell:
    char: str
    fg: tuple[int, int, int]
    bg: tuple[int, int, int]


def _rgb(color: Color | None, default: tuple[int, int, int], reverse: bool) -> tuple[int, int, int]:
    if color is None or color.is_default:
        return default
    return tuple(color.get_truecolor(DEFAULT_TERMINAL_THEME, foreground=not reverse))


def cells(app: App, system: str = "16") -> list[list[Cell]]:
    """Every cell with the colours a terminal of `system` would show (reverse video applied)."""
    theme = DEFAULT_TERMINAL_THEME
    default_fg = tuple(theme.foreground_color)
    default_bg = tuple(theme.background_color)
    out = []
    for line in _segment_lines(app):
        row = []
        for seg in line:
            style = _downgrade(seg.style, SYSTEMS[system]) or Style()
            fg = _rgb(style.color, default_fg, False)
            bg = _rgb(style.bgcolor, default_bg, False)
            if style.reverse:
                fg, bg = bg, fg
            row += [Cell(ch, fg, bg) for ch in seg.text]
        out.append(row)
    return out


def ansi_colours(app: App) -> list[list[tuple[str, int | None]]]:
    """Every cell's character and foreground as a 16-colour terminal gets it: the ANSI colour
    number (0-15) or None for the terminal's default."""
    out = []
    for line in _segment_lines(app):
        row = []
        for seg in line:
            style = _downgrade(seg.style, ColorSystem.STANDARD) or Style()
            colour = style.bgcolor if style.reverse else style.color
            number = None if colour is None or colour.is_default else colour.number
            row += [(ch, number) for ch in seg.text]
        out.append(row)
    return out


def svg(app: App, *, system: str = "truecolor", title: str = "sovwatch") -> str:
    """An SVG of the screen as a terminal with `system` colours shows it."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    for line in _segment_lines(app):
        console.print(
            _Line([Segment(s.text, _downgrade(s.style, SYSTEMS[system])) for s in line]),
            soft_wrap=True,
        )
    return console.export_svg(title=title)


class _Line:
    """A ready-made line of segments for Console.print."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments

    def __rich_console__(self, console, options):
        yield from self.segments
        yield Segment.line()


class Frames:
    """What the app sends to the terminal, frame by frame, although `run_test` has no terminal.

    Textual's headless driver drops output, so this wraps `App._display` (private: the one place
    every compositor update passes; Textual has no public hook) and renders each update the way the
    real driver would. `lines` is the set of screen rows a frame touched, `bytes` its UTF-8 size.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.frames: list[tuple[frozenset[int], int]] = []
        original = app._display

        def record(screen, renderable) -> None:
            if renderable is not None and not app._batch_count:
                self.frames.append((_rows_of(renderable), _size_of(app, renderable)))
            original(screen, renderable)

        app._display = record  # type: ignore[method-assign]

    async def quiet(self, pilot, *, rounds: int = 50) -> None:
        """Wait until a pause paints nothing (the first paints are done, however slow the machine),
        then forget what was painted."""
        for _ in range(rounds):
            await pilot.pause()
            if not self.take()[1]:
                return

    def take(self) -> tuple[set[int], int]:
        """Rows touched and bytes sent since the last `take()`."""
        rows: set[int] = set()
        for touched, _ in self.frames:
            rows |= touched
        sent = sum(size for _, size in self.frames)
        self.frames.clear()
        return rows, sent


def _rows_of(update) -> frozenset[int]:
    spans = getattr(update, "spans", None)
    if spans is not None:  # a partial update: (y, x1, x2) per changed stretch
        return frozenset(y for y, _, _ in spans)
    region = update.region
    return frozenset(range(region.y, region.bottom))


def _size_of(app: App, update) -> int:
    console = Console(
        width=app.size.width,
        height=app.size.height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="standard",
        legacy_windows=False,
    )
    return len(update.render_segments(console).encode())
