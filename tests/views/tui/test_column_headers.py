"""Every release-table header stays whole at 80x24 and 120x40, with short and long release names
(short names once made "Release" and "Chart" run together: `ReleasChart`)."""

from __future__ import annotations

import re

import pytest

from sovwatch.kube.resources import WATCHED
from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from tests.model.builders import hr_ready
from tests.views.tui import screen
from tests.views.tui.conftest import CLUSTER, START, Feed, settle

HR = "helmreleases.helm.toolkit.fluxcd.io"


def _short_names() -> Feed:
    releases = [hr_ready(name) for name in ("vpa", "nats", "loki")]
    return Feed(
        [WatchEvent(HR, EventType.ADDED, hr, START + 5) for hr in releases]
        + [StreamHealth(r.key, HealthState.LIVE, since=START + 1) for r in WATCHED]
    )


def _assert_headers_whole(app: SovwatchApp) -> list[str]:
    labels = [c.label for c in app.main.query_one(ReleaseTable).layout_columns]
    header = next(line for line in screen.lines(app) if line.lstrip().startswith("State"))
    for label in labels:
        assert re.search(rf"(^|\s){re.escape(label)}(\s|$)", header), (label, header)
    return labels


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (100, 30), (160, 50)])
async def test_short_release_names_keep_every_header_whole(size):
    app = SovwatchApp(
        _short_names(),
        cluster=CLUSTER,
        settings=TuiSettings(),
        clock=lambda: START + 60,
        started_at=START,
    )
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        labels = _assert_headers_whole(app)
        assert {"State", "Release", "For", "Pods"} <= set(labels)
        if size[0] >= 120:
            assert "Chart" in labels


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_stuck_scenario_keeps_every_header_whole(fed_app, size):
    app = fed_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        _assert_headers_whole(app)
