"""SovwatchApp: the Textual app. It composes the screens and shows what its pipeline publishes.

Contract with the CLI (`sovwatch watch`, `demo`, `replay`):

    app = SovwatchApp(source_factory, pipeline=Pipeline(..., coalescing=interactive(8.0)),
                      settings=TuiSettings(ascii=..., expect=..., refresh_hz=8.0),
                      replay_control=None)
    app.run()          # returns when the user quits or a signal arrives
    sys.exit(app.return_code or 0)   # 130 after Ctrl-C, SIGINT, SIGTERM or SIGHUP

- `source_factory()` returns an async iterator of `SourceItem` (`WatchEvent | StreamHealth`). The app
  feeds it to the pipeline in one worker (`group="source"`, `exit_on_error=False`) on its own event
  loop; the pipeline owns the store, the model and the coalescing (`sovwatch.pipeline`: a lone
  change after 50 ms, bursts at most `refresh_hz` times a second, fewer, down to one a second,
  while its event loop is more than 22 % busy). Without a `pipeline` the app builds one from
  `cluster`, `settings.expect`, `clock` and `started_at` (tests do).
- The app subscribes to the pipeline: each snapshot arrives as a `Published` message, which Textual
  coalesces (`can_replace`): if the screen is busy, only the newest waiting snapshot is drawn. The
  app hands it down to the main screen, which updates the visible widgets inside `batch_update()`,
  writing only cells whose value changed. Between changes the pipeline's 1 s tick moves the clock:
  the header's elapsed minutes and the "in state" ages that changed move once a minute, and nothing
  else is written while the cluster is idle.
- If the source fails, the header says so and the last known state stays on screen, marked stale.
- Fatal start-up errors are the CLI's to print before the app is created. A source that proves
  the server usable itself (behind a picture kept on disk) may raise one (a rejected credential):
  a source error of a type in `ends_run` makes the app exit with code 2, keeping it in `fatal`
  for the CLI to print.
- `replay_control` (see `options.ReplayControl`) adds space (pause) and `.` (step) and shows speed;
  with a `navigator` (`options.ReplayNavigator`) also seeking (`[` `]` a minute, `<` `>` the ends, `n`
  the next state change, `F` the next failure: searched in a thread, the model may have to run
  over much of the recording) and a position bar. A seek back restarts the pipeline from the store
  the navigator rebuilt, with a fresh model (`Pipeline.restart`); a seek forward plays the items
  in between into the store the model already follows. Either lands on what a straight replay
  shows at that instant.
- `log_streams` (a `sources.events.LogStreams`, the launcher's) lets `l` open a container's log
  (`screens.logs`); without it `l` says the logs are off.
- With a `fleet` (`sovwatch.fleet.Fleet`, a live one or a replayed recording's) instead of a
  source, the app starts on the fleet screen (`screens.fleet`): it subscribes to the fleet and to
  each member's pipeline (`fleet_watch.MemberFeed`), and draws the rows (`model.fleet`, in
  `steady_order`) when something changed, at most once every `FLEET_REDRAW_GAP` seconds: fifty
  clusters change several times a second between them, and each frame costs its own cursor moves
  and styles on the terminal. `enter` opens a `MemberScreen` over that
  member's pipeline, store and logs (everything above applies to it), `esc` closes it.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.message import Message
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.worker import Worker, WorkerState

from sovwatch.exitcodes import ExitCode
from sovwatch.fleet import Fleet, Member
from sovwatch.model.fleet import (
    FleetRow,
    FleetTotals,
    fleet_rows,
    fleet_totals,
    steady_order,
    watched,
)
from sovwatch.model.settings import ModelSettings
from sovwatch.model.snapshot import ClusterInfo, Snapshot
from sovwatch.pipeline import Pipeline, Update, interactive
from sovwatch.sources.events import LogStreams, StreamHealth
from sovwatch.store.store import Store
from sovwatch.views.tui import glyphs as glyph_sets
from sovwatch.views.tui.fleet_watch import (
    MemberFeed,
    MemberPublished,
    MembersChanged,
    gated,
    log_streams_of,
    member_states,
)
from sovwatch.views.tui.options import Landing, ReplayControl, ReplayNavigator, TuiSettings
from sovwatch.views.tui.palette import Palette, colour_variables
from sovwatch.views.tui.replay_bar import position_line
from sovwatch.views.tui.screens.fleet import FleetScreen
from sovwatch.views.tui.screens.help import HelpScreen, describe
from sovwatch.views.tui.screens.main import MainScreen, MemberScreen
from sovwatch.views.tui.terminal_output import partial_update
from sovwatch.views.tui.widgets.ascii_scrollbar import AsciiScrollBarRender
from sovwatch.views.tui.widgets.calm_static import CalmStatic
from sovwatch.views.tui.widgets.keyed_table import KeyedTable

SourceFactory = Callable[[], AsyncIterator[Any]]
FLEET_REDRAW_GAP = 2.0
"""Seconds between two redraws of the fleet screen at least (or the refresh rate's, if longer):
the pace of `watch -n2 kubectl get hr -A`; a key's effect shows at once."""
SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
SEARCHES = {"change": "state change", "failure": "failure"}
"""Seeks that search the recording (in a thread), and what the position bar says meanwhile."""


class Published(Message):
    """The pipeline published a snapshot (or, with `update` None, only time passed). A newer one
    waiting in the queue replaces an older one: the screen draws the newest state only."""

    def __init__(self, update: Update | None, now: float) -> None:
        super().__init__()
        self.update = update
        self.now = now

    def can_replace(self, message: Message) -> bool:
        """Whether the newer `message` makes this one pointless: a newer snapshot always does, a
        newer tick only another tick."""
        return isinstance(message, Published) and (
            message.update is not None or self.update is None
        )


class SovwatchApp(App[None]):
    """The rollout, live, on one screen."""

    CSS_PATH = "sovwatch.tcss"
    TITLE = "sovwatch"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "interrupt", "Quit (exit code 130)", show=False, priority=True),
        Binding("ctrl+l", "repaint", "Repaint the whole screen", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("space", "pause", "Pause/resume replay"),
        Binding("full_stop", "step", "Step one event", key_display="."),
        Binding("left_square_bracket", "seek('back')", "A minute back / on", show=False),
        Binding("right_square_bracket", "seek('forward')", "A minute back / on", show=False),
        Binding("less_than_sign", "seek('start')", "To the start / end", show=False),
        Binding("greater_than_sign", "seek('end')", "To the start / end", show=False),
        Binding("n", "seek('change')", "Next state change", show=False),
        Binding("F", "seek('failure')", "Next failure", show=False),
    ]

    def __init__(
        self,
        source_factory: SourceFactory | None,
        *,
        pipeline: Pipeline | None = None,
        cluster: dict | None = None,
        settings: Any = None,
        replay_control: ReplayControl | None = None,
        clock: Callable[[], float] = time.time,
        started_at: float | None = None,
        navigator: ReplayNavigator | None = None,
        log_streams: LogStreams | None = None,
        fleet: Fleet | None = None,
        ends_run: tuple[type[BaseException], ...] = (),
    ) -> None:
        """
        Args:
            source_factory: returns the async iterator of source items to watch (None with a
                `fleet`).
            pipeline: the session's store, model and coalescing (built from the rest if None).
            cluster: `context`, `server` and `warnings` for the header (without `pipeline`).
            settings: `TuiSettings` or any object with the same attributes.
            replay_control: given in replay mode; pause/step/speed.
            clock: source time (a replay passes its recording clock; tests pin it), without
                `pipeline`.
            started_at: when the watch began (default: when the source starts), without `pipeline`.
            navigator: in replay mode, where seeks land (with `replay_control`).
            log_streams: opens container logs for `l` (None: logs are off, or a replay).
            fleet: several clusters (`fleet.Fleet`, its members already added): the fleet
                screen first, `enter` opens a member's own screen over its pipeline.
            ends_run: the source errors that end the run with exit code 2 (the CLI's fatal
                ones) instead of showing in the header.
        """
        # NO_COLOR: Textual strips every colour (its NoColor filter, chosen here, rather than
        # mapping the theme to greys that can meet each other); the terminal's own foreground
        # on its own background is readable everywhere, and bars use reverse video instead.
        super().__init__(ansi_color=True if "NO_COLOR" in os.environ else None)
        if self.ansi_colours:
            self.ansi_color = True  # ANSI colours go out as ANSI codes, in the terminal's palette
        self.source_factory = source_factory
        self.settings = settings or TuiSettings()
        self.pipeline = pipeline or Pipeline(
            settings=ModelSettings(expect=getattr(self.settings, "expect", None)),
            cluster=ClusterInfo(**(cluster or {})),
            started_at=started_at,
            clock=clock,
            coalescing=interactive(
                float(getattr(self.settings, "refresh_hz", TuiSettings.refresh_hz))
            ),
        )
        self.pipeline.subscribe(self)
        self.replay_control = replay_control
        self.navigator = navigator
        self.searching = ""
        """What a seek in progress looks for ("failure"), while it does."""
        self.seek_note = ""
        """What the position bar says instead of the keys: a search in progress or its miss."""
        self.seek_keys_shown = True
        """Whether the position bar lists the seek keys (not in a `--cast` video)."""
        self.log_streams = log_streams
        self.glyphs = glyph_sets.pick(getattr(self.settings, "ascii", None))
        self.palette = Palette.from_variables(self.get_css_variables())
        self.main = MainScreen(
            glyphs=self.glyphs,
            failed_first=getattr(self.settings, "failed_first", False),
            conditions=self.conditions_of,
        )
        self.source_error = ""
        self.ends_run = ends_run
        self.fatal: BaseException | None = None
        """What ended the run (exit code 2), for the CLI to print once the screen is restored."""
        self.flushes = 0
        """Snapshots rendered (tests and the bench read it)."""
        self._lean_output = False
        """Whether mounting installed terminal_output's leaner screen updates (to remove them)."""
        self._shown_second = -1
        self._landed_on: tuple[str, str, str] | None = None
        """The release a seek landed on, selected once its snapshot is shown."""
        self.fleet = fleet
        self.fleet_screen = FleetScreen(glyphs=self.glyphs) if fleet is not None else None
        self.member: Member | None = None
        """The fleet member whose own screen is open."""
        self._fed: set[int] = set()
        """The pipelines (by id) this app already follows."""
        self._fleet_dirty = False
        self._minutes: dict[str, int] = {}
        """The minute of each member's clock last seen (its elapsed time moves with it)."""
        self._held_until: dict[str, float] = {}
        """Members kept among the failing rows, until when (`model.fleet.steady_order`)."""

    @property
    def store(self) -> Store:
        return self.pipeline.store

    @property
    def clock(self) -> Callable[[], float]:
        return self.pipeline.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self.pipeline.clock = clock

    @property
    def min_flush_gap(self) -> float:
        """Seconds between snapshots under sustained change (`settings.refresh_hz`)."""
        return self.pipeline.coalescing.min_gap

    @property
    def ansi_colours(self) -> bool:
        """True on a 16-colour terminal (`TERM=xterm`, `screen`): states use ANSI colours."""
        return not self.no_color and self.console.color_system in ("standard", "windows")

    def get_css_variables(self) -> dict[str, str]:
        variables = super().get_css_variables()
        return {**variables, **colour_variables(variables, ansi=self.ansi_colours)}

    def conditions_of(self, namespace: str, name: str) -> list[dict]:
        """The HelmRelease's `status.conditions` as stored (shown verbatim in the detail pane)."""
        obj = self.store.get("HelmRelease", namespace, name)
        return list(((obj or {}).get("status") or {}).get("conditions") or [])

    # -- lifecycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.main.started_at = self.pipeline.started_at or self.clock()
        self.set_class(self.no_color, "no-color")
        self.set_class(self.glyphs is glyph_sets.ASCII, "ascii")
        if self.no_color:
            self.palette = Palette.monochrome()
        self.main.palette = self.palette
        ascii_only = self.glyphs is glyph_sets.ASCII
        CalmStatic.ascii_only = KeyedTable.ascii_only = ascii_only
        ScrollBar.renderer = AsciiScrollBarRender if ascii_only else ScrollBarRender
        self._lean_output = partial_update.install()
        if self.fleet_screen is not None:
            self.fleet_screen.palette = self.palette
            # what its first frame shows: the members added before the app started
            screen = self.fleet_screen
            screen.rows, screen.totals = self._fleet_view()
            self.push_screen(screen)
            self.fleet.subscribe(self)
            self._follow_members()
            self._fleet_dirty = True
            self.set_interval(max(self.min_flush_gap, FLEET_REDRAW_GAP), self._draw_fleet)
        else:
            self.push_screen(self.main)
            self.main.set_class(self.navigator is not None, "replaying")
            self._start_source()
            self.call_after_refresh(self.flush)
        if not self.is_headless:
            loop = asyncio.get_running_loop()
            for sig in SIGNALS:
                loop.add_signal_handler(sig, self.action_interrupt)

    def on_unmount(self) -> None:
        ScrollBar.renderer = ScrollBarRender
        if self._lean_output:
            partial_update.uninstall()
        if not self.is_headless:
            loop = asyncio.get_running_loop()
            for sig in SIGNALS:
                loop.remove_signal_handler(sig)

    def _start_source(self) -> None:
        self.run_worker(self._consume, group="source", exit_on_error=False)

    async def _consume(self) -> None:
        assert self.source_factory is not None
        await self.pipeline.run(self.source_factory())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "seek" and event.worker.is_finished:
            found = event.worker.result if event.state is WorkerState.SUCCESS else None
            self.seek_note = "" if found else f"no {self.searching} after this"
            self.searching = ""
            self._show_position(self.clock())
            if found:
                self._land(found)
            else:
                self.bell()
            return
        if event.worker.group != "source":
            return
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            if isinstance(error, self.ends_run):  # it ends the run as it ends a start
                self.fatal = error
                self.exit(return_code=ExitCode.USAGE)
                return
            self.source_error = " ".join(f"{type(error).__name__}: {error}".split())[:200]
            self.rerender()
        elif event.state is WorkerState.SUCCESS and self.replay_control is not None:
            self.rerender()

    # -- what the pipeline publishes -----------------------------------------------------------

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        """Stream health reaches the screen with the next snapshot."""

    def unlisted(self, resources: list[str]) -> None:
        """The TUI does not wait for every stream to list."""

    def update(self, update: Update) -> None:
        self.post_message(Published(update, update.now))

    def tick(self, now: float) -> None:
        self.post_message(Published(None, now))

    def ended(self) -> None:
        """The last snapshot came just before; the worker's state says how the source ended."""

    def schedule_flush(self) -> None:
        """The store changed outside the source (tests): let the pipeline coalesce it."""
        self.pipeline.changed()

    def flush(self) -> None:
        """Show what changed since the last snapshot now; otherwise move the clock."""
        self.pipeline.flush()

    def on_published(self, message: Published) -> None:
        try:
            self._show_published(message)
        except NoMatches:
            return  # the app is exiting and its widgets are gone: there is nothing left to draw

    def _show_published(self, message: Published) -> None:
        if message.update is not None:
            self.show_snapshot(message.update.snapshot, now=message.now)
            if self._landed_on is not None:  # the seek's snapshot: now its row is there
                self.main.select_release(self._landed_on)
                self._landed_on = None
        elif int(message.now) != self._shown_second and self.main.snapshot is not None:
            with self.batch_update():
                self.main.now = message.now
                if int(message.now) // 60 != self._shown_second // 60:
                    self.main.rerender()
                else:
                    self.main.refresh_header()
                self._show_position(message.now)
        self._shown_second = int(message.now)

    def _show_position(self, now: float) -> None:
        """The replay's position bar (CalmStatic: written only when its text changed)."""
        navigator, control = self.navigator, self.replay_control
        if navigator is None or control is None:
            return
        started = self.pipeline.started_at
        start = started if started is not None else navigator.start
        self.main.show_position(
            position_line(
                now=now,
                start=min(start, navigator.start),
                end=max(navigator.end, now),
                paused=control.paused or control.finished,
                width=self.size.width - 2,  # the bar's padding
                glyphs=self.glyphs,
                note=self.seek_note,
                keys=self.seek_keys_shown,
            )
        )

    # -- a fleet -------------------------------------------------------------------------------

    def member_added(self, member: Member) -> None:
        """A member joined the fleet (`fleet.FleetSubscriber`)."""
        self.post_message(MembersChanged())

    def member_removed(self, member: Member) -> None:
        """A member left the fleet (`fleet.FleetSubscriber`)."""
        self.post_message(MembersChanged())

    def member_trouble(self, member: Member) -> None:
        """A member's trouble changed (`fleet.FleetSubscriber`)."""
        self.post_message(MembersChanged())

    def fleet_notice(self, notice: str | None) -> None:
        """The fleet's notice changed (`fleet.FleetSubscriber`): the header says it."""
        self.post_message(MembersChanged())

    def _follow_members(self) -> None:
        """Follow the pipeline of every member not followed yet."""
        for member in self.fleet:
            if id(member.pipeline) not in self._fed:
                self._fed.add(id(member.pipeline))
                member.pipeline.subscribe(MemberFeed(member.name, self))

    def on_members_changed(self, message: MembersChanged) -> None:
        self._follow_members()
        self._fleet_dirty = True
        if self.member is not None and self.member.name not in self.fleet:
            self.notify(f"{self.member.name} left the fleet")

    def on_member_published(self, message: MemberPublished) -> None:
        minute = int(message.now // 60)  # the fleet's clocks show minutes
        if message.update is not None or self._minutes.get(message.member) != minute:
            self._fleet_dirty = True
        self._minutes[message.member] = minute
        if self.member is not None and message.member == self.member.name:
            self.on_published(Published(message.update, message.now))

    def _draw_fleet(self) -> None:
        """Redraw the fleet screen if something changed and it is the screen shown."""
        screen = self.fleet_screen
        if not self._fleet_dirty or screen is None or self.screen is not screen:
            return
        self._fleet_dirty = False
        rows, totals = self._fleet_view()
        with self.batch_update():
            screen.show(rows, totals, mode=self._mode())
        self.flushes += 1

    def draw_fleet_now(self) -> None:
        """Redraw the fleet screen now, not at the next tick (a cast's frame)."""
        self._fleet_dirty = True
        self._draw_fleet()

    def _fleet_view(self) -> tuple[list[FleetRow], FleetTotals]:
        order = steady_order(
            fleet_rows(member_states(self.fleet)),
            now=self.fleet.clock(),
            held_until=self._held_until,
        )
        self._held_until = order.held_until
        notice = self.fleet.notice
        return order.rows, fleet_totals(order.rows, notice=gated(notice) if notice else "")

    def on_fleet_screen_opened(self, message: FleetScreen.Opened) -> None:
        member = next((m for m in self.fleet if m.name == message.context), None)
        if member is None:
            return
        if not watched(member.pipeline.latest):
            self.notify(member.trouble or f"nothing from {member.name} yet", title=member.name)
            return
        self.member, self.pipeline = member, member.pipeline
        self.log_streams = log_streams_of(member)
        self.main = MemberScreen(
            glyphs=self.glyphs,
            failed_first=getattr(self.settings, "failed_first", False),
            conditions=self.conditions_of,
        )
        self.main.palette = self.palette
        self.main.started_at = member.pipeline.started_at or self.clock()
        self._shown_second = -1
        self.push_screen(self.main, callback=self._left_member)
        self.call_after_refresh(self._show_member)

    def _show_member(self) -> None:
        if self.member is not None and self.pipeline.latest is not None:
            self.show_snapshot(self.pipeline.latest, now=self.pipeline.now())

    def _left_member(self, result: None = None) -> None:
        self.member = None
        self._fleet_dirty = True
        self._draw_fleet()

    def show_snapshot(self, snapshot: Snapshot, *, now: float) -> None:
        """Render one snapshot now (tests call it directly)."""
        with self.batch_update():
            self.main.show(snapshot, now=now, mode=self._mode(), source_error=self.source_error)
            self._show_position(now)
        self.flushes += 1

    def rerender(self) -> None:
        """The same snapshot again, with the source's error or the replay's mode changed (a
        fleet's: the open member's, if one is)."""
        if self.fleet is not None and self.member is None:
            return
        if self.main.snapshot is not None:
            self.show_snapshot(self.main.snapshot, now=self.main.now)

    def _mode(self) -> str:
        control = self.replay_control
        if control is None:
            return ""
        instant = control.speed is None or math.isinf(control.speed)
        speed = "instant" if instant else f"{control.speed:g}x"
        return f"{'PAUSED' if control.paused else 'REPLAY'} {speed}"

    def get_key_display(self, binding: Binding) -> str:
        shown = super().get_key_display(binding)
        if self.glyphs is glyph_sets.ASCII and not shown.isascii():
            return binding.key.split(",")[0]
        return shown

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("pause", "step"):
            return self.replay_control is not None
        if action == "seek":
            return self.navigator is not None and self.replay_control is not None
        return True

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        usable = [
            b
            for b in (*self.screen.BINDINGS, *self.BINDINGS)
            if isinstance(b, Binding) and self.check_action(b.action.partition("(")[0], ())
        ]
        self.push_screen(HelpScreen(describe(usable)))

    def action_interrupt(self) -> None:
        self.exit(return_code=ExitCode.INTERRUPTED)

    def action_repaint(self) -> None:
        """Send every cell again, as curses' ctrl+l does: after anything else wrote to the terminal,
        what it shows is no longer what the shadow of it says."""
        partial_update.forget(self.console)
        self.screen.refresh()

    def action_pause(self) -> None:
        if self.replay_control is not None:
            self.replay_control.toggle_pause()
            self.rerender()
            self._fleet_dirty = True
            self._draw_fleet()  # a key's effect shows at once

    def action_step(self) -> None:
        if self.replay_control is not None:
            self.replay_control.step()

    def action_seek(self, where: str) -> None:
        """Jump in the recording; the screen then shows what a straight replay shows there. The
        next change or failure may need the model run over much of the recording (seconds on a
        large one): that search runs in a thread, and the bar says what it looks for."""
        navigator = self.navigator
        if navigator is None or self.replay_control is None:
            return
        if where in SEARCHES:
            self.searching = SEARCHES[where]
            self.seek_note = f"looking for the next {self.searching}{self.glyphs.ellipsis}"
            self._show_position(self.clock())
            self.run_worker(
                partial(navigator.land, where, self.clock()),
                group="seek",
                thread=True,
                exit_on_error=False,
            )
            return
        self.seek_note = ""
        landing = navigator.land(where, self.clock())
        if landing is not None:  # (only a search can miss)
            self._land(landing)

    def _land(self, landing: Landing) -> None:
        control, navigator = self.replay_control, self.navigator
        assert control is not None
        assert navigator is not None
        if landing.position >= control.position:
            for item in navigator.items(control.position, landing.position):
                self.store.apply(item)
        else:
            self.pipeline.restart(navigator.store_at(landing.position))
        control.seek(landing.position, landing.at)
        if not any(w.group == "source" and not w.is_finished for w in self.workers):
            self._start_source()  # it had played to the end
        self._landed_on = landing.release
        self.pipeline.publish()  # at the landing's instant, even when no item came in between
