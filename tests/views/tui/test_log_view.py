"""`l`: the log view, over real HTTP against the emulator playing the `stuck` scenario.

The app is wired as `sovwatch` wires it: `live.stream` for the snapshots and `LiveLogStreams` on
the same client for the log view. The scenario is stepped by the test, so a container writes its
next line exactly when the test says; `spire-server-0`'s `spire-controller-manager` crash-loops
and says why only in its log (zap JSON: "unable to create controller ... no matches for kind").
"""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App

from sovsim.scenario import ScenarioRunner, load_scenario
from sovwatch.kube import api, config
from sovwatch.sources import live
from sovwatch.sources.log_streams import LiveLogStreams
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from sovwatch.views.tui.screens.help import HelpScreen
from sovwatch.views.tui.screens.logs import LogScreen
from sovwatch.views.tui.screens.main import MainScreen
from sovwatch.views.tui.widgets.log_lines import RING_LINES, LogLines
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from tests.views.tui import screen
from tests.views.tui.conftest import AT, START
from tests.views.tui.test_live_emulator import FAST, until
from tests.views.tui.test_snapshots import check

POD = ("spire-system", "spire-server-0")
CRASHING = "spire-controller-manager"
DECISIVE = '{"level":"error","ts":"20'
"""How the decisive line starts (the rest is off to the right until wrapped)."""


def status_of(runner: ScenarioRunner, container: str = CRASHING) -> dict:
    pod = runner.sim.store.peek("pods", *POD) or {}
    found = [
        s for s in pod.get("status", {}).get("containerStatuses", []) if s["name"] == container
    ]
    return found[0] if found else {}


def step_until(runner: ScenarioRunner, done, limit: float = 3600.0) -> None:
    while not done():
        assert runner.sim_time < limit, "the scenario never got there"
        runner.run_until(runner.sim_time + 0.5)


def open_log_requests(emulator) -> list:
    """Log requests the emulator has not finished answering (an open followed stream)."""
    return [r for r in emulator.request_log if r.path.endswith("/log") and r.duration is None]


async def app_on(emulator, tmp_path, *, logs: bool = True) -> SovwatchApp:
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    connection = await config.load_connection((kubeconfig,), settings=FAST)
    client = await api.connect(connection, settings=FAST)
    return SovwatchApp(
        lambda: live.stream(client, settings=FAST),
        cluster={"context": "emulator", "server": emulator.url},
        settings=TuiSettings(refresh_hz=10),
        log_streams=LiveLogStreams(client) if logs else None,
    )


async def open_spire_log(app: SovwatchApp, pilot) -> LogScreen:
    """Select bp-spire once its pod's containers are known, press `l`."""
    table = app.main.query_one(ReleaseTable)

    def spire_known() -> bool:
        spire = app.main.snapshot and app.main.snapshot.release("flux-system", "bp-spire")
        return bool(spire) and any(len(p.containers) == 2 for p in spire.core.pods)

    await until(pilot, spire_known, "bp-spire's pod and its two containers")
    table.move_cursor(row=table.get_row_index("flux-system/bp-spire"))
    await pilot.press("l")
    await until(pilot, lambda: isinstance(app.screen, LogScreen), "the log view")
    return app.screen  # type: ignore[return-value]


def shown(app: SovwatchApp) -> str:
    return screen.text(app)


async def test_the_crashed_run_search_wrap_and_leaving(emulator, tmp_path):
    runner = ScenarioRunner(emulator.store, load_scenario("stuck"), seed=0, start=START)
    runner.run_until(AT)
    step_until(runner, lambda: "waiting" in status_of(runner).get("state", {}))
    app = await app_on(emulator, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_spire_log(app, pilot)
        # the crashing container is chosen among the two; waiting to restart, its current log is
        # the run that crashed, and the decisive line is on screen
        await until(pilot, lambda: DECISIVE in shown(app), "the decisive line")
        title = screen.lines(app)[0]
        assert title.startswith(f" spire-server-0 › {CRASHING} (2/5) · current run · following")
        requests = [r for r in emulator.request_log if r.path.endswith("/spire-server-0/log")]
        assert requests[-1].query["container"] == CRASHING
        assert requests[-1].query["follow"] == "true"
        assert "the run ended (the container exited)" in screen.lines(app)[-2]

        # the previous run: a second request with previous=true, the same lines of that run
        await pilot.press("p")
        await until(pilot, lambda: "previous run" in screen.lines(app)[0], "previous run title")
        await until(pilot, lambda: DECISIVE in shown(app), "the previous run's decisive line")
        last = [r for r in emulator.request_log if r.path.endswith("/spire-server-0/log")][-1]
        assert last.query.get("previous") == "true"
        assert "follow" not in last.query

        # search lands on the line and says so
        lines = view.query_one(LogLines)
        await pilot.press("slash", *"no matches for kind", "enter")
        assert lines.current is not None
        assert "no matches for kind" in lines.lines[lines.current - lines.first]
        assert "/no matches for kind: line 3, matches on 1 line" in screen.lines(app)[-2]
        await pilot.press("slash", *"nowhere in this log", "enter")
        assert lines.current is None
        assert "not found" in screen.lines(app)[-2]

        # wrap: the end of the long error line comes into view, and goes again
        tail = '.spiffe.io/v1alpha1\\""}'
        assert tail not in shown(app)
        await pilot.press("w")
        await pilot.pause()
        assert tail in shown(app)
        assert "wrap" in screen.lines(app)[0]
        await pilot.press("w")
        await pilot.pause()
        assert tail not in shown(app)

        # the next container (a spire-agent pod's) has no previous run: the server's 400, one line
        await pilot.press("c")
        await until(pilot, lambda: "not found" in screen.lines(app)[-2], "the 400")
        message = screen.lines(app)[-2].strip()
        assert message.startswith(
            'previous terminated container "spire-agent" in pod "spire-agent-'
        )
        assert message.endswith('" not found')

        # `?` lists the log view's keys
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        text = shown(app)
        assert all(b.description in text for b in LogScreen.BINDINGS)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is view, "back in the log view")

        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert open_log_requests(emulator) == []


