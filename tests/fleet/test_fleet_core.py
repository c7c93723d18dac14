"""The fleet core against real emulators over HTTP: one pipeline per cluster, trouble as a member's
one line (never an exit), retries with the engine's backoff, membership changing while it runs,
and isolation: a stalled or silent API server does not slow another cluster's updates."""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack

from sovsim.server import Emulator
from sovwatch import fleet_launch
from sovwatch.fleet import Fleet, MemberSpec
from sovwatch.invocation import Invocation
from sovwatch.kube import api
from sovwatch.pipeline import interactive
from tests.fleet.fleet_helpers import (
    BARE_TOKEN,
    Watcher,
    fleet_kubeconfig,
    refused_port,
)
from tests.sources.engine_objects import pod
from tests.timings import FAST
from tests.trust.trust_helpers import silent_server


def _fleet(watcher: Watcher, connector, settings=FAST) -> Fleet:
    fleet = fleet_launch.fleet_of(
        Invocation(command="watch", no_logs=True), interactive(), connector=connector,
        settings=settings,
    )  # fmt: skip
    fleet.subscribe(watcher)
    return fleet


def _pods(watcher: Watcher, name: str) -> set[str]:
    update = watcher.latest(name)
    if update is None:
        return set()
    return {o.name for o in update.snapshot.objects if o.kind == "Pod"}


async def test_each_member_watches_its_cluster_and_an_unreachable_one_is_trouble(tmp_path):
    reserved = ExitStack()  # until the cluster "comes up" on it
    port = reserved.enter_context(refused_port())
    async with Emulator() as a, Emulator() as b:
        a.store.put(pod("web-a"))
        b.store.put(pod("web-b"))
        gone = f"http://127.0.0.1:{port}"
        path = fleet_kubeconfig(tmp_path / "fleet.yaml", {"sov-a": a, "sov-b": b, "sov-gone": gone})
        watcher = Watcher()
        connector = api.shared_connector()
        fleet = _fleet(watcher, connector)
        try:
            for name in ("sov-a", "sov-b", "sov-gone"):
                fleet.add(MemberSpec(name, kubeconfig=str(path), context=name))
            assert [m.name for m in fleet] == ["sov-a", "sov-b", "sov-gone"]
            # the unreachable cluster retries with backoff: the same line every time
            await watcher.until(lambda: fleet["sov-gone"].attempt >= 3)
            await watcher.until(lambda: _pods(watcher, "sov-a") and _pods(watcher, "sov-b"))
            assert _pods(watcher, "sov-a") == {"web-a"}
            assert _pods(watcher, "sov-b") == {"web-b"}
            assert watcher.latest("sov-b").snapshot.cluster.server == b.url
            gone_member = fleet["sov-gone"]
            assert gone_member.trouble == (
                f"cannot connect to 127.0.0.1:{port}: connection refused (server {gone}, context "
                f"'sov-gone' in {path}): is the API server running and reachable from here "
                "(VPN, firewall, port)?"
            )
            assert gone_member.server == gone
            assert watcher.troubles["sov-gone"] == [gone_member.trouble]  # told once, not per try
            assert fleet["sov-a"].trouble is None
            assert fleet["sov-a"].server == a.url

            # the cluster comes up on that port: the member recovers by itself
            reserved.close()
            async with Emulator(port=port, token=BARE_TOKEN) as late:
                late.store.put(pod("web-late"))
                await watcher.until(lambda: _pods(watcher, "sov-gone") == {"web-late"})
                assert gone_member.trouble is None
                assert watcher.troubles["sov-gone"][-1] is None

                # membership changes while running: removing one closes its watches only
                removed = fleet.remove("sov-b")
                assert removed is not None
                assert watcher.removed == ["sov-b"]
                assert "sov-b" not in fleet
                assert len(fleet) == 2
                b_updates = len(watcher.updates["sov-b"])
                a.store.put(pod("web-a2"))
                await watcher.until(lambda: "web-a2" in _pods(watcher, "sov-a"))
                await watcher.until(lambda: not b.open_watches())
                assert len(watcher.updates["sov-b"]) == b_updates
                await fleet.aclose()
                await watcher.until(lambda: not a.open_watches() and not late.open_watches())
                assert not connector.closed  # the shared pool belongs to the launcher
        finally:
            await fleet.aclose()
            await connector.close()


