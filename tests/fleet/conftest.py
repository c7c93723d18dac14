"""The `refused` fixture: a loopback port that refuses connections for the whole test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fleet.fleet_helpers import refused_port


@pytest.fixture
def refused() -> Iterator[int]:
    with refused_port() as port:
        yield port
