"""`l`: one container's log, read through the app's `LogStreams` (the view never calls the API).

The title line names the pod and the container (`c`: the next container of the release's pods),
the run (`p`: previous or current) and whether new lines are followed (`f`, `follow=true`, the
current run only). `/` searches (`n`/`N`: next and previous match), `w` wraps long lines, `esc` goes
back. Lines arriving on a followed stream are batched: the view repaints at most `1 / FLUSH_GAP`
times a second however fast the container writes, which keeps a terminal over SSH quiet. The stream (its HTTP connection) is
closed when the container or run changes, when the screen is left and when the app exits.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from sovwatch.sources.events import LogQuery, LogStreams, LogUnavailable
from sovwatch.views.tui.log_choice import LogChoice
from sovwatch.views.tui.widgets.log_lines import RING_LINES, LogLines

FLUSH_GAP = 0.25
"""Seconds between two repaints while lines stream in (the first batch shows after FIRST_BATCH)."""
FIRST_BATCH = 0.05
RBAC = "logs not readable (RBAC)"


class LogScreen(Screen[None]):
    """One container's log: its run, followed live, searchable."""

    DEFAULT_CSS = """
    LogScreen #log-title { height: 1; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis; }
    LogScreen #log-lines { height: 1fr; }
    LogScreen #log-status { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    LogScreen #log-search { height: 1; border: none; padding: 0; display: none; }
    LogScreen #log-search.shown { display: block; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back", key_display="esc"),
        Binding("c", "container", "Next container"),
        Binding("p", "run", "Previous/current run"),
        Binding("f", "follow", "Follow on/off"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("n", "next_match", "Next match"),
        Binding("N", "previous_match", "Previous match", key_display="N"),
        Binding("w", "wrap", "Wrap on/off"),
    ]

    def __init__(self, streams: LogStreams, choice: LogChoice) -> None:
        super().__init__()
        self.streams = streams
        self.choice = choice
        self.follow = True
        self.status = ""
        """What the status line says: why there is no log, where the search landed, the end."""
        self.received = 0
        """Lines read from the open stream (the bench and tests read it)."""
        self._pending: list[str] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="log-title", markup=False)
        yield LogLines(id="log-lines")
        yield Static(id="log-status", markup=False)
        yield Input(placeholder="search", id="log-search")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(LogLines).focus()
        self._open()

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "log")

    @property
    def query_now(self) -> LogQuery:
        c, previous = self.choice.current, self.choice.previous
        return LogQuery(
            c.namespace,
            c.pod,
            c.container,
            previous=previous,
            follow=self.follow and not previous,
            tail_lines=RING_LINES,
        )

    # -- the stream --------------------------------------------------------------------------

    def _open(self) -> None:
        """(Re)open the log for the current choice: the old stream is closed first."""
        self.workers.cancel_group(self, "log")
        self._pending.clear()
        self.received = 0
        self.query_one(LogLines).clear()
        self._set_status("")
        self._show_title()
        self._read(self.query_now)

    @work(group="log", exclusive=True, exit_on_error=False)
    async def _read(self, query: LogQuery) -> None:
        try:
            async with self.streams.open(query) as lines:
                async for line in lines:
                    self.received += 1
                    self._pending.append(line)
                    if self._timer is None:
                        gap = FIRST_BATCH if self.received == 1 else FLUSH_GAP
                        self._timer = self.set_timer(gap, self._flush)
        except LogUnavailable as err:
            self._flush()
            self._set_status(f"{RBAC}: {err}" if err.forbidden else " ".join(str(err).split()))
            return
        self._flush()
        if query.follow:
            self._set_status("the run ended (the container exited)")
        elif not self.received:
            self._set_status("the log is empty")

    def _flush(self) -> None:
        self._timer = None
        if self._pending:
            batch, self._pending = self._pending, []
            self.query_one(LogLines).append(batch)

    # -- lines on screen ---------------------------------------------------------------------

    def _show_title(self) -> None:
        """Which pod and container (the namespace is the detail pane's), the run, the modes."""
        choice, c = self.choice, self.choice.current
        parts = [f"{c.pod} › {c.container or '(its only container)'}"]
        if len(choice.containers) > 1:
            parts[0] += f" ({choice.at + 1}/{len(choice.containers)})"
        parts.append("previous run" if choice.previous else "current run")
        if not choice.previous:
            parts.append("following" if self.follow else "not following")
        if self.query_one(LogLines).wrap:
            parts.append("wrap")
        self.query_one("#log-title", Static).update(" " + " · ".join(parts))

    def _set_status(self, text: str) -> None:
        if text != self.status:
            self.status = text
            self.query_one("#log-status", Static).update(text and " " + text)

    # -- actions -----------------------------------------------------------------------------

    def action_back(self) -> None:
        bar = self.query_one("#log-search", Input)
        if bar.has_class("shown"):
            bar.remove_class("shown")
            self.query_one(LogLines).focus()
            return
        self.workers.cancel_group(self, "log")
        self.dismiss()

    def action_container(self) -> None:
        if len(self.choice.containers) > 1:
            self.choice = self.choice.next_container()
            self._open()

    def action_run(self) -> None:
        self.choice = self.choice.other_run()
        self._open()

    def action_follow(self) -> None:
        self.follow = not self.follow
        self._open()

    def action_wrap(self) -> None:
        lines = self.query_one(LogLines)
        lines.set_wrap(not lines.wrap)
        self._show_title()

    def action_search(self) -> None:
        bar = self.query_one("#log-search", Input)
        bar.add_class("shown")
        bar.focus()

    @on(Input.Submitted, "#log-search")
    def _searched(self, event: Input.Submitted) -> None:
        self.query_one("#log-search", Input).remove_class("shown")
        self.query_one(LogLines).focus()
        self._search(event.value, forward=True, again=False)

    def action_next_match(self) -> None:
        self._search(self.query_one(LogLines).query, forward=True, again=True)

    def action_previous_match(self) -> None:
        self._search(self.query_one(LogLines).query, forward=False, again=True)

    def _search(self, query: str, *, forward: bool, again: bool) -> None:
        if not query:
            return
        lines = self.query_one(LogLines)
        found = lines.search(query, forward=forward, again=again)
        if found is None:
            self._set_status(f"/{query}: not found")
        else:
            self._set_status(f"/{query}: line {found + 1}, matches on {_lines(lines.matches())}")


def _lines(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"
