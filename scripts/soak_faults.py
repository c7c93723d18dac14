"""The soak's faults: drawn at random from the emulator's hooks, each undone in time.

Stalls last longer than the engine's inactivity timeout (so the stream goes stale and reconnects),
a 403 flip closes the resource's watch (so the reflector meets it) and is lifted after two seconds, and a Flux CRD that is removed (taking its objects with it) comes
back with its objects two seconds later, while the scenario is paused: its controllers cannot write
a kind that is not served. `settle()` undoes whatever is still pending.
"""

from __future__ import annotations

import asyncio
import random

FLUX_CRDS = (
    "helmreleases.helm.toolkit.fluxcd.io",
    "kustomizations.kustomize.toolkit.fluxcd.io",
    "helmrepositories.source.toolkit.fluxcd.io",
    "helmcharts.source.toolkit.fluxcd.io",
    "ocirepositories.source.toolkit.fluxcd.io",
    "gitrepositories.source.toolkit.fluxcd.io",
)
FAULTS = (
    "close_watches",
    "compact",
    "stall",
    "forbid",
    "burst_429",
    "burst_500",
    "malformed_line",
    "restart",
    "crd_flap",
)


class FaultRain:
    """Draws and applies faults; remembers what must be undone."""

    def __init__(
        self, emu, store, scenario_task_factory, rng: random.Random, log, *, stall_for: float
    ) -> None:
        self.emu, self.store, self.rng, self.log = emu, store, rng, log
        self._restart_scenario = scenario_task_factory
        self.undo: dict[asyncio.Task, object] = {}
        """Pending undo tasks and the coroutine function each will run."""
        self.counts: dict[str, int] = dict.fromkeys(FAULTS, 0)
        self._crd_down = False
        self._stall_for = stall_for

    def _later(self, delay: float, coro_fn) -> None:
        """Undo a fault after `delay` seconds (or at `settle()`, whichever comes first)."""

        async def run() -> None:
            await asyncio.sleep(delay)
            self.undo.pop(task, None)
            await coro_fn()

        task = asyncio.create_task(run())
        self.undo[task] = coro_fn

    async def one(self) -> str:
        from sovwatch.kube.resources import WATCHED

        name = self.rng.choice(FAULTS)
        if name == "crd_flap" and self._crd_down:
            name = "close_watches"  # one CRD away at a time: the scenario is paused meanwhile
        resource = self.rng.choice(WATCHED).key
        faults = self.emu.faults
        if name == "close_watches":
            faults.close_watches(self.rng.choice([None, resource]))
        elif name == "compact":
            faults.compact()
            faults.close_watches()  # resuming from the compacted history must get 410
        elif name == "stall":
            faults.stall(resource)
            self._later(self._stall_for, self._unstall)
        elif name == "forbid":
            faults.forbid(resource)
            faults.close_watches(resource)  # the re-watch meets the 403, not just a later request
            self._later(2.0, lambda r=resource: self._allow(r))
        elif name in ("burst_429", "burst_500"):
            status = int(name[-3:])
            faults.fail_next(self.rng.randint(2, 8), status=status, retry_after=0.5)
        elif name == "malformed_line":
            faults.malformed_line(self.rng.choice([None, resource]))
        elif name == "restart":
            await self.emu.restart()
        elif name == "crd_flap":
            resource = self.rng.choice(FLUX_CRDS)
            await self._crd_flap(resource)
        self.counts[name] += 1
        self.log(f"fault {name} {resource if name in ('stall', 'forbid', 'crd_flap') else ''}")
        return name

    async def _unstall(self) -> None:
        self.emu.faults.unstall()

    async def _allow(self, resource: str) -> None:
        self.emu.faults.allow(resource)

    async def _crd_flap(self, key: str) -> None:
        """Remove a Flux CRD (its objects go with it), then put it and its objects back. The
        scenario is paused meanwhile: its controllers cannot write kinds that are not served."""
        crds = "customresourcedefinitions.apiextensions.k8s.io"
        crd = self.store.get(crds, "", key)
        if crd is None:  # Flux is not installed yet: nothing to flap
            return
        pause = self._restart_scenario(None)
        self._crd_down = True
        objects, _ = self.store.list(key)
        self.store.delete(crds, "", key)

        async def restore() -> None:
            self.store.put(crd)
            for obj in objects:
                obj["metadata"].pop("resourceVersion", None)
                self.store.put(obj)
            self._crd_down = False
            self._restart_scenario(pause)

        self._later(2.0, restore)

    async def settle(self) -> None:
        """Undo everything still pending now."""
        pending, self.undo = self.undo, {}
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for undo in pending.values():
            await undo()
        self.emu.faults.unstall()
        from sovwatch.kube.resources import WATCHED

        for resource in WATCHED:
            self.emu.faults.allow(resource.key)
