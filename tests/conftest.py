"""Shared fixtures: the project's own Kubernetes API emulator, started in-process on 127.0.0.1:0.

`emulator` is plain HTTP with bearer-token auth, `tls_emulator` is HTTPS with a generated CA (token
and client-certificate auth both work). Both are function-scoped so they live on the test's own
event loop, and use a short bookmark interval so bookmark tests stay fast.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from sovwatch.emulator.server import Emulator

BOOKMARK_INTERVAL = 0.2


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(bookmark_interval=BOOKMARK_INTERVAL) as emu:
        yield emu


@pytest.fixture
async def tls_emulator() -> AsyncIterator[Emulator]:
    async with Emulator(tls=True, bookmark_interval=BOOKMARK_INTERVAL) as emu:
        yield emu


@pytest.fixture
def kubeconfig_path(tmp_path: Path) -> Callable[..., Path]:
    """`kubeconfig_path(emu, auth="token"|"cert"|"none", **kw)` writes a kubeconfig (0600), returns it."""
    counter = iter(range(1_000_000))

    def write(emu: Emulator, **kwargs: object) -> Path:
        return emu.write_kubeconfig(tmp_path / f"kubeconfig-{next(counter)}.yaml", **kwargs)

    return write


@pytest.fixture(scope="session")
def stuck_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recording of the `stuck` demo (made once per session)."""
    from tests.demo_recordings import record_demo

    return record_demo(tmp_path_factory.mktemp("recordings"), "stuck")


@pytest.fixture(scope="session")
def kit_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recording of the `bootstrap-kit` demo (made once per session)."""
    from tests.demo_recordings import record_demo

    return record_demo(tmp_path_factory.mktemp("recordings"), "bootstrap-kit")
