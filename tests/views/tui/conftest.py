"""Fixtures for the TUI tests: an app showing a pinned snapshot at a pinned instant."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from sovwatch.views.tui.app import SovwatchApp
from sovwatch.views.tui.options import TuiSettings
from tests.views.tui.kit_snapshot import NOW, kit_snapshot


class Pinned:
    """A snapshot the test controls, standing in for the model's output, and a settable clock."""

    def __init__(self) -> None:
        self.document = kit_snapshot()
        self.now = NOW


async def _no_items() -> AsyncIterator:
    return
    yield


@pytest.fixture
def pinned() -> Pinned:
    return Pinned()


@pytest.fixture
def make_app(pinned: Pinned) -> Callable[..., SovwatchApp]:
    def make(**settings) -> SovwatchApp:
        app = SovwatchApp(
            _no_items,
            cluster={"context": "sov-omantel", "server": "https://203.0.113.10:6443"},
            settings=TuiSettings(**settings),
            snapshotter=lambda store, now: pinned.document,
            clock=lambda: pinned.now,
        )
        return app

    return make
