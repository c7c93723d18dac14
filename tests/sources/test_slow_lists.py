"""A long list over a slow link: `request_timeout` bounds each page, never the whole list.

36,000 Events are 72 pages; on a slow link or a loaded apiserver the whole list can take far longer
than one request may. If the timeout covered the list, such a cluster's Events stream would relist
for ever after every 410. A `FaultFront` holds each list request back: pages that each answer in
time make a list much longer than `request_timeout` that still ends live and complete, and a page
that itself takes too long is the one thing that times out.
"""

from __future__ import annotations

import dataclasses

import pytest

from sovwatch.sources.events import HealthState
from tests.sources.engine_objects import warning_event
from tests.timings import FAST

EVENTS = "events"
SETTINGS = dataclasses.replace(FAST, request_timeout=0.6, list_page_size=10)

# Pages are what these are about: a server that serves only them.
pytestmark = pytest.mark.parametrize("server_lists", ["paginated"], indirect=True)


def _fill(emulator, n: int) -> None:
    for i in range(n):
        emulator.store.put(warning_event(f"loki-{i}.17f3a{i:04x}", f"loki-{i % 3}"))


async def test_a_list_longer_than_the_request_timeout_completes_page_by_page(
    flux_emulator, harness, front
):
    _fill(flux_emulator, 60)
    front.list_delay = 0.25  # 6 pages: 1.5 s in all, each well inside the 0.6 s timeout
    h = await harness(flux_emulator, via=front).start([EVENTS], settings=SETTINGS)
    await h.until_state(EVENTS, HealthState.LIVE)
    lists = front.requests_for(EVENTS, watch=False)
    assert len(lists) == 6
    assert lists[-1].time - lists[0].time > SETTINGS.request_timeout
    assert [x.state for x in h.healths(EVENTS)] == [HealthState.CONNECTING, HealthState.LIVE]
    h.assert_matches_truth([EVENTS])


async def test_one_page_slower_than_the_request_timeout_is_a_timeout(flux_emulator, harness, front):
    _fill(flux_emulator, 20)
    front.list_delay = 1.0
    h = await harness(flux_emulator, via=front).start([EVENTS], settings=SETTINGS)
    await h.until_state(EVENTS, HealthState.RECONNECTING)
    assert "did not answer in time" in h.store.health[EVENTS].detail
    front.list_delay = 0.0  # the link recovers: the next attempt lists everything
    await h.until_state(EVENTS, HealthState.LIVE)
    h.assert_matches_truth([EVENTS])
