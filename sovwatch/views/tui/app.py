"""SovwatchApp: the Textual app. It composes the screens and wires the source to them.

Contract with the CLI (`sovwatch watch`, `demo`, `replay`):

    app = SovwatchApp(source_factory, cluster={"context": ..., "server": ...},
                      settings=TuiSettings(ascii=..., expect=..., refresh_hz=4.0),
                      replay_control=None)
    app.run()          # returns when the user quits or a signal arrives
    sys.exit(app.return_code or 0)   # 130 after Ctrl-C, SIGINT, SIGTERM or SIGHUP

- `source_factory()` returns an async iterator of `SourceItem` (`WatchEvent | StreamHealth`). The app
  runs it in one worker (`group="source"`, `exit_on_error=False`) on its own event loop; the worker
  only applies items to a `Store`. It never touches a widget.
- Each applied item schedules a flush: `FIRST_CHANGE_DELAY` (50 ms) after the first change of a
  quiet period, so a lone change shows at once, and no sooner than `1 / settings.refresh_hz` after
  the previous flush under sustained change, so bursts coalesce. A flush asks the model for a
  snapshot when the store's revision moved and updates the visible widgets inside `batch_update()`,
  writing only cells whose value changed. Between changes a 1 s tick looks at the clock: the
  header's elapsed minutes and the "in state" ages that changed move once a minute, and nothing
  else is written while the cluster is idle.
- If the source fails, the header says so and the last known state stays on screen, marked stale.
- Fatal start-up errors are the CLI's to print before the app is created.
- `replay_control` (see `options.ReplayControl`) adds space (pause) and `.` (step) and shows speed;
  with a `navigator` (`options.ReplayNavigator`) also seeking (`[` `]` a minute, `<` `>` the ends, `n`
  the next state change, `F` the next failure: searched in a thread, the model may have to run
  over much of the recording) and a position bar. A seek back swaps in the store
  the navigator rebuilt and a fresh model (`snapshotter_factory`); a seek forward plays the items
  in between into the store the model already follows. Either lands on what a straight replay
  shows at that instant.
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
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from sovwatch.exitcodes import ExitCode
from sovwatch.store.store import Store
from sovwatch.views.tui import glyphs as glyph_sets
from sovwatch.views.tui.options import Landing, ReplayControl, ReplayNavigator, TuiSettings
from sovwatch.views.tui.palette import Palette, colour_variables
from sovwatch.views.tui.replay_bar import position_line
from sovwatch.views.tui.screens.help import HelpScreen, describe
from sovwatch.views.tui.screens.main import MainScreen
from sovwatch.views.tui.terminal_output import partial_update
from sovwatch.views.tui.widgets.ascii_scrollbar import AsciiScrollBarRender
from sovwatch.views.tui.widgets.calm_static import CalmStatic
from sovwatch.views.tui.widgets.keyed_table import KeyedTable

SourceFactory = Callable[[], AsyncIterator[Any]]
Snapshotter = Callable[[Store, float], dict]
"""Store and wall-clock time to the `sovwatch.snapshot/v1` document the views read."""
SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
SEARCHES = {"change": "state change", "failure": "failure"}
"""Seeks that search the recording (in a thread), and what the position bar says meanwhile."""
FIRST_CHANGE_DELAY = 0.05
"""Seconds from the first change after a quiet period to its flush: lets a burst that arrives
together (one watch chunk) land in one frame without a visible wait."""


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
        source_factory: SourceFactory,
        *,
        cluster: dict,
        settings: Any = None,
        replay_control: ReplayControl | None = None,
        snapshotter: Snapshotter | None = None,
        clock: Callable[[], float] = time.time,
        started_at: float | None = None,
        navigator: ReplayNavigator | None = None,
        snapshotter_factory: Callable[[], Snapshotter] | None = None,
    ) -> None:
        """
        Args:
            source_factory: returns the async iterator of source items to watch.
            cluster: `context` and `server` for the header.
            settings: `TuiSettings` or any object with the same attributes.
            replay_control: given in replay mode; pause/step/speed.
            snapshotter: the model entry point (defaults to the rollout model); tests may pin it.
            clock: wall-clock source (a replay passes its recording clock; tests pin it).
            started_at: when the watch began (default: when the app starts).
            navigator: in replay mode, where seeks land (with `replay_control`).
            snapshotter_factory: makes a fresh model (at start, unless `snapshotter` is given,
                and after a seek back); defaults to the rollout model.
        """
        # NO_COLOR: Textual strips every colour (its NoColor filter, chosen here, rather than
        # mapping the theme to greys that can meet each other); the terminal's own foreground
        # on its own background is readable everywhere, and bars use reverse video instead.
        super().__init__(ansi_color=True if "NO_COLOR" in os.environ else None)
        if self.ansi_colours:
            self.ansi_color = True  # ANSI colours go out as ANSI codes, in the terminal's palette
        self.source_factory = source_factory
        self.cluster = cluster
        self.settings = settings or TuiSettings()
        self.replay_control = replay_control
        self.navigator = navigator
        self.searching = ""
        """What a seek in progress looks for ("failure"), while it does."""
        self.seek_note = ""
        """What the position bar says instead of the keys: a search in progress or its miss."""
        self.seek_keys_shown = True
        """Whether the position bar lists the seek keys (not in a `--cast` video)."""
        self.clock = clock
        self.store = Store()
        self.glyphs = glyph_sets.pick(getattr(self.settings, "ascii", None))
        self.snapshotter_factory = snapshotter_factory or self._model_snapshotter
        self.snapshotter = snapshotter or self.snapshotter_factory()
        self.palette = Palette.from_variables(self.get_css_variables())
        self.main = MainScreen(
            glyphs=self.glyphs, failed_first=getattr(self.settings, "failed_first", False)
        )
        self.source_error = ""
        self.started_at = started_at
        """When the watch began (the header's elapsed clock); `clock()` at mount if not given."""
        self.flushes = 0
        """Flushes that rendered a new snapshot (tests and the bench read it)."""
        self._lean_output = False
        """Whether mounting installed terminal_output's leaner screen updates (to remove them)."""
        self._shown_revision = -1
        self._shown_second = -1
        self._shown_mode = ""
        self._pending: Timer | None = None
        """The scheduled flush, while one is."""
        self._flushed_at = -math.inf
        """`time.monotonic()` when the last snapshot flush started."""

    def _model_snapshotter(self) -> Snapshotter:
        """The rollout model, fed incrementally: each flush folds in only what changed."""
        from sovwatch.model.rollout import Rollout
        from sovwatch.model.settings import ModelSettings
        from sovwatch.model.snapshot import ClusterInfo, snapshot_of

        rollout = Rollout(settings=ModelSettings(expect=getattr(self.settings, "expect", None)))
        cluster = ClusterInfo(
            context=self.cluster.get("context", ""), server=self.cluster.get("server", "")
        )

        def snapshot(store: Store, now: float) -> dict:
            if rollout.started_at is None:
                rollout.started_at = self.started_at
            rollout.update(store, store.drain_changes(), now)
            return snapshot_of(rollout, store, now=now, cluster=cluster).to_dict()

        return snapshot

    @property
    def ansi_colours(self) -> bool:
        """True on a 16-colour terminal (`TERM=xterm`, `screen`): states use ANSI colours."""
        return not self.no_color and self.console.color_system in ("standard", "windows")

    def get_css_variables(self) -> dict[str, str]:
        variables = super().get_css_variables()
        return {**variables, **colour_variables(variables, ansi=self.ansi_colours)}

    def conditions_of(self, release: dict) -> list[dict]:
        """The HelmRelease's `status.conditions` as stored (shown verbatim in the detail pane)."""
        obj = self.store.get("HelmRelease", release.get("namespace", ""), release.get("name", ""))
        return list(((obj or {}).get("status") or {}).get("conditions") or [])

    # -- lifecycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.started_at is None:
            self.started_at = self.clock()
        self.main.started_at = self.started_at
        self.set_class(self.no_color, "no-color")
        self.set_class(self.glyphs is glyph_sets.ASCII, "ascii")
        if self.no_color:
            self.palette = Palette.monochrome()
        ascii_only = self.glyphs is glyph_sets.ASCII
        CalmStatic.ascii_only = KeyedTable.ascii_only = ascii_only
        ScrollBar.renderer = AsciiScrollBarRender if ascii_only else ScrollBarRender
        self._lean_output = partial_update.install()
        self.push_screen(self.main)
        self.main.set_class(self.navigator is not None, "replaying")
        self._start_source()
        self.set_interval(1.0, self._tick)
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
        async for item in self.source_factory():
            self.store.apply(item)
            self.schedule_flush()

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
            self.source_error = " ".join(f"{type(error).__name__}: {error}".split())[:200]
            self._shown_revision = -1
            self.schedule_flush()
        elif event.state is WorkerState.SUCCESS and self.replay_control is not None:
            self._shown_mode = ""
            self.schedule_flush()

    # -- the flush ---------------------------------------------------------------------------

    @property
    def min_flush_gap(self) -> float:
        """Seconds between snapshot flushes under sustained change (`settings.refresh_hz`)."""
        return 1 / max(float(getattr(self.settings, "refresh_hz", 4.0)), 0.5)

    def schedule_flush(self) -> None:
        """Flush soon: shortly after a quiet period, else when the coalescing gap has passed."""
        if self._pending is not None:
            return
        wait = self._flushed_at + self.min_flush_gap - time.monotonic()
        self._pending = self.set_timer(max(wait, FIRST_CHANGE_DELAY), self._scheduled_flush)

    def _scheduled_flush(self) -> None:
        self._pending = None
        self._timed_flush()

    def _tick(self) -> None:
        """Once a second: the clock, when its minute turned (a pending flush will move it anyway)."""
        if self._pending is None:
            self._timed_flush()

    def _timed_flush(self) -> None:
        """A flush from a timer: one may still fire while the app exits and its widgets are
        already gone; there is nothing left to draw then."""
        try:
            self.flush()
        except NoMatches:
            return

    def flush(self) -> None:
        """Apply what changed since the last flush; otherwise move the clock (the header writes
        only when its text changed) and, once a minute, the ages."""
        now = self.clock()
        mode = self._mode()
        if self.store.revision != self._shown_revision or mode != self._shown_mode:
            self._flushed_at = time.monotonic()
            snapshot = self.snapshotter(self.store, now)
            self._shown_revision, self._shown_mode = self.store.revision, mode
            self.show_snapshot(snapshot, now=now)
        elif int(now) != self._shown_second and self.main.snapshot:
            with self.batch_update():
                self.main.now = now
                if int(now) // 60 != self._shown_second // 60:
                    self.main.rerender()
                else:
                    self.main.refresh_header()
                self._show_position(now)
        self._shown_second = int(now)

    def _show_position(self, now: float) -> None:
        """The replay's position bar (CalmStatic: written only when its text changed)."""
        navigator, control = self.navigator, self.replay_control
        if navigator is None or control is None:
            return
        start = self.started_at if self.started_at is not None else navigator.start
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

    def show_snapshot(self, snapshot: dict, *, now: float) -> None:
        """Render one snapshot document now (the flush's last step; tests call it directly)."""
        with self.batch_update():
            self.main.show(snapshot, now=now, mode=self._mode(), source_error=self.source_error)
            self._show_position(now)
        self.flushes += 1

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
            for b in (*self.main.BINDINGS, *self.BINDINGS)
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
            self.flush()

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
            self.store = navigator.store_at(landing.position)
            self.snapshotter = self.snapshotter_factory()
        control.seek(landing.position, landing.at)
        if not any(w.group == "source" and not w.is_finished for w in self.workers):
            self._start_source()  # it had played to the end
        self._shown_revision = -1
        self.flush()
        if landing.release is not None:
            self.main.select_release(landing.release)
