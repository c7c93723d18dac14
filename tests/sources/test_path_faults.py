"""Answers that come from the path to the apiserver rather than from one healthy apiserver.

Each test puts a `FaultFront` between the reflector and the emulator, makes it answer one request
itself (a watch answered 410 at once, a 404 while the CRD exists, Retry-After as an HTTP-date or on
a 503, an in-stream ERROR 500, a BOOKMARK from the past), and then checks what the reflector did
about it: the requests it made next, the health it showed, and that its store ends equal to the
emulator's truth.
"""

from __future__ import annotations

import dataclasses
import email.utils
import time

import pytest

from sovsim.status import expired, status
from sovwatch.sources.events import EventType, HealthState
from tests.sources.engine_objects import HR, helmrelease, namespace, pod
from tests.timings import FAST

PODS = "pods"


async def _start(harness, flux_emulator, front, keys):
    """A harness through `front`, once every stream is live and its watch is open upstream (so
    a `close_watches` right after really ends it)."""
    h = await harness(flux_emulator, via=front).start(keys)
    await h.until_all_live(keys)
    await h.until(lambda: set(keys) <= set(flux_emulator.open_watches()), "watches open")
    return h


async def test_watch_answered_410_at_once_relists_and_diffs(flux_emulator, harness, front):
    store = flux_emulator.store
    for name in ("web-0", "web-1"):
        store.put(pod(name))
    h = await _start(harness, flux_emulator, front, [PODS])
    seen_before = len(h.events(PODS))
    # The watch goes quiet while the cluster changes; the re-watch lands on an apiserver whose
    # watch cache no longer has our resourceVersion and answers HTTP 410 (not an in-stream ERROR).
    flux_emulator.faults.stall(PODS)
    store.delete(PODS, "cert-manager", "web-0")
    store.put(pod("web-1", phase="Failed"))
    store.put(pod("web-2"))
    front.answer_next(PODS, status=410, body=expired("too old resource version: 12 (40)"))
    flux_emulator.faults.close_watches(PODS)
    await h.until(lambda: len(front.requests_for(PODS, watch=False)) == 2, "a relist")
    flux_emulator.faults.unstall()
    await h.put_and_see(pod("web-3"))
    gap = [(e.type, e.obj["metadata"]["name"]) for e in h.events(PODS)[seen_before:-1]]
    assert sorted(gap) == [
        (EventType.ADDED, "web-2"),
        (EventType.DELETED, "web-0"),
        (EventType.MODIFIED, "web-1"),
    ]
    rejected = [s for s in front.requests_for(PODS, watch=True) if s.injected]
    assert [s.status for s in rejected] == [410]
    assert any(x.state is HealthState.RECONNECTING and "410" in x.detail for x in h.healths(PODS))
    h.assert_matches_truth([PODS])


async def test_404_while_the_crd_still_exists_rechecks_and_keeps_the_objects(
    flux_emulator, harness, front
):
    flux_emulator.store.put(helmrelease("cert-manager"))
    h = await _start(harness, flux_emulator, front, [HR])
    front.answer_next(
        "helmreleases",
        status=404,
        body=status(404, "the server could not find the requested resource"),
    )
    flux_emulator.faults.close_watches(HR)
    await h.until(lambda: len(front.requests_for("helmreleases", watch=False)) == 2, "a relist")
    await h.put_and_see(helmrelease("loki"))
    assert [e.type for e in h.events(HR)] == [EventType.ADDED, EventType.ADDED]
    assert [x.state for x in h.healths(HR)][-2:] == [HealthState.RECONNECTING, HealthState.LIVE]
    rediscovered = [
        r for r in flux_emulator.request_log if r.path == "/apis/helm.toolkit.fluxcd.io/v2"
    ]
    assert len(rediscovered) == 2, "a 404 must send the reflector back to discovery"
    h.assert_matches_truth([HR])


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("code", "reason", "message", "retry_after", "at_least"),
    [
        (
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
            lambda: _http_date(3),  # whole seconds, stamped before the watch is rejected
            1.0,
        ),
        (
            503,
            "ServiceUnavailable",
            "the server is currently unable to handle the request",
            lambda: "1",
            1.0,
        ),
    ],
    ids=["429-http-date", "503-seconds"],
)
async def test_retry_after_is_honoured(
    flux_emulator, harness, front, code, reason, message, retry_after, at_least
):
    h = await _start(harness, flux_emulator, front, [PODS])
    front.answer_next(
        PODS,
        status=code,
        body=status(code, message, reason=reason),
        headers={"Retry-After": retry_after()},
    )
    flux_emulator.faults.close_watches(PODS)
    reconnecting = await h.until_state(PODS, HealthState.RECONNECTING)
    assert str(code) in reconnecting.detail
    assert "retrying in" in reconnecting.detail
    await h.until_state(PODS, HealthState.LIVE)
    watches = front.requests_for(PODS, watch=True)
    rejected = next(i for i, s in enumerate(watches) if s.injected)
    retried = watches[rejected + 1]
    # The backoff alone would retry within FAST.backoff_max (0.4 s).
    assert retried.time - watches[rejected].time >= at_least
    await h.put_and_see(pod("web-0"))
    h.assert_matches_truth([PODS])


