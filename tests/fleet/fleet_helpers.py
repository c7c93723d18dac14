"""Fleets of real emulators for the fleet tests: one kubeconfig with a context per cluster, a port
nothing listens on, a server that accepts connections and never answers, and subscribers that
let a test wait for what a fleet or a member's pipeline says (events, never sleeps)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from sovsim import kubeconfigs
from sovsim.scenario import ScenarioRunner, load_scenario
from sovsim.server import Emulator
from sovwatch.fleet import Member
from sovwatch.pipeline import Update
from sovwatch.sources.events import StreamHealth

BARE_TOKEN = "fleet-test-token"
"""The token of a context given as a bare server URL (`fleet_kubeconfig`)."""


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so no emulator started meanwhile gets
    it) but not listening, for as long as the block runs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def fleet_kubeconfig(path: Path, clusters: dict[str, Emulator | str]) -> Path:
    """One kubeconfig (0600) with a context per cluster, named by its key: an emulator's (with its
    token), or a bare server URL with a token nobody accepts. The first is the current context."""
    merged: dict = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [],
        "users": [],
        "contexts": [],
    }
    for name, cluster in clusters.items():
        if isinstance(cluster, Emulator):
            document = cluster.kubeconfig(context=name)
        else:
            document = kubeconfigs.kubeconfig_document(
                server=cluster, context=name, namespace=None, ca_pem=None,
                user=kubeconfigs.token_user(BARE_TOKEN),
            )  # fmt: skip
        for section in ("clusters", "users", "contexts"):
            merged[section] += document[section]
    merged["current-context"] = next(iter(clusters))
    return kubeconfigs.write_private(path, merged)


def with_unverified_member(
    path: Path, name: str, emulator: Emulator, others: dict[str, Emulator | str]
) -> Path:
    """`fleet_kubeconfig(path, others)` and a context `name` for the TLS `emulator` whose server
    is not verified (insecure-skip-tls-verify, no CA): a member with a connection warning."""
    document = emulator.kubeconfig(context=name)
    cluster = document["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["insecure-skip-tls-verify"] = True
    merged = yaml.safe_load(fleet_kubeconfig(path, others).read_text())
    for section in ("clusters", "users", "contexts"):
        merged[section] += document[section]
    return kubeconfigs.write_private(path, merged)


def unverified_warning(name: str, kubeconfig: Path) -> str:
    """The connection warning of `with_unverified_member`'s member `name`."""
    return (
        f"insecure-skip-tls-verify is set for cluster {name!r} in {kubeconfig}: the server's "
        "identity is not verified"
    )


def played(emulator: Emulator, scenario: str) -> Emulator:
    """The emulator with `scenario` played to its end (nothing moves any more)."""
    ScenarioRunner(emulator.store, load_scenario(scenario), seed=1).run_until(3600)
    return emulator


def ready_stuck_gone(path: Path, ready: Emulator, stuck: Emulator, port: int) -> Path:
    """A kubeconfig of three contexts: `sov-ready` (`tiny` played), `sov-stuck` (`stuck`
    played) and `sov-gone` (a port nothing answers on)."""
    return fleet_kubeconfig(
        path,
        {
            "sov-ready": played(ready, "tiny"),
            "sov-stuck": played(stuck, "stuck"),
            "sov-gone": f"http://127.0.0.1:{port}",
        },
    )


def refused_line(port: int, kubeconfig: Path) -> str:
    """The trouble of `sov-gone` in `ready_stuck_gone`'s kubeconfig."""
    return (
        f"cannot connect to 127.0.0.1:{port}: connection refused (server http://127.0.0.1:{port}, "
        f"context 'sov-gone' in {kubeconfig}): is the API server running and reachable from here "
        "(VPN, firewall, port)?"
    )


class Watcher:
    """Subscribes to a fleet and to each member's pipeline; `until(pred)` waits for a state."""

    def __init__(self) -> None:
        self.members: dict[str, Member] = {}
        self.removed: list[str] = []
        self.troubles: dict[str, list[str | None]] = {}
        self.updates: dict[str, list[tuple[float, Update]]] = {}
        """Per member: (monotonic time it arrived, update)."""
        self._changed = asyncio.Event()

    def _poke(self) -> None:
        self._changed.set()

    async def until(self, pred: Callable[[], object], timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Wait until `pred()` holds: re-checked at every fleet or pipeline event, and every 50 ms
        for what no subscriber hears of (an emulator seeing a connection close)."""
        deadline = time.monotonic() + timeout
        while not pred():
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"not reached within {timeout}s: {self.troubles}")
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 0.05))
            except TimeoutError:
                pass

    def latest(self, name: str) -> Update | None:
        updates = self.updates.get(name)
        return updates[-1][1] if updates else None

    # -- FleetSubscriber ----------------------------------------------------------------------

    def member_added(self, member: Member) -> None:
        self.members[member.name] = member
        member.pipeline.subscribe(_MemberUpdates(self, member.name))
        self._poke()

    def member_removed(self, member: Member) -> None:
        self.removed.append(member.name)
        self._poke()

    def member_trouble(self, member: Member) -> None:
        self.troubles.setdefault(member.name, []).append(member.trouble)
        self._poke()

    def fleet_notice(self, notice: str | None) -> None:
        self._poke()


class _MemberUpdates:
    """A member's pipeline subscriber feeding its `Watcher`."""

    def __init__(self, watcher: Watcher, name: str) -> None:
        self._watcher = watcher
        self._name = name

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        self._watcher._poke()

    def unlisted(self, resources: list[str]) -> None:
        pass

    def update(self, update: Update) -> None:
        self._watcher.updates.setdefault(self._name, []).append((time.monotonic(), update))
        self._watcher._poke()

    def tick(self, now: float) -> None:
        pass

    def ended(self) -> None:
        self._watcher._poke()
