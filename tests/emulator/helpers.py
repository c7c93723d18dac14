"""Helpers for the emulator's own tests: realistic objects and bounded reading of watch streams."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from sovwatch.emulator.objects import CATALOGUE, ObjectStore, crd_object

HR_KEY = "helmreleases.helm.toolkit.fluxcd.io"
STREAM_TIMEOUT = 5.0


def install_flux_crds(store: ObjectStore) -> None:
    for rt in CATALOGUE:
        if rt.crd:
            store.put(crd_object(rt))


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
    """A Pod as the kubelet reports it (one container)."""
    state: dict = {"running": {"startedAt": "2026-11-27T10:00:05Z"}}
    if waiting:
        state = {
            "waiting": {
                "reason": waiting,
                "message": f"back-off 5m0s restarting failed container={name}",
            }
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels
            if labels is not None
            else {
                "app.kubernetes.io/name": name.rsplit("-", 2)[0],
                "app.kubernetes.io/instance": "cert-manager",
            },
        },
        "spec": {
            "nodeName": node,
            "containers": [
                {"name": "main", "image": "quay.io/jetstack/cert-manager-controller:v1.16.2"}
            ],
        },
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": ready,
                    "restartCount": restarts,
                    "state": state,
                    "started": ready,
                }
            ],
        },
    }


def helmrelease(
    name: str, namespace: str = "flux-system", *, ready: str = "True", message: str | None = None
) -> dict:
    """A HelmRelease (helm.toolkit.fluxcd.io/v2) with a Ready condition as helm-controller writes it."""
    reason = "InstallSucceeded" if ready == "True" else "InstallFailed"
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"interval": "1m", "chart": {"spec": {"chart": name, "version": "1.0.0"}}},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": ready,
                    "reason": reason,
                    "message": message
                    or f"Helm install succeeded for release {namespace}/{name}.v1 with chart {name}@1.0.0",
                    "lastTransitionTime": "2026-11-27T10:01:00Z",
                }
            ]
        },
    }


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
