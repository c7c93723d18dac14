"""The TUI on a cold start with a kept picture: shown at once, marked stale in the header, then
replaced by the cluster's own.

Wired as `sovwatch --kubeconfig` wires it (`session.live_session`, `launch.tui_app`), over HTTP to
the emulator through a `FaultFront` that holds the second session's lists back (a slow link). The
cluster loses a release between the sessions, so the rows tell the two pictures apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace

from sovsim import kubeconfigs
from sovsim.scenario import ScenarioRunner, load_scenario
from sovwatch import launch
from sovwatch.invocation import Invocation
from sovwatch.pipeline import Pipeline, interactive
from sovwatch.session import live_session
from sovwatch.sources.disk_cache import CachedPicture
from sovwatch.sources.events import EventType, HealthState, SourceItem, StreamHealth, WatchEvent
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from tests.model.builders import T0_EPOCH, hr_ready
from tests.sources.fault_front import FaultFront
from tests.timings import FAST
from tests.trust.trust_helpers import silent_server
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

        first = await live_session(invocation, picture=True)
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
            second = await live_session(invocation, picture=True)
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


async def _keep_a_picture(invocation: Invocation) -> None:
    """A first session until every release shows, its picture kept as the launcher keeps it."""
    first = await live_session(invocation, picture=True)
    app = launch.tui_app(invocation, first)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.main.query_one(ReleaseTable)
        await until(pilot, lambda: table.row_count == len(TINY), "every release")
        await until(pilot, lambda: screen.lines(app)[0].rstrip().endswith("live"), "live")
    assert first.keeper is not None
    first.keeper.save()
    assert first.keeper.saves == 1


async def test_the_kept_picture_shows_before_the_server_answers_and_while_it_is_retried(
    emulator, tmp_path
):
    """The server stops answering (a black hole on its port): the kept picture shows at once,
    stale, with the server's trouble beside it while the connection is retried; once the server
    is back, the cluster's own picture replaces it."""
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=1).run_until(400)
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    invocation = Invocation(command="watch", output="tui", kubeconfig=str(kubeconfig))
    await _keep_a_picture(invocation)
    gone = TINY[-1]
    emulator.store.delete(HR, "flux-system", gone)

    await emulator.stop()
    async with AsyncExitStack() as black_hole:
        await black_hole.enter_async_context(silent_server(emulator.port))
        settings = replace(FAST, preflight_timeout=0.5)
        second = await live_session(invocation, settings=settings, picture=True)
        app = launch.tui_app(invocation, second)
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.main.query_one(ReleaseTable)
            await until(pilot, lambda: "STALE" in screen.lines(app)[0], "the kept picture")
            assert "STALE cached <1m ago, connecting" in screen.lines(app)[0]
            assert table.row_count == len(TINY)
            assert f"cached ready {len(TINY)}/{len(TINY)} ready" in screen.lines(app)[1]
            await until(pilot, lambda: "! reconnecting: all 14" in screen.lines(app)[0], "trouble")
            assert "STALE cached <1m ago ! reconnecting: all 14 [s]" in screen.lines(app)[0]
            streams = app.pipeline.store.health.values()
            assert all("did not answer in time" in h.detail for h in streams)
            assert table.row_count == len(TINY)  # still the kept picture, still marked
            assert gone in screen.text(app)

            await black_hole.aclose()  # the server is back on its port
            await emulator.start()
            await until(pilot, lambda: "STALE" not in screen.lines(app)[0], "the live picture")
            await until(pilot, lambda: table.row_count == len(TINY) - 1, "the release gone")
            assert "cached" not in screen.lines(app)[1]
            assert app.return_code is None  # nothing ended the run
            await pilot.press("q")
    assert launch.tui_exit_code(app, second) == 0  # it answered in the end: quitting is 0


async def test_a_rejected_credential_behind_the_kept_picture_ends_the_run_as_at_a_start(
    emulator, tmp_path
):
    """401 is not retried: the app exits with code 2 and hands the one line to the launcher."""
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=1).run_until(400)
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    invocation = Invocation(command="watch", output="tui", kubeconfig=str(kubeconfig))
    await _keep_a_picture(invocation)
    emulator.tokens.discard(emulator.token)  # revoked meanwhile

    session = await live_session(invocation, settings=FAST, picture=True)
    app = launch.tui_app(invocation, session)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.return_code is not None, "the end of the run")
    assert app.return_code == 2
    assert str(app.fatal).startswith(
        "the server rejected the credentials of user 'sim' even after reloading them "
        "(401 Unauthorized"
    ), app.fatal


async def test_the_header_says_the_kept_picture_s_age_as_it_grows():
    """Before any stream has listed, the pipeline's ticks move the header's age (on the
    pipeline's clock: no waiting for real minutes)."""
    clock = [T0_EPOCH]
    kept = CachedPicture(
        saved_at=T0_EPOCH - 250, items=(WatchEvent(HR, EventType.ADDED, hr_ready("bp-loki"), 0.0),)
    )
    pipeline = Pipeline(
        started_at=T0_EPOCH,
        clock=lambda: clock[0],
        coalescing=replace(interactive(), tick=0.05),
        cached=kept,
    )
    never = asyncio.Event()

    async def connecting() -> AsyncIterator[SourceItem]:
        yield StreamHealth(HR, HealthState.CONNECTING, since=T0_EPOCH)
        await never.wait()  # a server that does not answer

    app = SovwatchApp(connecting, pipeline=pipeline)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "STALE cached 4m ago" in screen.lines(app)[0], "the picture")
        clock[0] += 120
        await until(pilot, lambda: "STALE cached 6m ago" in screen.lines(app)[0], "its age moved")
        assert "cached ready 1/1 ready" in screen.lines(app)[1]
