"""Authentication: bearer tokens (and the exact 401 Status) over plain HTTP."""

from __future__ import annotations

import aiohttp
import pytest

UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}],
    ids=["no-token", "wrong-token", "basic-auth"],
)
@pytest.mark.parametrize("path", ["/api/v1/pods", "/apis", "/version"])
async def test_unauthenticated_requests_get_401_status(emulator, headers, path):
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(emulator.url + path) as resp,
    ):
        assert resp.status == 401
        assert await resp.json() == UNAUTHORIZED


async def test_added_token_is_accepted_and_removed_token_is_not(emulator):
    rotated = "rotated-token-from-exec-plugin"
    emulator.tokens.add(rotated)
    headers = {"Authorization": f"Bearer {rotated}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(emulator.url + "/api/v1/pods") as resp:
            assert resp.status == 200
        emulator.tokens.discard(rotated)
        async with session.get(emulator.url + "/api/v1/pods") as resp:
            assert resp.status == 401


async def test_token_is_random_per_emulator(emulator):
    from sovsim.server import Emulator

    other = Emulator()
    assert other.token != emulator.token
    assert len(emulator.token) >= 32


async def test_request_log_records_requests(emulator, api):
    async with api.get("/api/v1/pods", params={"limit": "5"}) as resp:
        assert resp.status == 200
    async with aiohttp.ClientSession() as anonymous, anonymous.get(emulator.url + "/apis") as resp:
        assert resp.status == 401
    first, second = emulator.request_log[-2:]
    assert (first.method, first.path, first.query, first.status, first.watch) == (
        "GET",
        "/api/v1/pods",
        {"limit": "5"},
        200,
        False,
    )
    assert first.duration is not None
    assert (second.path, second.status) == ("/apis", 401)
