"""The picture keeper: what of a live session's store is kept on disk, and when."""

from __future__ import annotations

from sovwatch import picture_cache
from sovwatch.picture_cache import PictureCache, PictureKeeper
from sovwatch.pipeline import Pipeline
from sovwatch.sources import disk_cache
from sovwatch.sources.disk_cache import Identity
from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from tests.model.builders import T0_EPOCH, event, hr_ready

ME = Identity("https://10.0.0.1:6443", "omantel-prod", "oidc-admin")
HR = "helmreleases.helm.toolkit.fluxcd.io"
POD = ("Pod", "loki", "loki-0")


def kept_names(cache: PictureCache) -> list[tuple[str, str]]:
    picture = disk_cache.read(cache.path, ME, now=T0_EPOCH + 60)
    assert picture is not None
    return sorted((i.obj["kind"], i.obj["metadata"]["name"]) for i in picture.items)


def session(tmp_path, clock: list[float]) -> tuple[Pipeline, PictureKeeper]:
    pipeline = Pipeline(clock=lambda: clock[0], started_at=T0_EPOCH)
    cache = PictureCache(tmp_path / "sovwatch" / ME.file_name(), ME, None)
    return pipeline, PictureKeeper(pipeline, cache, clock=lambda: clock[0])


def numbered(obj: dict, rv: int) -> dict:
    return {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(rv)}}


def test_only_a_listed_store_is_kept_with_the_newest_warnings(tmp_path, monkeypatch):
    monkeypatch.setattr(picture_cache, "MAX_EVENTS", 2)
    clock = [T0_EPOCH]
    pipeline, keeper = session(tmp_path, clock)
    pipeline.apply(WatchEvent(HR, EventType.ADDED, hr_ready("bp-loki"), T0_EPOCH))
    for rv, (reason, type_) in enumerate(
        [
            ("BackOff", "Warning"),
            ("Pulled", "Normal"),
            ("Unhealthy", "Warning"),
            ("FailedMount", "Warning"),
            ("Started", "Normal"),
        ],  # fmt: skip
        start=100,
    ):
        obj = numbered(event(POD, reason, f"{reason} loki-0", type_=type_, name=reason.lower()), rv)
        pipeline.apply(WatchEvent("events", EventType.ADDED, obj, T0_EPOCH))
    keeper.save()  # at exit, before every stream has listed: nothing
    assert not keeper.cache.path.exists()

    pipeline.apply(StreamHealth(HR, HealthState.LIVE, since=T0_EPOCH))  # every stream listed
    keeper.save()
    assert keeper.saves == 1
    assert kept_names(keeper.cache) == [
        ("Event", "failedmount"),
        ("Event", "unhealthy"),
        ("HelmRelease", "bp-loki"),
    ]
    keeper.save()  # nothing changed since
    assert keeper.saves == 1


def test_the_normal_events_the_model_reads_are_kept_too(tmp_path):
    """A claim's provisioning and the kubelet's Killing are Normal Events the model reads: the
    kept picture must not lose what the live one shows."""
    clock = [T0_EPOCH]
    pipeline, keeper = session(tmp_path, clock)
    for rv, reason in enumerate(["Killing", "Pulled", "BackOff"], start=100):
        type_ = "Warning" if reason == "BackOff" else "Normal"
        obj = numbered(event(POD, reason, f"{reason} loki-0", type_=type_, name=reason.lower()), rv)
        pipeline.apply(WatchEvent("events", EventType.ADDED, obj, T0_EPOCH))
    pipeline.apply(StreamHealth("events", HealthState.LIVE, since=T0_EPOCH))
    keeper.save()
    assert kept_names(keeper.cache) == [("Event", "backoff"), ("Event", "killing")]


def test_live_snapshots_are_kept_at_most_once_a_cadence(tmp_path):
    clock = [T0_EPOCH]
    pipeline, keeper = session(tmp_path, clock)
    keeper.every = 0.0
    pipeline.apply(WatchEvent(HR, EventType.ADDED, hr_ready("bp-loki"), T0_EPOCH))
    pipeline.apply(StreamHealth(HR, HealthState.LIVE, since=T0_EPOCH))  # the first picture
    assert keeper.saves == 0  # never delayed by a save
    pipeline.apply(WatchEvent(HR, EventType.ADDED, hr_ready("bp-tempo"), T0_EPOCH + 1))
    pipeline.publish()
    assert keeper.saves == 1
    keeper.every = 3600.0
    pipeline.apply(WatchEvent(HR, EventType.ADDED, hr_ready("bp-mimir"), T0_EPOCH + 2))
    pipeline.publish()
    assert keeper.saves == 1
    assert kept_names(keeper.cache) == [("HelmRelease", "bp-loki"), ("HelmRelease", "bp-tempo")]
    keeper.ended()  # the source ended: kept whatever the cadence
    assert keeper.saves == 2
    assert ("HelmRelease", "bp-mimir") in kept_names(keeper.cache)
