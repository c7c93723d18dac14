"""Helpers for the emulator's own tests: realistic objects and bounded reading of watch streams."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence

import aiohttp

from sovsim.objects import CATALOGUE, ObjectStore, crd_object
from tests.model import builders

HR_KEY = "helmreleases.helm.toolkit.fluxcd.io"
STREAM_TIMEOUT = 5.0


def install_flux_crds(
    store: ObjectStore,
    *,
    only: str | None = None,
    served: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Every Flux CRD (or only the one named by resource key), each serving its newest version
    unless `served` names others (by resource key)."""
    for rt in CATALOGUE:
        if rt.crd and (only is None or rt.key == only):
            store.put(crd_object(rt, (served or {}).get(rt.key)))


def pod(
    name: str,
    namespace: str = "cert-manager",
    *,
    labels: dict | None = None,
    phase: str = "Running",
    ready: bool = True,
    waiting: str | None = None,
    restarts: int = 0,
    node: str = "sov-node-1",
) -> dict:
    """A cert-manager controller Pod (one container, `main`) as the kubelet reports it."""
    image = "quay.io/jetstack/cert-manager-controller:v1.16.2"
    state = (
        builders.waiting(waiting, f"back-off 5m0s restarting failed container={name}")
        if waiting
        else {"running": {"startedAt": "2026-11-27T10:00:05Z"}}
    )
    status = builders.container_status(
        "main", ready=ready, started=ready, restarts=restarts, state=state, image=image
    )
    return builders.pod_object(
        name,
        namespace,
        release=None if labels is not None else "cert-manager",
        labels=labels,
        phase=phase,
        node=node,
        containers=[{"name": "main", "image": image}],
        statuses=[status],
        stored=False,
    )


def helmrelease(
    name: str, namespace: str = "flux-system", *, ready: str = "True", message: str | None = None
) -> dict:
    """A HelmRelease (helm.toolkit.fluxcd.io/v2) with a Ready condition as helm-controller writes it."""
    reason = "InstallSucceeded" if ready == "True" else "InstallFailed"
    message = message or (
        f"Helm install succeeded for release {namespace}/{name}.v1 with chart {name}@1.0.0"
    )
    return builders.helmrelease_object(
        name,
        namespace=namespace,
        conditions=[builders.cond("Ready", ready, reason, message, gen=1)],
        stored=False,
    )


def core_event(
    name: str,
    *,
    reason: str,
    message: str,
    kind: str = "Pod",
    obj_name: str = "web-0",
    type_: str = "Warning",
    count: int = 1,
) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "cert-manager"},
        "involvedObject": {
            "kind": kind,
            "namespace": "cert-manager",
            "name": obj_name,
            "apiVersion": "v1",
            "fieldPath": "spec.containers{main}",
        },
        "reason": reason,
        "message": message,
        "source": {"component": "kubelet", "host": "sov-node-1"},
        "firstTimestamp": "2026-11-27T10:00:00Z",
        "lastTimestamp": "2026-11-27T10:02:00Z",
        "count": count,
        "type": type_,
        "eventTime": None,
        "reportingComponent": "kubelet",
        "reportingInstance": "sov-node-1",
    }


class EventReader:
    """Reads JSON lines from an open watch response, each read bounded by a timeout.

    Lines are split here rather than with `StreamReader.readline`, whose 512 KiB line limit a
    real watch of big objects exceeds.
    """

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self._buffer = b""

    async def line(self, within: float = STREAM_TIMEOUT) -> bytes:
        """The next raw line (without the newline); EOFError when the server ended the stream."""
        async with asyncio.timeout(within):
            while b"\n" not in self._buffer:
                chunk = await self.response.content.readany()
                if not chunk:
                    raise EOFError("the server ended the stream")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    async def next(self, within: float = STREAM_TIMEOUT) -> dict:
        return json.loads(await self.line(within))

    async def take(self, n: int, within: float = STREAM_TIMEOUT) -> list[dict]:
        return [await self.next(within) for _ in range(n)]

    async def until_eof(self, within: float = STREAM_TIMEOUT) -> list[dict]:
        events = []
        while True:
            try:
                events.append(await self.next(within))
            except EOFError:
                return events