async def test_replace_reconnects_the_same_member_with_new_credentials(tmp_path):
    async with Emulator() as emu:
        emu.store.put(pod("web-0"))
        stale = emu.kubeconfig(context="sov")
        stale["users"][0]["user"]["token"] = "revoked"
        from sovsim import kubeconfigs

        old = kubeconfigs.write_private(tmp_path / "old.yaml", stale)
        new = emu.write_kubeconfig(tmp_path / "new.yaml", context="sov")
        watcher = Watcher()
        connector = api.shared_connector()
        fleet = _fleet(watcher, connector)
        try:
            member = fleet.add(MemberSpec("sov", kubeconfig=str(old)))
            await watcher.until(lambda: member.trouble is not None)
            assert member.trouble.startswith(
                "the server rejected the credentials of user 'sov' even after reloading them "
                "(401 Unauthorized"
            )
            assert fleet.replace(MemberSpec("sov", kubeconfig=str(new))) is member
            await watcher.until(lambda: _pods(watcher, "sov") == {"web-0"})
            assert member.trouble is None
            assert member.attempt == 0
            assert list(fleet) == [member]
        finally:
            await fleet.aclose()
            await connector.close()


async def test_a_stalled_and_a_silent_api_server_do_not_slow_another_cluster(tmp_path):
    # long enough that the silent server is still being asked its pre-flight question at the end
    settings = dataclasses.replace(FAST, preflight_timeout=60.0, inactivity_timeout=60.0)
    async with Emulator() as stalled, Emulator() as healthy, silent_server() as silent:
        path = fleet_kubeconfig(
            tmp_path / "fleet.yaml", {"stalled": stalled, "healthy": healthy, "silent": silent}
        )
        watcher = Watcher()
        connector = api.shared_connector()
        fleet = _fleet(watcher, connector, settings)
        try:
            for name in ("stalled", "healthy", "silent"):
                fleet.add(MemberSpec(name, kubeconfig=str(path), context=name))
            await watcher.until(lambda: watcher.latest("stalled") and watcher.latest("healthy"))
            # every watch of one API server goes silent (no events, no bookmarks, no end)
            stalled.faults.stall()
            latencies = []
            for i in range(5):
                stalled.store.put(pod(f"lost-{i}"))
                healthy.store.put(pod(f"web-{i}"))
                put = watcher.updates["healthy"][-1][0]
                await watcher.until(lambda i=i: f"web-{i}" in _pods(watcher, "healthy"))
                arrived = next(
                    t for t, u in watcher.updates["healthy"] if t >= put and
                    f"web-{i}" in {o.name for o in u.snapshot.objects}
                )  # fmt: skip
                latencies.append(arrived - put)
            # the stall is real: nothing of the stalled cluster arrived, and the silent server is
            # still being opened (no answer, no trouble yet)
            assert not any(p.startswith("lost-") for p in _pods(watcher, "stalled"))
            assert fleet["silent"].opened is None
            assert fleet["silent"].trouble is None
            # the TUI's coalescing shows a lone change after 50 ms; a loaded machine may add some
            assert max(latencies) < 1.5, latencies
        finally:
            stalled.faults.unstall()
            await fleet.aclose()
            await connector.close()


async def test_replace_starts_from_the_new_lists_not_what_was_known(tmp_path):
    # lists in pages: the stall below silences watches, and a streamed list is one
    async with Emulator(watch_list=False) as emu:
        emu.store.put(pod("web-0"))
        emu.store.put(pod("web-1"))
        path = emu.write_kubeconfig(tmp_path / "sov.yaml", context="sov")
        watcher = Watcher()
        connector = api.shared_connector()
        fleet = _fleet(watcher, connector)
        try:
            member = fleet.add(MemberSpec("sov", kubeconfig=str(path)))
            await watcher.until(lambda: _pods(watcher, "sov") == {"web-0", "web-1"})
            # a deletion the old connection never saw (its watches are silent), then new credentials
            emu.faults.stall()
            emu.store.delete("pods", "cert-manager", "web-1")
            firsts = sum(1 for _, u in watcher.updates["sov"] if u.first)
            fleet.replace(MemberSpec("sov", kubeconfig=str(path)))
            await watcher.until(
                lambda: sum(1 for _, u in watcher.updates["sov"] if u.first) > firsts
            )
            assert _pods(watcher, "sov") == {"web-0"}
            assert member.pipeline is watcher.members["sov"].pipeline
        finally:
            emu.faults.unstall()
            await fleet.aclose()
            await connector.close()
