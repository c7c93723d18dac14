"""The fleet screen end to end: emulators over HTTP, one kubeconfig with a context each, a real
`Fleet` of live sessions (`fleet_launch.fleet_of`), the app on the fleet screen: `demo --fleet`,
drilling into a member and back, a context pointing at nothing, members leaving and joining."""

from __future__ import annotations

import dataclasses
from contextlib import AsyncExitStack

from sovsim.scenario import ScenarioRunner, load_scenario
from sovsim.server import Emulator
from sovwatch import demo
from sovwatch.fleet import MemberSpec
from sovwatch.fleet_launch import fleet_of
from sovwatch.invocation import Invocation
from sovwatch.kube import api
from sovwatch.pipeline import interactive
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.screens.main import MemberScreen
from tests.fleet.fleet_helpers import fleet_kubeconfig, refused_port
from tests.views.tui import screen


async def test_the_demo_fleet_on_the_fleet_screen_and_into_a_member():
    invocation = Invocation(command="demo", output="tui", fleet=4, speed=120.0)
    async with AsyncExitStack() as stack:
        cluster = await demo.start_demo_cluster(invocation, stack)
        connector = api.shared_connector()
        stack.push_async_callback(connector.close)
        fleet = fleet_of(
            dataclasses.replace(invocation, kubeconfig=str(cluster.kubeconfig)),
            interactive(),
            connector=connector,
            settings=demo.watch_settings(cluster.speed),
            clock=cluster.clock,
        )
        stack.push_async_callback(fleet.aclose)
        for context in cluster.contexts:
            fleet.add(MemberSpec(context, kubeconfig=str(cluster.kubeconfig), context=context))
        app = SovwatchApp(None, fleet=fleet)
        async with app.run_test(size=(80, 24)) as pilot:
            rows = app.fleet_screen.rows
            for _ in range(1500):  # until every member listed and the stuck one shows trouble
                await pilot.pause(0.02)
                rows = app.fleet_screen.rows
                stuck = next((r for r in rows if r.context == "sov-par1"), None)
                if len(rows) == 4 and all(r.target for r in rows) and stuck and stuck.failed:
                    break
            assert len(rows) == 4, screen.text(app)
            assert all(r.target for r in rows), screen.text(app)
            assert stuck is not None
            assert stuck.failed, screen.text(app)
            ranks = [r.place for r in rows]
            assert ranks == sorted(ranks)  # failing first
            assert rows[0].failing
            assert screen.lines(app)[0].startswith("sovwatch fleet  4 Sovereigns: ")
            table = app.fleet_screen.query_one("#fleet-table")
            table.move_cursor(row=[r.context for r in rows].index("sov-par1"))
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, MemberScreen)
            await pilot.pause(0.2)
            assert screen.lines(app)[0].startswith("sovwatch sov-par1 http://127.0.0.1:")
            assert app.log_streams is not None  # `l` reads this member's logs
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.fleet_screen


async def until_rows(pilot, app: SovwatchApp, pred) -> list:
    """The fleet screen's rows once `pred(rows)` holds (redrawn at most 4 times a second)."""
    for _ in range(1000):
        await pilot.pause(0.02)
        if pred(app.fleet_screen.rows):
            break
    return app.fleet_screen.rows


async def test_three_contexts_one_pointing_at_nothing_are_three_rows(tmp_path):
    with refused_port() as port:
        await _three_rows(tmp_path, port)


async def _three_rows(tmp_path, port: int) -> None:
    async with Emulator() as stuck, Emulator() as done:
        ScenarioRunner(stuck.store, load_scenario("stuck"), seed=0).run_until(3500)
        ScenarioRunner(done.store, load_scenario("bootstrap-kit"), seed=1).run_to_end()
        path = fleet_kubeconfig(
            tmp_path / "fleet.yaml",
            {"sov-a": done, "sov-b": stuck, "sov-gone": f"http://127.0.0.1:{port}"},
        )
        connector = api.shared_connector()
        fleet = fleet_of(Invocation(command="watch"), interactive(), connector=connector)
        try:
            for name in ("sov-a", "sov-b", "sov-gone"):
                fleet.add(MemberSpec(name, kubeconfig=str(path), context=name))
            app = SovwatchApp(None, fleet=fleet)
            async with app.run_test(size=(80, 24)) as pilot:
                rows = await until_rows(
                    pilot,
                    app,
                    lambda rows: [r.outcome for r in rows] == ["failed", "trouble", "ready"],
                )
                assert [(r.context, r.outcome) for r in rows] == [
                    ("sov-b", "failed"),
                    ("sov-gone", "trouble"),
                    ("sov-a", "ready"),
                ], screen.text(app)
                assert rows[1].cause_text.startswith(
                    f"cannot connect to 127.0.0.1:{port}: connection refused"
                )
                lines = screen.lines(app)
                assert lines[0].startswith(
                    "sovwatch fleet  3 Sovereigns: 1 ready, 1 failed, 1 in trouble"
                )
                assert "⊘ trouble     sov-gone" in lines[3]
                # membership changes while it runs: a member leaves, another joins
                fleet.remove("sov-a")
                rows = await until_rows(pilot, app, lambda rows: len(rows) == 2)
                assert [r.context for r in rows] == ["sov-b", "sov-gone"]
                fleet.add(MemberSpec("sov-c", kubeconfig=str(path), context="sov-a"))
                rows = await until_rows(
                    pilot, app, lambda rows: any(r.outcome == "ready" for r in rows)
                )
                assert [r.context for r in rows] == ["sov-b", "sov-gone", "sov-c"]
        finally:
            await fleet.aclose()
            await connector.close()


