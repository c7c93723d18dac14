"""The two header lines: where we are watching, and how far the rollout is.

Line 1: context, server, a warning when the server's identity is not verified
(insecure-skip-tls-verify), and one stream-health badge (details behind `s`). Line 2: outcome, "31/38
ready" with a bar and where the expected count came from, elapsed time and ETA. Only the elapsed
clock changes every second; everything else changes only when the snapshot does.
"""

from __future__ import annotations

from textual.content import Content

from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.viewmodel import HeaderInfo, age, clock
from sovwatch.views.tui.widgets.calm_static import CalmStatic

OUTCOME_STYLE = {
    "ready": "bold $text-success",
    "in-progress": "bold $text-primary",
    "failed": "bold $text-error",
    "timeout": "bold $text-error",
    "flux-not-reconciling": "bold $text-error",
}
BADGE = {
    "live": ("live", "$text-success"),
    "absent": ("live", "$text-success"),
    "connecting": ("connecting", "$text-primary"),
    "reconnecting": ("reconnecting", "bold $text-warning"),
    "stale": ("stale", "bold $text-warning"),
    "forbidden": ("forbidden", "bold $text-error"),
    "error": ("stream error", "bold $text-error"),
}
EXPECTED_FROM = {"flag": "--expect", "inventory": "inventory", "seen": "seen so far"}


def badge(info: HeaderInfo, *, source_error: str, glyphs: Glyphs) -> Content:
    """One badge for all streams: the worst one, its resource, and how many others are not live."""
    if source_error:
        return Content.assemble((f"{glyphs.state['failed']} source stopped", "bold $text-error"))
    worst = info.worst_stream
    if worst is None:
        return Content.assemble(("connecting", "$text-primary"))
    word, style = BADGE.get(worst.state, (worst.state, "bold $text-error"))
    if word == "live":
        return Content.assemble((f"{glyphs.bullet} live", style))
    troubled = sum(1 for s in info.streams if s.state not in ("live", "absent"))
    more = f" +{troubled - 1}" if troubled > 1 else ""
    resource = worst.resource.split(".", 1)[0]
    return Content.assemble((f"! {word}: {resource}{more}", style), (" [s]", "dim"))


class RolloutHeader(CalmStatic):
    """Context, server, stream badge; outcome, progress, elapsed, ETA."""

    def __init__(self, *, glyphs: Glyphs, id: str | None = None) -> None:
        super().__init__(id=id)
        self.glyphs = glyphs

    def show_info(
        self,
        info: HeaderInfo,
        *,
        now: float,
        mode: str = "",
        source_error: str = "",
    ) -> None:
        """Render the header; writes to the screen only when the text or styling changed."""
        width = max(self.size.width, 40)
        self.show(
            Content("\n").join(
                [
                    self._where(info, width, mode=mode, source_error=source_error),
                    self._progress(info, width, now=now),
                ]
            )
        )

    def _where(self, info: HeaderInfo, width: int, *, mode: str, source_error: str) -> Content:
        right = badge(info, source_error=source_error, glyphs=self.glyphs)
        if mode:
            right = Content.assemble((mode, "reverse"), " ", right)
        if info.stale or source_error:
            right = Content.assemble(("STALE ", "bold $text-warning"), right)
        if info.warnings:
            insecure = any("insecure-skip-tls-verify" in w for w in info.warnings)
            label = "! INSECURE TLS " if insecure else "! WARNING "
            right = Content.assemble((label, "bold $text-error"), right)
        left = Content.assemble(
            ("sovwatch ", "bold"), (info.context or "-", "bold $text-accent"), " ", info.server
        )
        room = width - right.cell_length - 1
        if left.cell_length > room:
            left = left.truncate(room, ellipsis=True)
        return Content.assemble(left, " " * (width - left.cell_length - right.cell_length), right)

    def _progress(self, info: HeaderInfo, width: int, *, now: float) -> Content:
        g = self.glyphs
        target = info.expected or info.total
        outcome = Content.assemble(
            (info.outcome, OUTCOME_STYLE.get(info.outcome, "bold $text-primary"))
        )
        count = f" {info.ready}/{target} ready "
        source = EXPECTED_FROM.get(info.expected_from, info.expected_from)
        expected = f" expected {info.expected} from {source}" if info.expected and source else ""
        elapsed = clock(now - info.started_at) if info.started_at is not None else "-"
        timing = f"  elapsed {elapsed}" + (
            f"  ETA {age(info.eta_seconds)}" if info.eta_seconds is not None else ""
        )
        fixed = outcome.cell_length + len(count) + len(expected) + len(timing) + 2
        if fixed + 8 > width and expected:
            expected = f" (from {source})"
            fixed = outcome.cell_length + len(count) + len(expected) + len(timing) + 2
        bar_width = max(min(width - fixed, 30), 4)
        filled = round(bar_width * info.ready / target) if target else 0
        bar = Content.assemble(
            g.bar_left,
            (g.bar_full * filled, "$text-success"),
            (g.bar_empty * (bar_width - filled), "dim"),
            g.bar_right,
        )
        return Content.assemble(outcome, count, bar, expected, timing)
