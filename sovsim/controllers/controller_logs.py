"""helm-controller's own log: the JSON lines controller-runtime writes about each HelmRelease.

Written to the log of the running `manager` container of the helm-controller pod (flux-system,
`app=helm-controller`), so `kubectl logs -n flux-system deploy/helm-controller` and
`flux logs --kind HelmRelease --name X` have something real to read:

    {"level":"info","ts":"2026-12-06T09:16:46.123Z","msg":"running 'install' action with timeout
     of 10m0s","controller":"helmrelease","controllerGroup":"helm.toolkit.fluxcd.io",
     "controllerKind":"HelmRelease","HelmRelease":{"name":"bp-spire","namespace":"flux-system"},
     "namespace":"flux-system","name":"bp-spire","reconcileID":"6c0b2a31-..."}

Errors carry `"level":"error"` and the error in `"error"`. Nothing is written while the
controller's pod is not running (as with a real pod).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sovsim.controllers.common import FLUX_NS, digest

if TYPE_CHECKING:
    from sovsim.controllers.kubelet import Kubelet
    from sovsim.controllers.pods import ContainerRun, PodRun
    from sovsim.controllers.sim import Sim
    from sovsim.scenario_schema import Release

WORKLOAD = "helm-controller"
CONTAINER = "manager"


def _reconcile_id(*parts: object) -> str:
    h = digest(*parts)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


class HelmControllerLog:
    """Writes helm-controller's log lines about HelmReleases."""

    def __init__(self, sim: Sim, kubelet: Kubelet) -> None:
        self.sim = sim
        self.kubelet = kubelet
        self._manager: tuple[PodRun, ContainerRun] | None = None
        self._next_search = 0.0

    def write(self, release: Release, msg: str, *, error: str = "", attempt: int = 0) -> None:
        """One line about `release` (`error` makes it an error line); `attempt` tells reconciles
        apart in the reconcileID."""
        container_id = self._container_id()
        if not container_id:
            return
        when = self.sim.start + self.sim.now
        moment = datetime.fromtimestamp(when, UTC)
        record = {
            "level": "error" if error else "info",
            "ts": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
            "msg": msg,
            "controller": "helmrelease",
            "controllerGroup": "helm.toolkit.fluxcd.io",
            "controllerKind": "HelmRelease",
            "HelmRelease": {"name": release.name, "namespace": release.namespace},
            "namespace": release.namespace,
            "name": release.name,
            "reconcileID": _reconcile_id(release.namespace, release.name, attempt, int(when)),
        }
        if error:
            record["error"] = error
        self.sim.store.logs.write(container_id, when, json.dumps(record, separators=(",", ":")))

    def _container_id(self) -> str:
        manager = self._manager
        if manager is None or manager[0].terminating or not manager[1].running:
            if self.sim.now < self._next_search:
                return ""
            manager = self._manager = self.kubelet.running_container(FLUX_NS, WORKLOAD, CONTAINER)
            if manager is None:  # not running (yet): look again a simulated second later
                self._next_search = self.sim.now + 1.0
        return manager[1].id if manager is not None else ""
