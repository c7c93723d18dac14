"""The two header lines: where we are watching, and how far the rollout is.

Line 1: context, server, a warning when the server's identity is not verified
(insecure-skip-tls-verify), and one stream-health badge (details behind `s`). Line 2: outcome, "31/38
ready" with a bar and where the expected count came from (or, while no HelmRelease exists, what
sovwatch waits for: "waiting for Flux: HelmRelease CRD not installed yet"), then elapsed time and ETA, both to the
minute like every duration on screen: a seconds clock was 3.5 KiB a minute on an idle screen, seven
times all of `watch -n2`, for nothing an operator acts on. The clock is its own small widget, so
when it moves it repaints a dozen cells, not two whole lines.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content

from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.viewmodel import HeaderInfo, age, truncate
from sovwatch.views.tui.widgets.calm_static import CalmStatic

OUTCOME_STYLE = {
    "ready": "bold $state-ready",
    "in-progress": "bold $state-progressing",
    "failed": "bold $state-failed",
    "timeout": "bold $state-failed",
    "flux-not-reconciling": "bold $state-failed",
}
BADGE = {
    "live": ("live", "$state-ready"),
    "absent": ("live", "$state-ready"),
    "connecting": ("connecting", "$state-progressing"),
    "reconnecting": ("reconnecting", "bold $state-waiting"),
    "stale": ("stale", "bold $state-waiting"),
    "forbidden": ("forbidden", "bold $state-failed"),
    "error": ("stream error", "bold $state-failed"),
}
EXPECTED_FROM = {"explicit": "--expect", "inventory": "inventory", "seen": "seen so far"}


def badge(info: HeaderInfo, *, source_error: str, glyphs: Glyphs) -> Content:
    """One badge for all streams: the worst one, its resource, and how many others are not live."""
    if source_error:
        return Content.assemble((f"{glyphs.state['failed']} source stopped", "bold $state-failed"))
    worst = info.worst_stream
    if worst is None:
        return Content.assemble(("connecting", "$state-progressing"))
    word, style = BADGE.get(worst.state, (worst.state, "bold $state-failed"))
    if word == "live":
        return Content.assemble((f"{glyphs.bullet} live", style))
    if info.cached_at is not None and word == "connecting":
        return Content.assemble((word, style))  # nothing went wrong yet: no stream to name
    troubled = [s for s in info.streams if s.state not in ("live", "absent")]
    more = f" +{len(troubled) - 1}" if len(troubled) > 1 else ""
    resource = worst.resource.split(".", 1)[0]
    if len(troubled) > 1 and len({(s.state, s.detail) for s in info.streams}) == 1:
        resource, more = f"all {len(troubled)}", ""  # one cause: the server, not a stream
    return Content.assemble((f"! {word}: {resource}{more}", style), (" [s]", "dim"))


class RolloutHeader(Vertical):
    """Context, server, stream badge; outcome, progress; elapsed and ETA."""

    DEFAULT_CSS = """
    RolloutHeader { height: 2; }
    RolloutHeader > Horizontal { height: 1; }
    RolloutHeader #header-progress { width: 1fr; }
    RolloutHeader #header-clock { width: auto; }
    """

    def __init__(self, *, glyphs: Glyphs, id: str | None = None) -> None:
        super().__init__(id=id)
        self.glyphs = glyphs
        self._clock_width = 0

    def compose(self) -> ComposeResult:
        yield CalmStatic(id="header-where")
        with Horizontal():
            yield CalmStatic(id="header-progress")
            yield CalmStatic(id="header-clock")

    @property
    def repaints(self) -> int:
        return sum(part.repaints for part in self.query(CalmStatic))

    @property
    def plain(self) -> str:
        parts = [
            self.query_one(f"#header-{n}", CalmStatic).plain for n in ("where", "progress", "clock")
        ]
        return f"{parts[0]}\n{parts[1]}{parts[2]}"

    def show_info(
        self,
        info: HeaderInfo,
        *,
        now: float,
        mode: str = "",
        source_error: str = "",
    ) -> None:
        """Render the header; each part writes to the screen only when its text or style changed."""
        width = max(self.size.width, 40)
        clock_text = self._clock(info, now=now)
        self.query_one("#header-where", CalmStatic).show(
            self._where(info, width, now=now, mode=mode, source_error=source_error)
        )
        self.query_one("#header-progress", CalmStatic).show(
            self._progress(info, width - clock_text.cell_length)
        )
        self.query_one("#header-clock", CalmStatic).show(clock_text)

    def _where(
        self, info: HeaderInfo, width: int, *, now: float, mode: str, source_error: str
    ) -> Content:
        right = badge(info, source_error=source_error, glyphs=self.glyphs)
        if mode:
            right = Content.assemble((mode, "reverse"), " ", right)
        if info.cached_at is not None:
            comma = "" if right.plain.startswith("!") else ","  # ", connecting"
            cached = f"STALE cached {age(now - info.cached_at)} ago{comma} "
            right = Content.assemble((cached, "bold $state-waiting"), right)
        elif info.stale or source_error:
            right = Content.assemble(("STALE ", "bold $state-waiting"), right)
        if info.warnings:
            insecure = any("insecure-skip-tls-verify" in w for w in info.warnings)
            label = "! INSECURE TLS " if insecure else "! WARNING "
            right = Content.assemble((label, "bold $state-failed"), right)
        left = Content.assemble(
            ("sovwatch ", "bold"), (info.context or "-", "bold $text-accent"), " ", info.server
        )
        room = width - right.cell_length - 1
        if left.cell_length > room:
            left = left.truncate(room, ellipsis=True)
        return Content.assemble(left, " " * (width - left.cell_length - right.cell_length), right)

    def _clock(self, info: HeaderInfo, *, now: float) -> Content:
        """Elapsed and ETA, padded on the left to the widest clock shown so far: a clock that
        never narrows needs a layout pass (a whole-screen repaint) only when it grows."""
        elapsed = age(now - info.started_at) if info.started_at is not None else "-"
        if info.eta_seconds is not None:
            eta = f"  ETA {age(info.eta_seconds)}"
        else:  # the timeline view (t) says why
            eta = "  ETA ?" if info.outcome == "in-progress" and not info.waiting_for else ""
        text = f"  elapsed {elapsed}{eta}"
        self._clock_width = max(self._clock_width, len(text))
        return Content(text.rjust(self._clock_width))

    def _progress(self, info: HeaderInfo, width: int) -> Content:
        g = self.glyphs
        target = info.expected or info.total
        outcome = Content.assemble(
            ("cached " if info.cached_at is not None else "", "bold $state-waiting"),
            (info.outcome, OUTCOME_STYLE.get(info.outcome, "bold $state-progressing")),
        )
        if info.waiting_for:
            room = max(width - outcome.cell_length - 3, 10)
            waiting = truncate(info.waiting_for, room, g)
            return Content.assemble(outcome, "  ", (waiting, "$state-waiting"))
        count = f" {info.ready}/{target} ready "
        source = EXPECTED_FROM.get(info.expected_from, info.expected_from)
        expected = f" expected {info.expected} from {source}" if info.expected and source else ""
        fixed = outcome.cell_length + len(count) + len(expected) + 2
        if fixed + 8 > width and expected:
            expected = f" (from {source})"
            fixed = outcome.cell_length + len(count) + len(expected) + 2
        bar_width = max(min(width - fixed, 30), 4)
        filled = round(bar_width * info.ready / target) if target else 0
        bar = Content.assemble(
            g.bar_left,
            (g.bar_full * filled, "$state-ready"),
            (g.bar_empty * (bar_width - filled), "dim"),
            g.bar_right,
        )
        return Content.assemble(outcome, count, bar, expected)
