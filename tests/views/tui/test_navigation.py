"""Keys, views and panes over the `stuck` scenario at minute 10: what an operator sees after each key."""

from __future__ import annotations

import re

import pytest

from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.screens.help import HelpScreen
from sovwatch.views.tui.screens.main import MainScreen
from sovwatch.views.tui.viewmodel import eta_text
from sovwatch.views.tui.widgets.calm_static import CalmStatic
from sovwatch.views.tui.widgets.events_table import EventsTable
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from sovwatch.views.tui.widgets.timeline_table import TimelineTable
from tests.views.tui import screen
from tests.views.tui.conftest import settle

FAILED = ["bp-vpa", "bp-powerdns", "bp-external-dns", "bp-mimir"]
"""Failed releases at minute 10, in dependency order."""
WAITING = {
    "bp-keycloak",
    "bp-gitea",
    "bp-nats-jetstream",
    "bp-openbao",
    "bp-catalyst-platform",
    "bp-external-secrets",
    "bp-grafana",
}


def detail_text(app: SovwatchApp) -> str:
    """The whole detail pane's text (the screen shows only its top)."""
    return app.main.query_one("#detail-text", CalmStatic).plain


def shown(app: SovwatchApp) -> list[str]:
    return [row.key.value.split("/")[1] for row in app.main.query_one(ReleaseTable).ordered_rows]


async def test_rows_follow_dependency_waves(fed_app):
    app = fed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        names = shown(app)
        assert len(names) == 20
        assert names[:3] == ["bp-cilium", "bp-reloader", "bp-vpa"]  # wave 0
        assert names[-1] == "bp-grafana"  # wave 5
        position = {n: i for i, n in enumerate(names)}
        releases = {r.key[2]: r for r in app.main.snapshot.releases}
        for name, release in releases.items():  # every release after its dependencies
            for dep in release.core.depends_on:
                assert position[dep[2]] < position[name]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["slash", *"loki", "enter"], ["bp-loki"]),
        (["slash", *"waiting", "enter"], sorted(WAITING)),
        (["f"], FAILED),
        (["slash", *"grafana", "escape"], None),
    ],
    ids=["filter-by-name", "filter-by-state", "failures-only", "escape-clears-filter"],
)
async def test_filters(fed_app, keys, expected):
    app = fed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        everything = shown(app)
        await pilot.press(*keys)
        await pilot.pause()
        if expected is None:
            assert shown(app) == everything
        else:
            assert sorted(shown(app)) == sorted(expected)
        assert app.focused is app.main.query_one(ReleaseTable)


async def test_failed_first_then_back_to_waves(fed_app):
    app = fed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        waves = shown(app)
        await pilot.press("o")
        await pilot.pause()
        assert shown(app)[:4] == FAILED
        await pilot.press("o")
        await pilot.pause()
        assert shown(app) == waves


async def test_detail_pane_follows_the_selection(fed_app):
    app = fed_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"loki", "enter", "enter")
        await pilot.pause()
        assert "Root cause" in screen.text(app)
        text = detail_text(app)
        assert "kubectl -n loki describe pvc storage-loki-0" in text
        assert "flux reconcile hr bp-loki -n flux-system" in text
        assert "storage-loki-0  ✖ failed  Bound  attach multi-attach" in text
        assert "Warning FailedAttachVolume x13" in text
        # conditions come verbatim from the HelmRelease
        assert "Ready=Unknown  Progressing  Running 'install' action with timeout of 15m0s" in text
        await pilot.press("escape", "escape")  # close the pane, clear the filter
        await pilot.press("f", "home", "enter")
        await pilot.pause()
        assert detail_text(app).startswith("bp-vpa")
        assert "ImagePullBackOff" in detail_text(app)
        await pilot.press("j", "j")
        await pilot.pause()
        text = detail_text(app)
        assert text.startswith("bp-external-dns")
        assert "CrashLoopBackOff" in text
        assert re.search(r"kubectl -n external-dns logs external-dns-\w+-\w+ --previous", text)


async def test_waiting_release_names_its_blocker_and_chain(fed_app):
    app = fed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        row = next(line for line in screen.lines(app) if "bp-grafana" in line)
        assert "◷ waiting" in row
        assert "← bp-loki: Multi-Attach storage-loki-0" in row
        await pilot.press("slash", *"grafana", "enter", "enter")
        await pilot.pause()
        text = detail_text(app)
        assert "bp-grafana ← bp-loki ← pod loki/loki-0 ContainerCreating ← Multi-Attach" in text
        assert "◐ bp-loki" in text
        assert "◷ bp-keycloak" in text
        assert "flux reconcile hr bp-loki -n flux-system" in text