async def test_a_kubeconfig_others_may_read_is_a_warning_on_its_row_while_it_runs(tmp_path):
    """`--kubeconfig-dir`: a file readable by others is marked on its row, counted in the header
    and said in full below the table for the selected row, its name through the untrusted-text
    gate (a file name is anyone's text); made private, the warning goes."""
    from sovwatch.fleet_directory import following

    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    said: list[str] = []
    async with Emulator() as a, Emulator() as b:
        ScenarioRunner(a.store, load_scenario("tiny"), seed=0).run_to_end()
        ScenarioRunner(b.store, load_scenario("tiny"), seed=1).run_to_end()
        a.write_kubeconfig(directory / "sov-a.yaml", context="admin")
        odd = b.write_kubeconfig(directory / "sov-\x1b]0;pwned\x07b.yaml", context="admin")
        odd.chmod(0o644)
        shown = str(odd).replace("\x1b", "␛").replace("\x07", "␇")
        connector = api.shared_connector()
        invocation = Invocation(command="watch", no_logs=True, kubeconfig_dir=directory)
        fleet = fleet_of(invocation, interactive(), connector=connector)
        try:
            async with following(directory, fleet, warn=said.append):
                app = SovwatchApp(None, fleet=fleet)
                async with app.run_test(size=(80, 24)) as pilot:
                    name = "sov-␛]0;pwned␇b"  # its name passed the gate too
                    rows = await until_rows(
                        pilot, app, lambda rows: [r.outcome for r in rows] == ["ready"] * 2
                    )
                    warned = next(r for r in rows if r.context == name)
                    assert warned.warnings == (
                        f"kubeconfig {shown} can be read by other users (mode 0644) and holds "
                        f"credentials: chmod 600 {shown}",
                    )
                    assert [r.warnings for r in rows if r.context == "sov-a"] == [()]
                    lines = screen.lines(app)
                    assert lines[0].rstrip().endswith("  ! 1 with warnings"), lines[0]
                    table = app.fleet_screen.query_one("#fleet-table")
                    table.move_cursor(row=[r.context for r in rows].index(name))
                    await pilot.pause()
                    text = screen.text(app)
                    assert "\x1b" not in text
                    assert "\x07" not in text
                    marked = [line for line in screen.lines(app) if "b !" in line]
                    assert len(marked) == 1, text
                    pane = " ".join(" ".join(screen.lines(app)[-7:]).split())
                    assert "warning: kubeconfig " in pane, text
                    assert "chmod 600" in pane, text

                    odd.chmod(0o600)
                    rows = await until_rows(
                        pilot, app, lambda rows: not any(r.warnings for r in rows)
                    )
                    assert not any(r.warnings for r in rows)
                    await pilot.pause(0.3)
                    assert "with warnings" not in screen.lines(app)[0]
        finally:
            await fleet.aclose()
            await connector.close()
    assert said == [warned.warnings[0]]


async def test_a_kubeconfig_directory_that_cannot_be_listed_is_said_in_the_header(tmp_path):
    """The directory goes away while the fleet screen runs (an unmounted volume): its clusters
    stay and the header says why nothing changes any more; listed again, the notice goes."""
    from sovwatch.fleet_directory import following

    directory = tmp_path / "kubeconfigs"
    directory.mkdir()
    async with Emulator() as a:
        ScenarioRunner(a.store, load_scenario("tiny"), seed=0).run_to_end()
        a.write_kubeconfig(directory / "sov-a.yaml", context="admin")
        connector = api.shared_connector()
        invocation = Invocation(command="watch", no_logs=True, kubeconfig_dir=directory)
        fleet = fleet_of(invocation, interactive(), connector=connector)
        try:
            async with following(directory, fleet, warn=lambda _: None):
                app = SovwatchApp(None, fleet=fleet)
                async with app.run_test(size=(120, 24)) as pilot:
                    await until_rows(
                        pilot, app, lambda rows: [r.outcome for r in rows] == ["ready"]
                    )
                    directory.rename(tmp_path / "away")
                    await until_rows(pilot, app, lambda _: app.fleet_screen.totals.notice)
                    assert app.fleet_screen.totals.notice == (
                        f"cannot list the kubeconfig directory {directory} (No such file or "
                        "directory): keeping its 1 clusters as they were until it can be listed "
                        "again"
                    )
                    header = screen.lines(app)[0]
                    assert header.startswith(
                        "sovwatch fleet  1 Sovereign: 1 ready  ! cannot list the kubeconfig "
                        "directory "
                    ), header
                    assert [r.outcome for r in app.fleet_screen.rows] == ["ready"]
                    (tmp_path / "away").rename(directory)
                    await until_rows(pilot, app, lambda _: not app.fleet_screen.totals.notice)
                    await pilot.pause(0.3)
                    assert "!" not in screen.lines(app)[0]
        finally:
            await fleet.aclose()
            await connector.close()
