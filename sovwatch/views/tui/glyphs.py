"""Glyphs the TUI draws, in a UTF-8 set and an ASCII set.

A state is always shown as glyph *and* word, so neither colour nor glyph alone carries meaning; the
ASCII set exists for terminals and locales that cannot draw the UTF-8 one (`--ascii`, or automatic
when the locale's encoding is not UTF-8).
"""

from __future__ import annotations

import codecs
import locale
import os
from dataclasses import dataclass

from sovwatch.model.states import State


@dataclass(frozen=True)
class Glyphs:
    """One glyph set."""

    state: dict[State, str]
    """One glyph per state, one cell wide."""
    blocked_by: str
    """Leads a root cause: "← bp-loki: Multi-Attach data-loki-0"."""
    chain: str
    """Joins the links of a root-cause chain."""
    then: str
    """Joins the releases of the critical path, first to last."""
    bar_full: str
    bar_empty: str
    bar_left: str
    bar_right: str
    ellipsis: str
    dash: str
    """Shown for "nothing here" (no pods, no probes, no volumes)."""
    critical: str
    """Marks a release on the critical path."""
    bullet: str
    play: str = "▶"
    """Marks a replay that is playing (the position bar)."""
    pause: str = "‖"
    """Marks a replay that is paused."""


UTF8 = Glyphs(
    state={
        State.READY: "✔",
        State.PROGRESSING: "◐",
        State.WAITING: "◷",
        State.FAILED: "✖",
        State.STALLED: "⊘",
        State.SUSPENDED: "‖",
        State.UNKNOWN: "?",
    },
    blocked_by="←",
    chain=" ← ",
    then=" → ",
    bar_full="█",
    bar_empty="░",
    bar_left="▕",
    bar_right="▏",
    ellipsis="…",
    dash="—",
    critical="★",
    bullet="•",
)

ASCII = Glyphs(
    state={
        State.READY: "+",
        State.PROGRESSING: "~",
        State.WAITING: ".",
        State.FAILED: "x",
        State.STALLED: "!",
        State.SUSPENDED: "=",
        State.UNKNOWN: "?",
    },
    blocked_by="<-",
    chain=" <- ",
    then=" -> ",
    bar_full="#",
    bar_empty="-",
    bar_left="[",
    bar_right="]",
    ellipsis="~",
    dash="-",
    critical="*",
    bullet="*",
    play=">",
    pause="=",
)


def locale_is_utf8(environ: dict[str, str] | None = None) -> bool:
    """True when the locale (LC_ALL, then LC_CTYPE, then LANG) names UTF-8, as a terminal would use it."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(var)
        if value:
            return "utf-8" in value.lower().replace("utf8", "utf-8")
    encoding = locale.getpreferredencoding(False)
    return codecs.lookup(encoding).name == "utf-8"


def pick(ascii_only: bool | None, environ: dict[str, str] | None = None) -> Glyphs:
    """The glyph set to use: ASCII when asked, or when `ascii_only` is None and the locale is not UTF-8."""
    if ascii_only is None:
        ascii_only = not locale_is_utf8(environ)
    return ASCII if ascii_only else UTF8


ASCII_FALLBACK = {
    "·": "-",
    "•": "*",
    "…": "~",
    "←": "<",
    "→": ">",
    "—": "-",
    "–": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "✔": "+",
    "✖": "x",
    "×": "x",
}
"""One ASCII character for each non-ASCII one the cluster's own messages tend to contain."""


def to_ascii(text: str) -> str:
    """`text` with every non-ASCII character replaced by one ASCII character (length kept, so
    styled spans stay where they were); "?" for those without a better stand-in."""
    if text.isascii():
        return text
    return "".join(ch if ch.isascii() else ASCII_FALLBACK.get(ch, "?") for ch in text)
