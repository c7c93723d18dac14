"""Shared fixtures: the project's own Kubernetes API emulator, started in-process on 127.0.0.1:0.

`emulator` is plain HTTP with bearer-token auth, `tls_emulator` is HTTPS with a generated CA (token
and client-certificate auth both work). Both are function-scoped so they live on the test's own
event loop, and use a short bookmark interval so bookmark tests stay fast.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from sovsim.server import Emulator

BOOKMARK_INTERVAL = 0.2


def pytest_configure(config: pytest.Config) -> None:
    """Children of the suite (sovwatch under test) start with SIGINT at its default, however the
    suite was started.

    A non-interactive shell starts a background job (`(pytest &)`, CI runners) with SIGINT ignored,
    and an ignored signal stays ignored across exec, so a child would never see the Ctrl-C a test
    sends it. A handler is reset to the default across exec instead: giving the suite Python's own
    handler (what it installs when SIGINT is not ignored at start) hands every child the default.
    Headless sovwatch keeps an inherited SIG_IGN on purpose (as Python does): that is how a shell
    keeps Ctrl-C at the terminal from its background jobs, and SIGTERM or SIGHUP still end one.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def picture_cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """Each test's own `$XDG_CACHE_HOME` (inherited by the sovwatch it starts): a picture kept by
    one test's watch is never shown to another's (emulator ports are reused), nor to the user."""
    home = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


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
