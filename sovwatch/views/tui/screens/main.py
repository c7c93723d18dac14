"""The main screen: header, then the releases (with a detail or events pane), the graph or the
timeline, then the filter bar and the footer.

Only what is visible is updated on a flush; switching view or pane renders the latest snapshot at
once, so hidden views cost nothing while they are hidden.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Footer

from sovwatch.model.snapshot import Snapshot
from sovwatch.views.tui import detail_content, graph_content
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.log_choice import choose
from sovwatch.views.tui.palette import Palette
from sovwatch.views.tui.screens.logs import LogScreen
from sovwatch.views.tui.screens.streams import StreamsScreen, stream_lines
from sovwatch.views.tui.viewmodel import (
    ReleaseRows,
    arrange,
    eta_text,
    event_rows,
    header_info,
    ref,
    timeline_rows,
)
from sovwatch.views.tui.widgets.calm_static import CalmStatic
from sovwatch.views.tui.widgets.events_table import EventsTable
from sovwatch.views.tui.widgets.filter_bar import FilterBar
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from sovwatch.views.tui.widgets.rollout_header import RolloutHeader
from sovwatch.views.tui.widgets.timeline_table import TimelineTable


class MainScreen(Screen[None]):
    """Everything about the rollout on one screen."""

    BINDINGS = [
        Binding("enter", "toggle_pane('detail')", "Details", key_display="enter"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("f", "failures", "Failures"),
        Binding("e", "toggle_pane('events')", "Events"),
        Binding("l", "log", "Log"),
        Binding("g", "view('graph')", "Graph"),
        Binding("t", "view('timeline')", "Timeline"),
        Binding("o", "order", "Order: waves / failed first", show=False),
        Binding("s", "streams", "Stream health details", show=False),
        Binding("escape", "back", "Close pane, view or filter", show=False),
    ]

    def __init__(
        self,
        *,
        glyphs: Glyphs,
        failed_first: bool = False,
        conditions: Callable[[str, str], list[dict]] = lambda namespace, name: [],
    ) -> None:
        """`conditions(namespace, name)`: a HelmRelease's `status.conditions` as stored."""
        super().__init__()
        self.glyphs = glyphs
        self.conditions = conditions
        self.palette = Palette.monochrome()
        """The states' colours (the app hands its own down when it mounts)."""
        self.failed_first = failed_first
        self.failures_only = False
        self.query_text = ""
        self.view = "releases"
        self.pane = ""
        self.snapshot: Snapshot | None = None
        self.now = 0.0
        self.mode = ""
        self.source_error = ""
        self.started_at: float | None = None
        """When the watch began (the header's elapsed clock and the timeline's offsets)."""
        self._release_rows = ReleaseRows()

    def compose(self) -> ComposeResult:
        g = self.glyphs
        yield RolloutHeader(glyphs=g, id="header")
        with ContentSwitcher(initial="releases", id="views"):
            with Vertical(id="releases"):
                yield ReleaseTable(glyphs=g, id="release-table")
                with ContentSwitcher(id="pane", classes="hidden"):
                    with VerticalScroll(id="detail"):
                        yield CalmStatic(id="detail-text")
                    yield EventsTable(glyphs=g, id="events")
            with VerticalScroll(id="graph"):
                yield CalmStatic(id="graph-text")
            with Vertical(id="timeline"):
                yield CalmStatic(id="critical-path")
                yield TimelineTable(glyphs=g, id="timeline-table")
        yield CalmStatic(id="replay-bar")
        yield FilterBar(id="filter")
        yield Footer(compact=True)

    # -- data --------------------------------------------------------------------------------

    def show(
        self, snapshot: Snapshot, *, now: float, mode: str = "", source_error: str = ""
    ) -> None:
        """Render `snapshot` into whatever is visible."""
        self.snapshot, self.now, self.mode, self.source_error = snapshot, now, mode, source_error
        self.refresh_header()
        if self.view == "releases":
            self._show_releases()
        elif self.view == "graph":
            width = self.query_one("#graph").size.width or self.app.size.width
            self.query_one("#graph-text", CalmStatic).show(
                graph_content.render(snapshot, width=width - 1, glyphs=self.glyphs)
            )
        else:
            self._show_timeline()

    def refresh_header(self) -> None:
        info = header_info(self.snapshot, started_at=self.started_at)
        self.set_class(info.stale or bool(self.source_error), "stale")
        self.query_one(RolloutHeader).show_info(
            info, now=self.now, mode=self.mode, source_error=self.source_error
        )

    def _show_releases(self) -> None:
        rows = self._release_rows(self.snapshot, self.glyphs)
        shown = arrange(
            rows,
            query=self.query_text,
            failures_only=self.failures_only,
            failed_first=self.failed_first,
        )
        table = self.query_one(ReleaseTable)
        table.show(shown, sizing=rows, now=self.now, palette=self.palette)
        if self.pane == "detail":
            self._show_detail()
        elif self.pane == "events":
            self.query_one(EventsTable).show(
                event_rows(self.snapshot), now=self.now, palette=self.palette
            )

    def _show_detail(self) -> None:
        if self.snapshot is None:
            return
        releases = {r.key: r for r in self.snapshot.releases}
        key = self.query_one(ReleaseTable).selected_key
        release = next((r for r in releases.values() if ref(r.key) == key), None)
        text = self.query_one("#detail-text", CalmStatic)
        width = text.content_size.width or self.app.size.width - 3  # padding and scrollbar
        if release is not None:
            text.show(
                detail_content.render(
                    release,
                    releases,
                    conditions=self.conditions(*release.key[1:]),
                    events=self.snapshot.events,
                    now=self.now,
                    glyphs=self.glyphs,
                    width=width,
                )
            )

    def _show_timeline(self) -> None:
        rows = timeline_rows(self.snapshot, now=self.now, started_at=self.started_at)
        path = [k[2] for k in self.snapshot.critical_path]
        line = self.glyphs.then.join(path) if path else "not known yet"
        eta = eta_text(self.snapshot)
        self.query_one("#critical-path", CalmStatic).show(
            Content.assemble(
                (f"{self.glyphs.critical} critical path: ", "bold"),
                line,
                f"\n{eta}" if eta else "",
            )
        )
        self.query_one(TimelineTable).show(rows, palette=self.palette)

    def show_position(self, line: Content) -> None:
        """The replay's position bar (shown only in a replay one can seek in)."""
        self.query_one("#replay-bar", CalmStatic).show(line)

    def select_release(self, key: tuple[str, str, str]) -> None:
        """Put the cursor on a release's row, if it is shown."""
        table = self.query_one(ReleaseTable)
        row = f"{key[1]}/{key[2]}"
        if row in table.rows:
            table.move_cursor(row=table.get_row_index(row))

    def rerender(self) -> None:
        if self.snapshot is not None:
            self.show(self.snapshot, now=self.now, mode=self.mode, source_error=self.source_error)

    # -- events ------------------------------------------------------------------------------

    def on_resize(self) -> None:
        self.call_after_refresh(self.rerender)

    @on(DataTable.RowHighlighted, "#release-table")
    def _highlighted(self) -> None:
        if self.pane == "detail":
            self._show_detail()

    @on(DataTable.RowSelected, "#release-table")
    def _selected(self) -> None:
        self.action_toggle_pane("detail")

    @on(FilterBar.Typed)
    def _filter_typed(self, event: FilterBar.Typed) -> None:
        self.query_text = event.query
        self.rerender()

    @on(FilterBar.Closed)
    def _filter_closed(self, event: FilterBar.Closed) -> None:
        self.query_text = event.query
        self.query_one(FilterBar).remove_class("shown")
        self.query_one(ReleaseTable).focus()
        self.rerender()

    # -- actions -----------------------------------------------------------------------------

    def action_toggle_pane(self, pane: str) -> None:
        self._set_view("releases")
        self.pane = "" if self.pane == pane else pane
        switcher = self.query_one("#pane", ContentSwitcher)
        switcher.set_class(not self.pane, "hidden")
        self.query_one("#releases").set_class(bool(self.pane), "with-pane")
        if self.pane:
            switcher.current = self.pane
        self.rerender()

    def action_view(self, view: str) -> None:
        self._set_view("releases" if self.view == view else view)
        self.rerender()

    def _set_view(self, view: str) -> None:
        self.view = view
        self.refresh_bindings()
        self.query_one("#views", ContentSwitcher).current = view
        focus = {"releases": "#release-table", "graph": "#graph", "timeline": "#timeline-table"}
        self.query_one(focus[view]).focus()

    def action_filter(self) -> None:
        self._set_view("releases")
        bar = self.query_one(FilterBar)
        bar.add_class("shown")
        bar.focus()

    def action_failures(self) -> None:
        self.failures_only = not self.failures_only
        self.rerender()

    def action_order(self) -> None:
        self.failed_first = not self.failed_first
        self.rerender()

    def action_streams(self) -> None:
        info = header_info(self.snapshot, started_at=self.started_at)
        self.app.push_screen(
            StreamsScreen(stream_lines(info, now=self.now, source_error=self.source_error))
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`l` belongs to the release table (hidden from the footer in the graph and timeline)."""
        return self.view == "releases" if action == "log" else True

    def action_log(self) -> None:
        """The log of the selected release's pod (its root cause's, else its most troubled)."""
        streams = self.app.log_streams  # type: ignore[attr-defined]
        if streams is None:
            replaying = self.app.replay_control is not None  # type: ignore[attr-defined]
            self.notify(
                "a replay has no container logs" if replaying else "logs are off (--no-logs)"
            )
            return
        key = self.query_one(ReleaseTable).selected_key
        releases = self.snapshot.releases if self.snapshot is not None else ()
        release = next((r for r in releases if ref(r.key) == key), None)
        choice = choose(release) if release is not None else None
        if choice is None:
            self.notify("no pod to read a log from")
            return
        self.app.push_screen(LogScreen(streams, choice))

    def action_back(self) -> None:
        if self.view != "releases":
            self._set_view("releases")
        elif self.pane:
            self.action_toggle_pane(self.pane)
            return
        elif self.query_text or self.failures_only:
            self.query_text, self.failures_only = "", False
            self.query_one(FilterBar).value = ""
        self.rerender()


class MemberScreen(MainScreen):
    """One Sovereign of a fleet, as `MainScreen` shows a single one; `esc` with nothing left to
    close goes back to the fleet."""

    BINDINGS = [
        Binding(
            "escape",
            "back",
            "Fleet",
            key_display="esc",
            tooltip="Close pane, view or filter; else back to the fleet",
        ),
        *(b for b in MainScreen.BINDINGS if b.key != "escape"),
    ]

    def action_back(self) -> None:
        if self.view == "releases" and not (self.pane or self.query_text or self.failures_only):
            self.dismiss()
        else:
            super().action_back()
