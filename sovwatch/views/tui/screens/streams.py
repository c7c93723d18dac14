"""`s`: the stream-health details behind the header badge, one line per watched resource."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from sovwatch.views.tui.viewmodel import HeaderInfo, clock
from sovwatch.views.tui.widgets.rollout_header import BADGE


def stream_lines(info: HeaderInfo, *, now: float, source_error: str) -> Content:
    lines = [Content.assemble(("Streams", "bold underline"))]
    if source_error:
        lines.append(Content.assemble(("source stopped: ", "bold $state-failed"), source_error))
    if not info.streams:
        lines.append(Content("no stream has reported yet"))
    width = max((len(s.resource) for s in info.streams), default=10) + 2
    for s in sorted(info.streams, key=lambda s: s.resource):
        word, style = BADGE.get(s.state, (s.state, "bold $state-failed"))
        since = f" for {clock(now - s.since)}" if s.since is not None else ""
        attempt = f" attempt {s.attempt}" if s.attempt else ""
        lines.append(
            Content.assemble(
                s.resource.ljust(width),
                (f"{word:<13}", style),
                since,
                attempt,
            )
        )
        if s.detail:
            lines.append(Content.assemble(("  " + s.detail, "dim")))
    return Content("\n").join(lines)


class StreamsScreen(ModalScreen[None]):
    """Which resource is reconnecting, stale since when, forbidden."""

    BINDINGS = [Binding("escape,q,s", "dismiss", "Close", show=False)]

    def __init__(self, content: Content) -> None:
        super().__init__()
        self._content = content

    def compose(self) -> ComposeResult:
        with Vertical(id="streams-box"):
            yield Static(self._content, markup=False)

    def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