async def test_events_pane(fed_app):
    app = fed_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        await pilot.pause()
        table = app.main.query_one(EventsTable)
        assert table.display
        assert table.row_count == len(app.main.snapshot.events)
        text = screen.text(app)
        assert "FailedAttachVolume" in text
        assert "x13" in text
        await pilot.press("e")
        await pilot.pause()
        assert "FailedAttachVolume" not in screen.text(app)


async def test_graph_view_fits_80_columns(fed_app):
    app = fed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("g")
        await pilot.pause()
        lines = screen.lines(app)
        assert "wave 0  2/3 ready" in "\n".join(lines)
        assert all(len(line) <= 80 for line in lines)
        await pilot.press("end")
        await pilot.pause()
        text = screen.text(app)
        assert "wave 5  0/1 ready" in text
        grafana = next(line for line in screen.lines(app) if "bp-grafana" in line)
        for dep in ("✔cnpg", "◐loki", "✖mimir", "✔tempo", "◷keycloak"):
            assert dep in grafana
        await pilot.press("g")
        await pilot.pause()
        assert app.main.view == "releases"


async def test_timeline_slowest_first_with_critical_path(fed_app):
    app = fed_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await pilot.pause()
        text = screen.text(app)
        path = app.main.snapshot.critical_path
        assert "critical path: " + " → ".join(key[2] for key in path) in text
        assert eta_text(app.main.snapshot).startswith("ETA ")
        assert eta_text(app.main.snapshot) in text
        table = app.main.query_one(TimelineTable)
        assert table.row_count == 20
        took = [str(table.get_row_at(i)[5]) for i in range(table.row_count)]
        minutes = [0 if t == "<1m" else int(t.rstrip("m")) for t in took if t.endswith("m")]
        assert minutes == sorted(minutes, reverse=True)
        assert took[0] in screen.text(app)


async def test_help_lists_every_key(fed_app):
    app = fed_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen.text(app)
        for binding in (*MainScreen.BINDINGS, *SovwatchApp.BINDINGS):
            if binding.action.partition("(")[0] in ("pause", "step", "seek"):
                assert binding.description not in text  # replay keys only in replay mode
            else:
                assert binding.description in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_q_quits_and_ctrl_c_interrupts(fed_app):
    app = fed_app()
    async with app.run_test() as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    app = fed_app()
    async with app.run_test() as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 130


async def test_detail_pane_shows_each_container(fed_app):
    app = fed_app()
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"spire", "enter", "enter")
        await pilot.pause()
        text = detail_text(app)
        pods = text.split("Pods\n")[1].split("\nVolumes")[0].splitlines()
        assert pods[0].startswith("  spire-server-0  ✖ failed")  # trouble first
        manager = next(line for line in pods if "• spire-controller-manager" in line)
        assert re.search(
            r"running  not ready  restarts [1-9]\d*  last run: Error exit 1 \d+m ago", manager
        )
        after = pods[pods.index(manager) + 1]
        assert after.strip() == "probes: readiness unknown liveness passing"
        assert "• spire-server  running  ready  restarts 0" in text
        agents = [line for line in pods if line.startswith("  spire-agent-")]
        assert agents
        for agent in agents:  # healthy pods: one line each
            assert agent.endswith("restarts 0  probes ok")
        assert pods[-len(agents) :] == agents
        await pilot.press("escape", "escape", "slash", *"external-dns", "enter", "enter")
        await pilot.pause()
        text = detail_text(app)
        assert re.search(r"• external-dns  waiting CrashLoopBackOff  not ready  restarts \d+", text)
        assert "back-off 5m0s restarting failed container=external-dns" in text
        await pilot.press("escape", "escape", "slash", *"cert-manager", "enter", "enter")
        await pilot.pause()
        text = detail_text(app)
        assert "probes: readiness passing (3 failures) liveness passing" in text
        assert (
            "last readiness failure: Readiness probe failed: HTTP probe failed with statuscode: 503"
            in text
        )


async def test_detail_pane_takes_the_room_a_short_table_leaves(fed_app):
    app = fed_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("enter")
        await pilot.pause()
        lines = screen.lines(app)
        rule = next(i for i, line in enumerate(lines) if line.startswith("─" * 20))
        assert 8 <= rule <= 15  # a full table keeps about 45% of the screen
        await pilot.press("escape", "slash", *"loki", "enter", "enter")
        await pilot.pause()
        lines = screen.lines(app)
        rule = next(i for i, line in enumerate(lines) if line.startswith("─" * 20))
        assert rule == 4  # header, column labels, bp-loki, then the pane
        assert lines[rule + 1].startswith(" bp-loki")
