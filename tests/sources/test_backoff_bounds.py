"""No busy loop: during a 410 storm and during an outage the request rate is bounded by backoff.

The bound is computed from the settings (each consecutive failure waits at least half of
base·2^(n-1), capped), never hard-coded, and the storm is checked to be real (the reflector did
fail repeatedly), so the test cannot pass by the fault not happening.
"""

from __future__ import annotations

import asyncio
import time

from sovsim.server import Emulator
from sovwatch.settings import WatchSettings
from sovwatch.sources.events import HealthState
from tests.emulator.helpers import install_flux_crds
from tests.sources.engine_harness import Harness, is_list, requests_for
from tests.sources.engine_objects import HR, namespace, pod
from tests.timings import FAST

PODS = "pods"


def max_failures(settings: WatchSettings, seconds: float) -> int:
    """How many consecutive failed attempts fit in `seconds` if each waits its minimum delay."""
    spent, n = 0.0, 0
    while True:
        nominal = min(settings.backoff_max, settings.backoff_base * 2**n)
        if spent + nominal / 2 > seconds:
            return n + 1  # the attempt in progress when time runs out
        spent += nominal / 2
        n += 1


async def _storm(emu: Emulator, stop: asyncio.Event) -> None:
    """Every 10 ms: move the resourceVersion on, compact and cut the pods watches."""
    i = 0
    while not stop.is_set():
        i += 1
        emu.store.put(namespace(f"churn-{i}"))
        emu.faults.compact()
        emu.faults.close_watches(PODS)
        await asyncio.sleep(0.01)


async def test_410_storm_is_paced_by_backoff(tmp_path, server_lists):
    # No bookmarks: nothing but the storm reaches the client.
    async with Emulator(bookmark_interval=3600, watch_list=server_lists == "watch-list") as emu:
        emu.store.put(pod("web-0"))
        h = await Harness(emu, emu.write_kubeconfig(tmp_path / "kubeconfig")).start([PODS])
        try:
            await h.until_all_live([PODS])
            before = len(emu.request_log)
            stop = asyncio.Event()
            started = time.monotonic()
            storm = asyncio.create_task(_storm(emu, stop))
            await asyncio.sleep(1.5)
            stop.set()
            await storm
            elapsed = time.monotonic() - started
            requests = requests_for(emu, PODS, before)
            relists = [r for r in requests if is_list(r)]
            assert len(relists) >= 3, "the storm did not happen"
            # Each failure is followed by at most a list and a watch before the next failure.
            bound = 2 * (max_failures(FAST, elapsed) + 1)
            print(f"410 storm: {len(requests)} requests in {elapsed:.2f} s (bound {bound})")
            assert len(requests) <= bound
            attempts = [x.attempt for x in h.healths(PODS) if x.state is HealthState.RECONNECTING]
            assert max(attempts) >= 3, "consecutive failures must accumulate"
            await h.until_state(PODS, HealthState.LIVE)
            await h.put_and_see(pod("web-1"))
            h.assert_matches_truth([PODS])
        finally:
            await h.stop()


async def test_outage_of_500s_is_paced_by_backoff(flux_emulator, harness):
    keys = [PODS, HR, "events"]
    h = await harness(flux_emulator).start(keys)
    await h.until_all_live(keys)
    before = len(flux_emulator.request_log)
    started = time.monotonic()
    flux_emulator.faults.fail_next(1_000_000, status=500)
    flux_emulator.faults.close_watches()
    await asyncio.sleep(1.0)
    flux_emulator.faults.fail_next(0)
    elapsed = time.monotonic() - started
    for key in keys:
        failed = [r for r in requests_for(flux_emulator, key, before) if r.status == 500]
        print(f"outage: {key}: {len(failed)} failed requests in {elapsed:.2f} s")
        assert 3 <= len(failed) <= max_failures(FAST, elapsed), key
    await h.until_all_live(keys)
    await h.put_and_see(pod("after-the-outage"))
    h.assert_matches_truth(keys)


async def test_absent_group_is_rechecked_at_its_interval_not_in_a_loop(emulator, harness):
    h = await harness(emulator).start([HR])
    await h.until_state(HR, HealthState.ABSENT)
    before = len(emulator.request_log)
    await asyncio.sleep(1.0)
    discovery = [r for r in emulator.request_log[before:] if r.path.startswith("/apis/helm")]
    # Each re-check asks for every preferred version (v2, v2beta2, v2beta1).
    assert 3 <= len(discovery) <= 3 * (int(1.0 / FAST.absent_recheck) + 1)
    install_flux_crds(emulator.store, only=HR)
    await h.until_state(HR, HealthState.LIVE)
