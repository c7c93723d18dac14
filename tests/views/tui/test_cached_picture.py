"""The TUI on a cold start with a kept picture: shown at once, marked stale in the header, then
replaced by the cluster's own.

Wired as `sovwatch --kubeconfig` wires it (`launch.live_session`, `launch.tui_app`), over HTTP to
the emulator through a `FaultFront` that holds the second session's lists back (a slow link). The
cluster loses a release between the sessions, so the rows tell the two pictures apart.
"""

from __future__ import annotations

from sovsim import kubeconfigs
from sovsim.scenario import ScenarioRunner, load_scenario
from sovwatch import launch
from sovwatch.invocation import Invocation
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from tests.sources.fault_front import FaultFront
from tests.views.tui import screen
from tests.views.tui.test_live_emulator import until

HR = "helmreleases.helm.toolkit.fluxcd.io"
TINY = sorted(r.name for r in load_scenario("tiny").releases)


async def test_the_header_says_cached_until_the_live_picture_replaces_it(emulator, tmp_path):
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=1).run_until(400)
    async with FaultFront(emulator) as front:
        document = emulator.kubeconfig()
        document["clusters"][0]["cluster"]["server"] = front.url
        kubeconfig = kubeconfigs.write_private(tmp_path / "kubeconfig", document)
        invocation = Invocation(command="watch", output="tui", kubeconfig=str(kubeconfig))

        first = await launch.live_session(invocation)
        assert first.cache is not None
        assert first.cache.found is None
        app = launch.tui_app(invocation, first)
        async with app.run_test(size=(100, 30)) as pilot:
            table = app.main.query_one(ReleaseTable)
            await until(pilot, lambda: table.row_count == len(TINY), "every release")
            await until(pilot, lambda: screen.lines(app)[0].rstrip().endswith("live"), "live")
            assert "STALE" not in screen.lines(app)[0]
        assert first.keeper is not None
        first.keeper.save()  # what the launcher does at exit
        assert first.keeper.saves == 1

        gone = TINY[-1]
        emulator.store.delete(HR, "flux-system", gone)
        front.lists_open.clear()
        try:
            second = await launch.live_session(invocation)
            assert second.cache is not None
            assert second.cache.found is not None
            app = launch.tui_app(invocation, second)
            async with app.run_test(size=(80, 24)) as pilot:
                table = app.main.query_one(ReleaseTable)
                await until(pilot, lambda: "STALE" in screen.lines(app)[0], "the cached picture")
                assert "STALE cached <1m ago, connecting" in screen.lines(app)[0]
                assert table.row_count == len(TINY)  # the picture as it was kept
                assert f"{len(TINY)}/{len(TINY)} ready" in screen.lines(app)[1]
                front.lists_open.set()
                await until(pilot, lambda: "STALE" not in screen.lines(app)[0], "the live picture")
                await until(pilot, lambda: table.row_count == len(TINY) - 1, "the release gone")
                assert gone not in screen.text(app)
        finally:
            front.lists_open.set()