async def test_follow_shows_new_lines_and_leaving_closes_the_stream(emulator, tmp_path):
    runner = ScenarioRunner(emulator.store, load_scenario("stuck"), seed=0, start=START)
    runner.run_until(AT)

    def written() -> int:
        status = status_of(runner)
        running = "running" in status.get("state", {})
        return len(emulator.store.logs.lines(status["containerID"])) if running else 0

    step_until(runner, lambda: written() == 1)
    app = await app_on(emulator, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_spire_log(app, pilot)
        lines = view.query_one(LogLines)
        # a running container that has not crashed yet is not the root cause: `c` walks to it
        for _ in range(len(view.choice.containers)):
            if f"spire-server-0 › {CRASHING}" in screen.lines(app)[0]:
                break
            await pilot.press("c")
        assert f"spire-server-0 › {CRASHING}" in screen.lines(app)[0]

        def on_screen() -> int:
            return sum(line.startswith('{"level":') for line in screen.lines(app))

        await until(pilot, lambda: on_screen() == 1, "the run's first line")
        assert '"msg":"Config loaded"' in lines.lines[0]
        assert screen.lines(app)[0].rstrip().endswith(" · current run · following")
        await until(pilot, lambda: len(open_log_requests(emulator)) == 1, "the open stream")
        runner.run_until(runner.sim_time + 1.0)  # the container writes its next line
        await until(pilot, lambda: on_screen() == 2, "the new line")
        assert '"msg":"Connecting to SPIRE Server"' in lines.lines[1]
        await pilot.press("escape")
        await until(pilot, lambda: open_log_requests(emulator) == [], "the stream closed")
        # opened again and the app quits while following: the stream closes with it
        await pilot.press("l")
        await until(pilot, lambda: len(open_log_requests(emulator)) == 1, "the stream again")
    for _ in range(100):
        if not open_log_requests(emulator):
            break
        await asyncio.sleep(0.05)
    assert open_log_requests(emulator) == []


@pytest.mark.parametrize("variant", ["16colour", "nocolour"])
async def test_snapshot(emulator, tmp_path, monkeypatch, variant):
    """The crashed run at 80x24, searched for its decisive words (screenshots/log-*.png)."""
    if variant == "nocolour":
        monkeypatch.setenv("NO_COLOR", "1")
    runner = ScenarioRunner(emulator.store, load_scenario("stuck"), seed=0, start=START)
    runner.run_until(AT)
    step_until(runner, lambda: "waiting" in status_of(runner).get("state", {}))
    app = await app_on(emulator, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_spire_log(app, pilot)
        await until(pilot, lambda: DECISIVE in shown(app), "the decisive line")
        await pilot.press("p", "w")
        await until(pilot, lambda: "previous run · wrap" in screen.lines(app)[0], "wrapped")
        await until(pilot, lambda: DECISIVE in shown(app), "the previous run's lines")
        await pilot.press("slash", *"no matches for", "enter")
        await pilot.pause()
        svg = screen.svg(app, system="16", title=f"sovwatch: log ({variant})")
    check(svg, f"log-{variant}")


async def test_forbidden_logs_say_so_in_the_view(emulator, tmp_path):
    ScenarioRunner(emulator.store, load_scenario("stuck"), seed=0, start=START).run_until(AT)
    emulator.faults.forbid("pods/log")
    app = await app_on(emulator, tmp_path)
    async with app.run_test(size=(180, 30)) as pilot:
        await open_spire_log(app, pilot)
        await until(pilot, lambda: "RBAC" in shown(app), "the 403")
        assert screen.lines(app)[-2].strip() == (
            'logs not readable (RBAC): pods "spire-server-0" is forbidden: User '
            '"sovwatch-sim-admin" cannot get resource "pods/log" in API group "" in the '
            'namespace "spire-system"'
        )
        assert app.main.snapshot.releases  # the watch goes on


async def test_no_logs_turns_the_key_off(emulator, tmp_path):
    ScenarioRunner(emulator.store, load_scenario("stuck"), seed=0, start=START).run_until(AT)
    app = await app_on(emulator, tmp_path, logs=False)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.main.query_one(ReleaseTable)
        await until(pilot, lambda: table.row_count == 20, "20 releases")
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert [n.message for n in app._notifications] == ["logs are off (--no-logs)"]
    assert [r for r in emulator.request_log if r.path.endswith("/log")] == []


class LinesApp(App[None]):
    def compose(self):
        yield LogLines(id="lines")


async def test_the_view_keeps_the_end_in_sight_and_only_the_newest_lines():
    app = LinesApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogLines)
        for batch in range(3):
            view.append([f"batch {batch} line {i}" for i in range(30)])
            await pilot.pause()
            assert view.scroll_y == view.max_scroll_y > 0  # the newest line is on screen
        view.scroll_home(animate=False)
        await pilot.pause()
        view.append(["one more"])
        await pilot.pause()
        assert view.scroll_y == 0  # reading further up: the view stays where it is
        view.append([f"flood {i}" for i in range(RING_LINES)])
        assert len(view.lines) == RING_LINES
        assert view.lines[0] == "flood 0"
        assert view.first == 91
        assert view.search("flood 0") == 91
        assert view.search("batch 0") is None
