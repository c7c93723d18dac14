"""The release table's rows are made again only for the releases whose view changed."""

from __future__ import annotations

from sovwatch.model.rollout import Rollout
from sovwatch.model.snapshot import snapshot_of
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.views.tui.glyphs import ASCII, UTF8
from sovwatch.views.tui.viewmodel import ReleaseRows
from tests.model.builders import T0_EPOCH, hr_install_failed, hr_ready, store_of


def test_a_refresh_makes_rows_for_the_changed_releases_only():
    store = store_of(hr_ready("bp-cilium"), hr_ready("bp-loki"))
    rollout = Rollout()
    rollout.update(store, store.drain_changes(), T0_EPOCH + 100)
    rows = ReleaseRows()
    before = {r.name: r for r in rows(snapshot_of(rollout, store, now=T0_EPOCH + 100), UTF8)}
    failed = hr_install_failed("bp-loki", "context deadline exceeded", failures=1)
    store.apply(WatchEvent("x", EventType.MODIFIED, failed, T0_EPOCH + 110))
    rollout.update(store, store.drain_changes(), T0_EPOCH + 110)
    after = {r.name: r for r in rows(snapshot_of(rollout, store, now=T0_EPOCH + 110), UTF8)}
    assert after["bp-cilium"] is before["bp-cilium"]
    assert (before["bp-loki"].state, after["bp-loki"].state) == ("ready", "failed")
    ascii_rows = {r.name: r for r in rows(snapshot_of(rollout, store, now=T0_EPOCH + 110), ASCII)}
    assert ascii_rows["bp-cilium"] is not after["bp-cilium"]  # other glyphs: made again
