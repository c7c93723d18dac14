"""Each way a server misbehaves, and the reflector recovering from it with a correct store.

Every test ends the same way: a sentinel object written after the fault arrives (so everything
before it has arrived too, watch events being ordered), then the consumer's store must hold exactly
the emulator's objects, compared by key and resourceVersion.
"""

from __future__ import annotations

import dataclasses
import re

from sovsim.server import Emulator
from sovwatch.sources.events import EventType, HealthState
from tests.sources.engine_harness import is_list, requests_for
from tests.sources.engine_objects import HR, helmrelease, namespace, pod, pvc
from tests.timings import FAST

PODS = "pods"
PVCS = "persistentvolumeclaims"


def _lists(emu: Emulator, key: str = PODS) -> int:
    return len([r for r in requests_for(emu, key) if is_list(r)])


async def test_server_closing_watches_resumes_without_relisting(flux_emulator, harness):
    flux_emulator.store.put(pod("web-0"))
    h = await harness(flux_emulator).start([PODS, HR])
    await h.until_all_live([PODS, HR])
    await h.until(lambda: len(flux_emulator.open_watches()) == 2, "both watches open")
    assert flux_emulator.faults.close_watches() == 2
    await h.put_and_see(pod("web-1"))
    await h.put_and_see(helmrelease("cert-manager"))
    h.assert_matches_truth([PODS, HR])
    assert _lists(flux_emulator) == 1, "a closed watch resumes from its resourceVersion"
    assert [x.state for x in h.healths(PODS)] == [HealthState.CONNECTING, HealthState.LIVE]


async def test_compaction_gap_is_diffed_after_410(flux_emulator, harness):
    store = flux_emulator.store
    for name in ("web-0", "web-1", "web-2"):
        store.put(pod(name))
    h = await harness(flux_emulator).start([PODS])
    await h.until_all_live([PODS])
    seen_before = len(h.events(PODS))
    # The stream goes quiet, the cluster changes, etcd compacts, the connection drops.
    flux_emulator.faults.stall(PODS)
    store.delete(PODS, "cert-manager", "web-0")
    store.put(pod("web-1", phase="Failed"))
    store.put(pod("web-3"))
    store.delete(PODS, "cert-manager", "web-2")
    store.put(pod("web-2"))  # re-created under the same name: a new uid
    flux_emulator.faults.compact()
    flux_emulator.faults.close_watches(PODS)
    await h.until(lambda: _lists(flux_emulator) == 2, "a relist")
    flux_emulator.faults.unstall()
    await h.put_and_see(pod("web-4"))
    gap = [(e.type, e.obj["metadata"]["name"]) for e in h.events(PODS)[seen_before:-1]]
    assert sorted(gap) == sorted(
        [
            (EventType.DELETED, "web-0"),
            (EventType.MODIFIED, "web-1"),
            (EventType.DELETED, "web-2"),
            (EventType.ADDED, "web-2"),
            (EventType.ADDED, "web-3"),
        ]
    )
    assert h.store.get("Pod", "cert-manager", "web-1")["status"]["phase"] == "Failed"
    h.assert_matches_truth([PODS])
    relisting = [x for x in h.healths(PODS) if x.state is HealthState.RECONNECTING]
    assert "410" in relisting[0].detail
    assert h.state(PODS) is HealthState.LIVE


async def test_stalled_stream_is_detected_stale_and_recovers(flux_emulator, harness):
    settings = dataclasses.replace(FAST, inactivity_timeout=1.0)
    h = await harness(flux_emulator).start([PODS, HR], settings=settings)
    await h.until_all_live([PODS, HR])
    stalled_at = flux_emulator.request_log[-1].time
    flux_emulator.faults.stall(PODS)
    flux_emulator.store.put(pod("web-0"))  # queued behind the stall
    stale = await h.until_state(PODS, HealthState.STALE)
    assert stale.since >= stalled_at - 0.5
    assert "no data for 1 s" in stale.detail
    assert h.state(HR) is HealthState.LIVE, "one stalled stream does not touch the others"
    flux_emulator.faults.unstall()
    await h.until_state(PODS, HealthState.LIVE)
    await h.put_and_see(pod("web-1"))
    h.assert_matches_truth([PODS, HR])


async def test_forbidden_resource_is_reported_and_the_rest_keep_working(flux_emulator, harness):
    flux_emulator.store.put(pvc("storage-loki-0"))
    flux_emulator.faults.forbid(PVCS)
    h = await harness(flux_emulator).start([PODS, PVCS])
    forbidden = await h.until_state(PVCS, HealthState.FORBIDDEN)
    assert "cannot read persistentvolumeclaims" in forbidden.detail
    # the first request is a list, or a streamed list (a watch)
    assert re.search('cannot (list|watch) resource "persistentvolumeclaims"', forbidden.detail)
    await h.until_state(PODS, HealthState.LIVE)
    await h.put_and_see(pod("web-0"))
    assert h.store.count("PersistentVolumeClaim") == 0
    rechecks = len(requests_for(flux_emulator, PVCS))
    flux_emulator.faults.allow(PVCS)
    await h.until_state(PVCS, HealthState.LIVE)
    assert len(requests_for(flux_emulator, PVCS)) > rechecks
    await h.put_and_see(pvc("storage-loki-1"))
    h.assert_matches_truth([PODS, PVCS])


