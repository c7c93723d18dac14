"""Keys, views and panes over a fixed bootstrap-kit snapshot: what an operator sees after each key."""

from __future__ import annotations

import pytest

from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.screens.help import HelpScreen
from sovwatch.views.tui.screens.main import MainScreen
from sovwatch.views.tui.widgets.calm_static import CalmStatic
from sovwatch.views.tui.widgets.events_table import EventsTable
from sovwatch.views.tui.widgets.release_table import ReleaseTable
from tests.views.tui import screen
from tests.views.tui.kit_snapshot import KIT


def detail_text(app: SovwatchApp) -> str:
    """The whole detail pane's text (the screen shows only its top)."""
    return app.main.query_one("#detail-text", CalmStatic).plain


def shown_keys(app: SovwatchApp) -> list[str]:
    return [row.key.value for row in app.main.query_one(ReleaseTable).ordered_rows]


async def test_rows_follow_dependency_waves(make_app):
    app = make_app()
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        keys = shown_keys(app)
        assert len(keys) == len(KIT)
        wave = {f"flux-system/bp-{name}": w for name, _, _, _, w in KIT}
        waves = [wave[k] for k in keys]
        assert waves == sorted(waves)
        # every release comes after all of its dependencies
        position = {k: i for i, k in enumerate(keys)}
        for name, _, _, deps, _ in KIT:
            for dep in deps:
                assert position[f"flux-system/bp-{dep}"] < position[f"flux-system/bp-{name}"]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["slash", *"loki", "enter"], ["flux-system/bp-loki"]),
        (["slash", *"stalled", "enter"], ["flux-system/bp-langfuse"]),
        (["f"], ["flux-system/bp-external-dns", "flux-system/bp-langfuse"]),
        (["slash", *"grafana", "escape"], None),
    ],
    ids=["filter-by-name", "filter-by-state", "failures-only", "escape-clears-filter"],
)
async def test_filters(make_app, keys, expected):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        everything = shown_keys(app)
        await pilot.press(*keys)
        await pilot.pause()
        assert shown_keys(app) == (everything if expected is None else expected)
        assert app.focused is app.main.query_one(ReleaseTable)


async def test_failed_first_then_back_to_waves(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        waves = shown_keys(app)
        await pilot.press("o")
        await pilot.pause()
        first = shown_keys(app)[:2]
        assert first == ["flux-system/bp-external-dns", "flux-system/bp-langfuse"]
        await pilot.press("o")
        await pilot.pause()
        assert shown_keys(app) == waves


async def test_detail_pane_follows_the_selection(make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"loki", "enter", "enter")
        await pilot.pause()
        assert "Root cause" in screen.text(app)
        text = detail_text(app)
        assert "kubectl -n loki describe pvc data-loki-0" in text
        assert "flux reconcile hr bp-loki -n flux-system" in text
        assert "data-loki-0" in text
        assert "attach error" in text
        assert "FailedAttachVolume x9" in text
        # moving the selection re-renders the pane for the new release
        await pilot.press("escape")  # leave the detail pane
        await pilot.press("escape")  # clear the filter
        await pilot.press("f", "home", "enter")
        await pilot.pause()
        text = detail_text(app)
        assert "external-dns" in text
        assert "readiness failing" in text
        assert 'Liveness probe failed: Get "http://10.42.0.31:7979/healthz"' in text
        assert "kubectl -n external-dns logs external-dns-6b7d9c8f4-kq2lp --previous" in text
        await pilot.press("j")
        await pilot.pause()
        assert "RetriesExceeded" in detail_text(app)


async def test_waiting_release_names_its_blocker_and_chain(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        row = next(line for line in screen.lines(app) if "bp-grafana" in line)
        assert "waiting" in row
        assert "← loki: Multi-Attach data-loki-0" in row.replace("bp-loki", "loki")
        await pilot.press("slash", *"grafana", "enter", "enter")
        await pilot.pause()
        text = detail_text(app)
        assert "bp-grafana ← bp-loki ← pvc loki/data-loki-0 ← Multi-Attach" in text


async def test_events_pane(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        table = app.main.query_one(EventsTable)
        assert table.display
        assert table.row_count == 4
        text = screen.text(app)
        assert "FailedAttachVolume" in text
        assert "x31" in text
        reasons = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert reasons.index("InstallSucceeded") == 3  # warnings first, as the model ranked them
        await pilot.press("e")
        await pilot.pause()
        assert "FailedAttachVolume" not in screen.text(app)


async def test_graph_view_fits_80_columns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        text = screen.text(app)
        assert "wave 0" in text
        assert "bp-cilium" in text
        for line in screen.lines(app):
            assert len(line) <= 80
        await pilot.press("end")
        await pilot.pause()
        text = screen.text(app)
        assert "wave 5" in text
        grafana = next(line for line in screen.lines(app) if "bp-grafana" in line)
        assert "loki" in grafana
        assert "mimir" in grafana
        assert "★" in grafana
        await pilot.press("g")
        await pilot.pause()
        assert app.main.query_one(ReleaseTable).display


async def test_timeline_slowest_first_with_critical_path(make_app):
    app = make_app()
    async with app.run_test(size=(100, 45)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        lines = screen.lines(app)
        text = "\n".join(lines)
        assert "critical path: bp-cilium → bp-cert-manager → bp-flux → bp-seaweedfs" in text
        rows = [line for line in lines if "bp-" in line and "critical path" not in line]
        took = [r.split()[-1] for r in rows]
        minutes = [int(t.rstrip("m").lstrip("<")) for t in took if t.endswith("m")]
        assert minutes == sorted(minutes, reverse=True)


async def test_help_lists_every_key(make_app):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen.text(app)
        for binding in (*MainScreen.BINDINGS, *SovwatchApp.BINDINGS):
            if binding.action in ("pause", "step"):
                assert binding.description not in text  # replay keys only in replay mode
            else:
                assert binding.description in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_q_quits_and_ctrl_c_interrupts(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 130
