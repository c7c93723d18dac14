"""The real app against the in-process emulator through the real watch engine, over HTTP.

The emulator serves the `stuck` scenario at minute 10; the app's source is `sources.live.stream`
on a client built from a kubeconfig, exactly as `sovwatch --kubeconfig` wires it.
"""

from __future__ import annotations

import asyncio
import copy

from sovsim.scenario import ScenarioRunner, load_scenario
from sovwatch.kube import api, config
from sovwatch.sources import live
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from tests.timings import FAST
from tests.views.tui import screen
from tests.views.tui.conftest import AT, START

HR = "helmreleases.helm.toolkit.fluxcd.io"


async def until(pilot, condition, what: str, *, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
        await pilot.pause()
    raise AssertionError(f"timed out waiting for {what}")


async def live_app(emulator, tmp_path) -> SovwatchApp:
    ScenarioRunner(emulator.store, load_scenario("stuck"), seed=0, start=START).run_until(AT)
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    connection = await config.load_connection((kubeconfig,), settings=FAST)
    client = await api.connect(connection, settings=FAST)
    return SovwatchApp(
        lambda: live.stream(client, settings=FAST),
        cluster={"context": "emulator", "server": emulator.url},
        settings=TuiSettings(refresh_hz=10),
    )


def row_of(app, name: str) -> list[str]:
    return [str(c) for c in app.main.query_one(ReleaseTable).get_row(f"flux-system/{name}")]


async def test_rows_arrive_in_dependency_order_and_changes_reach_their_cell(emulator, tmp_path):
    app = await live_app(emulator, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.main.query_one(ReleaseTable)
        await until(pilot, lambda: table.row_count == 20, "20 releases")
        await until(pilot, lambda: "live" in screen.lines(app)[0], "all streams live")
        names = [row.key.value.split("/")[1] for row in table.ordered_rows]
        assert names[:3] == ["bp-cilium", "bp-reloader", "bp-vpa"]
        assert names[-1] == "bp-grafana"
        assert "← bp-loki: Multi-Attach storage-loki-0" in " ".join(row_of(app, "bp-grafana"))
        assert emulator.url in screen.lines(app)[0]
        # a change in the emulator's store reaches exactly that release's row
        tempo = copy.deepcopy(emulator.store.get(HR, "flux-system", "bp-tempo"))
        tempo["spec"]["suspend"] = True
        emulator.store.put(tempo)
        await until(pilot, lambda: row_of(app, "bp-tempo")[0] == "‖ suspended", "tempo suspended")
        assert row_of(app, "bp-loki")[0] == "◐ progressing"


async def test_dropped_connection_shows_stale_and_recovers(emulator, tmp_path):
    app = await live_app(emulator, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.main.query_one(ReleaseTable)
        await until(pilot, lambda: table.row_count == 20, "20 releases")
        await until(pilot, lambda: screen.lines(app)[0].rstrip().endswith("live"), "live")
        await emulator.stop()
        await until(pilot, lambda: "STALE" in screen.lines(app)[0], "stale header")
        assert table.row_count == 20  # the last known state stays
        assert "bp-grafana" in screen.text(app)
        await emulator.start()
        await until(pilot, lambda: "STALE" not in screen.lines(app)[0], "recovery", seconds=15)
        await until(pilot, lambda: screen.lines(app)[0].rstrip().endswith("live"), "live again")
        assert table.row_count == 20
