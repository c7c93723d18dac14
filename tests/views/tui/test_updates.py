"""Calm, exact updates: only changed cells are written, rows are keyed, order moves in place, the
screen is quiet when nothing changes, and a lost stream shows as stale with the data kept."""

from __future__ import annotations

from sovwatch.views.tui.widgets.release_table import ReleaseTable
from sovwatch.views.tui.widgets.rollout_header import RolloutHeader
from tests.views.tui import screen


def table(app) -> ReleaseTable:
    return app.main.query_one(ReleaseTable)


def release(doc: dict, name: str) -> dict:
    return next(r for r in doc["releases"] if r["name"] == name)


async def test_state_change_reaches_only_its_cells(make_app, pinned):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        t = table(app)
        rows_before = {row.key.value for row in t.ordered_rows}
        writes = t.writes
        mimir = release(pinned.document, "bp-mimir")
        mimir.update(
            state="ready",
            reason="InstallSucceeded",
            since=pinned.now,
            workloads={"state": "ready", "ready": 2, "total": 2},
        )
        app.show_snapshot(pinned.document, now=pinned.now)
        await pilot.pause()
        # state, in-state time and pods changed; nothing else was written
        assert t.writes - writes == 3
        assert {row.key.value for row in t.ordered_rows} == rows_before
        cells = [str(c) for c in t.get_row("flux-system/bp-mimir")]
        assert cells[0] == "✔ ready"
        assert "2/2" in cells
        assert "<1m" in cells
        line = next(line for line in screen.lines(app) if "bp-mimir" in line)
        assert "✔ ready" in line
        assert "2/2" in line


async def test_nothing_written_when_nothing_changes(make_app, pinned):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        t, header = table(app), app.main.query_one(RolloutHeader)
        writes, repaints, flushes = t.writes, header.repaints, app.flushes
        for _ in range(5):  # same store revision, same second: nothing to do
            app.flush()
        await pilot.pause()
        assert (t.writes, header.repaints, app.flushes) == (writes, repaints, flushes)
        pinned.now += 1  # one second later only the header's clock moves
        app.flush()
        await pilot.pause()
        assert t.writes == writes
        assert header.repaints == repaints + 1
        assert "elapsed 14:08" in screen.text(app)
        pinned.now += 60  # a minute later the "in state" ages move too, and only they
        app.flush()
        await pilot.pause()
        assert 0 < t.writes - writes <= len(pinned.document["releases"])


async def test_releases_appear_disappear_and_reorder_in_place(make_app, pinned):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        t = table(app)
        await pilot.press("down", "down")
        selected = t.selected_key
        doc = pinned.document
        # a late release in wave 0 and a removed one
        new = dict(release(doc, "bp-vpa"), name="bp-metrics-server", wave=0)
        doc["releases"].insert(0, new)
        doc["releases"].remove(release(doc, "bp-trivy"))
        # dependency order changed: kyverno now waits for flux (wave 3)
        release(doc, "bp-kyverno")["wave"] = 3
        app.show_snapshot(doc, now=pinned.now)
        await pilot.pause()
        keys = [row.key.value for row in t.ordered_rows]
        assert "flux-system/bp-metrics-server" in keys[:4]
        assert "flux-system/bp-trivy" not in keys
        assert keys.index("flux-system/bp-kyverno") > keys.index("flux-system/bp-flux")
        assert t.selected_key == selected  # the cursor stays on the same release


async def test_lost_stream_marks_stale_and_keeps_the_rows(make_app, pinned):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        rows = table(app).row_count
        stream = pinned.document["streams"][2]
        stream.update(
            state="reconnecting",
            since=pinned.now - 12,
            attempt=3,
            detail="Cannot connect to host 203.0.113.10:6443",
        )
        app.show_snapshot(pinned.document, now=pinned.now)
        await pilot.pause()
        first = screen.lines(app)[0]
        assert "STALE" in first
        assert "reconnecting: pods" in first
        assert app.main.has_class("stale")
        assert table(app).row_count == rows
        await pilot.press("s")
        await pilot.pause()
        text = screen.text(app)
        assert "attempt 3" in text
        assert "Cannot connect to host 203.0.113.10:6443" in text
        await pilot.press("escape")
        stream.update(state="live", since=pinned.now, attempt=0, detail="")
        app.show_snapshot(pinned.document, now=pinned.now)
        await pilot.pause()
        assert "STALE" not in screen.lines(app)[0]
        assert "live" in screen.lines(app)[0]
        assert not app.main.has_class("stale")
