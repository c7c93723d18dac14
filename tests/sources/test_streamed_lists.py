"""Streamed lists (watch-list) against the emulator as each kind of server, over real HTTP.

The same cluster is served by two emulators over one object store: one serving streamed lists, one
refusing them as an older server does. The reflector must build the same picture from either, ask
an older server only once, and fall back when a server ignores `sendInitialEvents`. (Relists after
410 Gone, reconnects and the other faults run against both kinds of server in the engine's fault
tests: the `server_lists` fixture.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sovsim.objects import ObjectStore
from sovsim.server import Emulator
from sovwatch.kube.resources import WATCHED
from sovwatch.sources.events import HealthState, StreamHealth
from tests.conftest import BOOKMARK_INTERVAL
from tests.emulator.helpers import install_flux_crds
from tests.sources.engine_harness import BY_KEY, held, is_list, requests_for
from tests.sources.engine_objects import HR, helmrelease, pod, pvc
from tests.sources.fault_front import FaultFront

PODS, PVCS = "pods", "persistentvolumeclaims"
KEYS = [PODS, HR, PVCS]


@pytest.fixture
async def both() -> AsyncIterator[tuple[Emulator, Emulator]]:
    """(a server with streamed lists, an older one) over one populated store."""
    store = ObjectStore()
    install_flux_crds(store)
    for i in range(40):
        store.put(pod(f"web-{i}", namespace=f"team-{i % 3}"))
    for i in range(7):
        store.put(helmrelease(f"bp-{i}"))
    store.put(pvc("storage-loki-0"))
    async with (
        Emulator(store, bookmark_interval=BOOKMARK_INTERVAL) as new,
        Emulator(store, bookmark_interval=BOOKMARK_INTERVAL, watch_list=False) as old,
    ):
        yield new, old


async def test_the_same_picture_from_a_streamed_list_and_from_pages(both, harness):
    new, old = both
    streamed = await harness(new).start(KEYS)
    paged = await harness(old).start(KEYS)
    await streamed.until_all_live(KEYS)
    await paged.until_all_live(KEYS)
    for key in KEYS:
        kind = BY_KEY[key].kind
        assert held(streamed.store, BY_KEY[key]) == held(paged.store, BY_KEY[key]), key
        assert sorted(streamed.store.objects(kind), key=repr) == sorted(
            paged.store.objects(kind), key=repr
        ), key
    streamed.assert_matches_truth(KEYS)
    assert len(list(streamed.store.objects("Pod"))) == 40
    # One request per resource from the streamed side, and no page at all.
    for key in KEYS:
        requests = requests_for(new, key)
        assert [r.query.get("sendInitialEvents") for r in requests] == ["true"], key
        assert requests[0].query["resourceVersionMatch"] == "NotOlderThan"
        assert requests[0].query["allowWatchBookmarks"] == "true"
        assert "resourceVersion" not in requests[0].query  # a consistent read, as a list's
    assert not [r for r in new.request_log if not r.watch and r.path.endswith("/pods")]


async def test_live_only_when_the_initial_events_have_ended(both, harness):
    new, _ = both
    h = await harness(new).start([PODS])
    await h.until_all_live([PODS])
    live_at = next(
        n
        for n, i in enumerate(h.items)
        if isinstance(i, StreamHealth) and i.state is HealthState.LIVE
    )
    before_live = [i for i in h.items[:live_at] if not isinstance(i, StreamHealth)]
    assert len(before_live) == 40  # the 'listed' moment comes after every initial event
    await h.put_and_see(pod("web-after"))  # the same stream carries the changes
    watches = [r for r in requests_for(new, PODS) if r.watch]
    assert len(watches) == 1
    h.assert_matches_truth([PODS])


async def test_an_older_server_costs_one_refused_request_in_all(both, harness):
    _, old = both
    h = await harness(old).start()
    await h.until_all_live(KEYS)
    await h.until(
        lambda: all(h.state(r.key) is not HealthState.CONNECTING for r in WATCHED), "settled"
    )
    refused = [r for r in old.request_log if r.status == 422]
    assert len(refused) == 1, [r.path for r in refused]
    assert refused[0].query["sendInitialEvents"] == "true"
    for key in KEYS:
        assert [r.query.get("limit") for r in requests_for(old, key) if is_list(r)] == ["500"]
    await h.put_and_see(pod("web-after"))
    h.assert_matches_truth(KEYS)


@pytest.mark.parametrize("server_lists", ["watch-list"], indirect=True)
async def test_a_server_ignoring_send_initial_events_is_listed_in_pages(flux_emulator, harness):
    """A server that does not know `sendInitialEvents` serves a plain watch: its first bookmark
    has no initial-events-end annotation. The reflector lists in pages then, and from then on."""
    flux_emulator.store.put(pod("web-0"))
    flux_emulator.store.put(pod("web-1"))
    async with FaultFront(flux_emulator) as front:
        plain = pod("web-0")
        plain["metadata"]["resourceVersion"] = "1"
        bookmark = {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}}
        front.answer_next(
            PODS,
            watch=False,  # the front counts a streamed list as a list
            status=200,
            body=[{"type": "ADDED", "object": plain}, {"type": "BOOKMARK", "object": bookmark}],
        )
        h = await harness(flux_emulator, via=front).start([PODS])
        await h.until_all_live([PODS])
        asked = front.requests_for(PODS, watch=False)
        assert asked[0].query.get("sendInitialEvents") == "true"
        assert asked[0].injected
        assert "sendInitialEvents" not in asked[1].query  # the page that followed
        assert h.client is not None
        assert h.client.watch_list.served is False
        await h.put_and_see(pod("web-2"))
        h.assert_matches_truth([PODS])
