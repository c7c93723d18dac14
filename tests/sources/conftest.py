"""Fixtures for the watch engine tests: an emulator with Flux installed and live-source harnesses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from sovsim.kubeconfigs import write_private
from sovsim.server import Emulator
from tests.conftest import BOOKMARK_INTERVAL
from tests.emulator.helpers import install_flux_crds
from tests.sources.engine_harness import Harness
from tests.sources.fault_front import FaultFront


@pytest.fixture(params=["watch-list", "paginated"])
def server_lists(request: pytest.FixtureRequest) -> str:
    """How the emulator serves lists: streamed (a server with watch-list) or only in pages (an
    older server, which refuses `sendInitialEvents`); every engine test runs against both."""
    return request.param


@pytest.fixture
async def emulator(server_lists: str) -> AsyncIterator[Emulator]:
    """The root `emulator`, once as each kind of server (`server_lists`)."""
    async with Emulator(
        bookmark_interval=BOOKMARK_INTERVAL, watch_list=server_lists == "watch-list"
    ) as emu:
        yield emu


@pytest.fixture
async def flux_emulator(emulator: Emulator) -> Emulator:
    """The `emulator` fixture with every Flux CRD installed."""
    install_flux_crds(emulator.store)
    return emulator


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Callable[[Emulator], Harness]]:
    """`harness(emu)` → an unstarted Harness authenticated to `emu`; all are stopped at teardown."""
    made: list[Harness] = []

    def make(emu: Emulator, *, via: FaultFront | None = None, **kubeconfig: object) -> Harness:
        """`via`: reach the emulator through a FaultFront (the emulator stays the truth)."""
        document = emu.kubeconfig(**kubeconfig)
        if via is not None:
            document["clusters"][0]["cluster"]["server"] = via.url
        path = write_private(tmp_path / f"kubeconfig-{len(made)}", document)
        made.append(Harness(emu, path))
        return made[-1]

    yield make
    for h in made:
        await h.stop()


@pytest.fixture
async def front(flux_emulator: Emulator) -> AsyncIterator[FaultFront]:
    """A FaultFront before `flux_emulator`."""
    async with FaultFront(flux_emulator) as f:
        yield f
