"""Before the first HelmRelease: the header says what sovwatch waits for instead of "0/0 ready"."""

from __future__ import annotations

from sovwatch.kube.resources import WATCHED
from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from tests.model.builders import hr_ready
from tests.views.tui import screen
from tests.views.tui.conftest import CLUSTER, START, Feed, settle

HR = "helmreleases.helm.toolkit.fluxcd.io"


def _streams(hr_state: HealthState) -> list[StreamHealth]:
    return [
        StreamHealth(r.key, hr_state if r.key == HR else HealthState.LIVE, since=START + 1)
        for r in WATCHED
    ]


async def test_header_says_what_it_waits_for_until_the_first_release():
    app = SovwatchApp(
        Feed(_streams(HealthState.ABSENT)),
        cluster=CLUSTER,
        settings=TuiSettings(),
        clock=lambda: START + 20,
        started_at=START,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        progress_line = screen.lines(app)[1]
        assert "waiting for Flux: HelmRelease CRD not installed yet" in progress_line
        assert "0/0 ready" not in progress_line
        app.store.apply(StreamHealth(HR, HealthState.LIVE, since=START + 30))
        app.flush()
        await pilot.pause()
        assert "no HelmReleases yet" in screen.lines(app)[1]
        app.store.apply(WatchEvent(HR, EventType.ADDED, hr_ready("bp-cilium"), START + 40))
        app.flush()
        await pilot.pause()
        progress_line = screen.lines(app)[1]
        assert "1/1 ready" in progress_line
        assert "waiting" not in progress_line
