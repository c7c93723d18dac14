"""`demo --fleet` end to end: emulators over HTTP, one kubeconfig with a context each, a real
`Fleet` of live sessions, the app on the fleet screen; drilling into a member and back."""

from __future__ import annotations

import dataclasses
from contextlib import AsyncExitStack

from sovwatch import demo
from sovwatch.fleet import MemberSpec
from sovwatch.invocation import Invocation
from sovwatch.kube import api
from sovwatch.launch import fleet_of
from sovwatch.pipeline import interactive
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.screens.main import MemberScreen
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
            ranks = [r.rank for r in rows]
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