async def test_429_waits_for_retry_after(flux_emulator, harness):
    h = await harness(flux_emulator).start([PODS])
    await h.until_all_live([PODS])
    before = len(flux_emulator.request_log)
    flux_emulator.faults.fail_next(1, status=429, retry_after=0.6)
    flux_emulator.faults.close_watches(PODS)
    reconnecting = await h.until_state(PODS, HealthState.RECONNECTING)
    assert "429" in reconnecting.detail
    assert "retrying in 0.6 s" in reconnecting.detail
    await h.until_state(PODS, HealthState.LIVE)
    rejected, retried = requests_for(flux_emulator, PODS, before)[:2]
    assert rejected.status == 429
    assert retried.time - rejected.time >= 0.6
    await h.put_and_see(pod("web-0"))
    h.assert_matches_truth([PODS])


async def test_500s_are_retried_with_growing_backoff(flux_emulator, harness):
    h = await harness(flux_emulator).start([PODS])
    await h.until_all_live([PODS])
    before = len(flux_emulator.request_log)
    flux_emulator.faults.fail_next(4, status=500)
    flux_emulator.faults.close_watches(PODS)
    await h.until(lambda: h.state(PODS) is HealthState.LIVE and len(h.healths(PODS)) > 2, "retry")
    requests = requests_for(flux_emulator, PODS, before)
    assert [r.status for r in requests[:4]] == [500] * 4
    assert requests[4].status != 500  # the watch that recovered (still open)
    reconnecting = [x for x in h.healths(PODS) if x.state is HealthState.RECONNECTING]
    assert all("500 InternalError" in x.detail for x in reconnecting)
    # Consecutive attempts (the closed watch itself may count as one if no bookmark had come).
    attempts = [x.attempt for x in reconnecting]
    assert attempts == list(range(attempts[0], attempts[0] + 4))
    # Equal jitter: the delay after attempt n is at least half of base·2^(n-1) (capped).
    for attempt, earlier, later in zip(attempts, requests, requests[1:5], strict=False):
        nominal = min(FAST.backoff_max, FAST.backoff_base * 2 ** (attempt - 1))
        assert later.time - earlier.time >= nominal / 2
    await h.put_and_see(pod("web-0"))
    h.assert_matches_truth([PODS])


async def test_malformed_line_is_reported_and_the_watch_resumes(flux_emulator, harness):
    h = await harness(flux_emulator).start([PODS])
    await h.until_all_live([PODS])
    assert flux_emulator.faults.malformed_line(PODS) == 1
    await h.until(lambda: len(h.healths(PODS)) >= 4, "reconnecting, then live again")
    reconnecting = h.healths(PODS)[2]
    assert reconnecting.state is HealthState.RECONNECTING
    assert "malformed watch line" in reconnecting.detail
    assert h.healths(PODS)[3].state is HealthState.LIVE
    await h.put_and_see(pod("web-0"))
    h.assert_matches_truth([PODS])
    assert _lists(flux_emulator) == 1, "resumed from the last resourceVersion, no relist"


async def test_server_restart_on_the_same_port(flux_emulator, harness):
    h = await harness(flux_emulator).start([PODS, HR])
    await h.until_all_live([PODS, HR])
    await flux_emulator.stop()
    await h.until_state(PODS, HealthState.RECONNECTING)
    flux_emulator.store.put(pod("created-while-down"))
    flux_emulator.store.put(helmrelease("cert-manager"))
    await flux_emulator.start()
    await h.until_all_live([PODS, HR])
    await h.put_and_see(pod("web-0"))
    await h.put_and_see(helmrelease("loki"))
    h.assert_matches_truth([PODS, HR])
    assert any("cannot connect" in x.detail for x in h.healths(PODS))


async def test_two_megabyte_object_passes(flux_emulator, harness):
    big = helmrelease("kube-prometheus-stack", annotations={"sovereign.example/dashboards": ""})
    h = await harness(flux_emulator).start([HR])
    await h.until_all_live([HR])
    big["metadata"]["annotations"]["sovereign.example/dashboards"] = "x" * (2 * 1024 * 1024)
    await h.put_and_see(big)  # over the watch stream
    flux_emulator.store.put(namespace("monitoring"))  # moves the RV past the client's
    flux_emulator.faults.compact()
    flux_emulator.faults.close_watches(HR)  # and over a relist
    await h.until(lambda: _lists(flux_emulator, HR) == 2, "a relist")
    await h.put_and_see(helmrelease("loki"))
    stored = h.store.get("HelmRelease", "flux-system", "kube-prometheus-stack")
    assert stored is not None
    assert stored["metadata"]["annotations"] == {}  # arrived whole, then slimmed
    h.assert_matches_truth([HR])


async def test_credentials_revoked_while_running_is_an_error_not_a_crash(flux_emulator, harness):
    h = await harness(flux_emulator).start([PODS])
    await h.until_all_live([PODS])
    valid = set(flux_emulator.tokens)
    flux_emulator.tokens = set()
    flux_emulator.faults.close_watches(PODS)
    error = await h.until_state(PODS, HealthState.ERROR)
    assert error.detail.startswith("401 Unauthorized")
    flux_emulator.tokens = valid
    await h.until_state(PODS, HealthState.LIVE)
    await h.put_and_see(pod("web-0"))
    h.assert_matches_truth([PODS])