async def test_in_stream_error_500_rewatches_from_the_same_resource_version(
    flux_emulator, harness, front
):
    h = await _start(harness, flux_emulator, front, [PODS])
    await h.put_and_see(pod("web-0"))
    front.answer_next(
        PODS,
        status=200,
        body=[{"type": "ERROR", "object": status(500, "etcdserver: leader changed")}],
    )
    before = len(front.requests_for(PODS, watch=True))
    flux_emulator.faults.close_watches(PODS)
    await h.until(lambda: len(front.requests_for(PODS, watch=True)) >= before + 2, "a re-watch")
    reconnecting = [x for x in h.healths(PODS) if x.state is HealthState.RECONNECTING]
    assert reconnecting[0].detail == "500 InternalError: etcdserver: leader changed"
    failed, again = front.requests_for(PODS, watch=True)[before : before + 2]
    assert again.query["resourceVersion"] == failed.query["resourceVersion"]
    assert len(front.requests_for(PODS, watch=False)) == 1, "a 500 is not a reason to relist"
    await h.until_state(PODS, HealthState.LIVE)
    await h.put_and_see(pod("web-1"))
    h.assert_matches_truth([PODS])


async def test_bookmark_from_the_past_is_ignored(flux_emulator, harness, front):
    h = await _start(harness, flux_emulator, front, [PODS])
    for i in range(3):
        flux_emulator.store.put(namespace(f"tenant-{i}"))
    seen = await h.put_and_see(pod("web-0"))  # the watch is now at this resourceVersion or later
    stale = {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}}
    front.answer_next(PODS, status=200, body=[{"type": "BOOKMARK", "object": stale}])
    before = len(front.requests_for(PODS, watch=True))
    flux_emulator.faults.close_watches(PODS)
    await h.until(
        lambda: len(front.requests_for(PODS, watch=True)) >= before + 2, "the next re-watch"
    )
    after_stale = front.requests_for(PODS, watch=True)[before + 1]
    resumed = int(after_stale.query["resourceVersion"])
    assert resumed >= int(seen["metadata"]["resourceVersion"])
    assert resumed > 1
    assert len(front.requests_for(PODS, watch=False)) == 1, "no relist: nothing was lost"
    await h.put_and_see(pod("web-1"))
    h.assert_matches_truth([PODS])


async def test_retry_after_far_in_the_future_is_capped(flux_emulator, harness, front):
    settings = dataclasses.replace(FAST, retry_after_max=0.5)
    h = await harness(flux_emulator, via=front).start([PODS], settings=settings)
    await h.until_all_live([PODS])
    await h.until(lambda: PODS in flux_emulator.open_watches(), "the watch open")
    front.answer_next(
        PODS,
        status=429,
        body=status(429, "Too many requests, please try again later."),
        headers={"Retry-After": _http_date(3600)},  # a proxy's idea of "come back in an hour"
    )
    flux_emulator.faults.close_watches(PODS)
    reconnecting = await h.until_state(PODS, HealthState.RECONNECTING)
    assert reconnecting.detail.endswith("retrying in 0.5 s")
    await h.until_state(PODS, HealthState.LIVE)
    await h.put_and_see(pod("web-0"))
    h.assert_matches_truth([PODS])
