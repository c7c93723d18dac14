"""Fixtures for the watch engine tests: an emulator with Flux installed and live-source harnesses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from engine_harness import Harness
from engine_objects import install_flux_crds

from sovwatch.emulator.server import Emulator


@pytest.fixture
async def flux_emulator(emulator: Emulator) -> Emulator:
    """The `emulator` fixture with every Flux CRD installed."""
    install_flux_crds(emulator.store)
    return emulator


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Callable[[Emulator], Harness]]:
    """`harness(emu)` → an unstarted Harness authenticated to `emu`; all are stopped at teardown."""
    made: list[Harness] = []

    def make(emu: Emulator, **kubeconfig: object) -> Harness:
        path = emu.write_kubeconfig(tmp_path / f"kubeconfig-{len(made)}", **kubeconfig)
        made.append(Harness(emu, path))
        return made[-1]

    yield make
    for h in made:
        await h.stop()
