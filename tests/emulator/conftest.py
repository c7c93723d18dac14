"""The `api` fixture: an aiohttp session authenticated against the `emulator` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from sovsim.server import Emulator


@pytest.fixture
async def api(emulator: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A session that sends the emulator's token; paths are relative to its URL."""
    async with aiohttp.ClientSession(
        base_url=emulator.url, headers={"Authorization": f"Bearer {emulator.token}"}
    ) as session:
        yield session
