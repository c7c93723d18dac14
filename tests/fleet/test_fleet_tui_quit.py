"""Quitting the fleet screen in a real terminal: the exit code says whether every member was
ever reached, as quitting one cluster's screen does (README, Exit codes)."""

from __future__ import annotations

import asyncio

from sovsim.server import Emulator
from tests.cli.test_picture_cache import _quit_the_tui_once
from tests.fleet.fleet_helpers import fleet_kubeconfig, played, refused_line


async def test_quitting_the_fleet_screen_with_a_member_never_reached_exits_2_with_its_line(
    tmp_path, refused
):
    """`q` while `sov-gone` refuses every connection: exit 2 (before: 0) and its one line, named,
    on stderr once the screen is gone; every member reached: 0, nothing said."""
    async with Emulator() as ready:
        path = fleet_kubeconfig(
            tmp_path / "fleet.yaml",
            {"sov-ready": played(ready, "tiny"), "sov-gone": f"http://127.0.0.1:{refused}"},
        )
        code, before, after = await asyncio.to_thread(  # the emulator answers meanwhile
            _quit_the_tui_once, (b"1 ready", b"1 in trouble"), "--kubeconfig", str(path),
            "--all-contexts",
        )  # fmt: skip
        assert "1 in trouble" in before, before[-2000:]
        assert code == 2, after
        said = after[after.index("\x1b[?1049l") :].split("sovwatch: ")[1:]
        assert [line.strip() for line in said] == [f"sov-gone: {refused_line(refused, path)}"]

        path = fleet_kubeconfig(tmp_path / "reached.yaml", {"sov-a": ready, "sov-b": ready})
        code, before, after = await asyncio.to_thread(
            _quit_the_tui_once, b"2 ready", "--kubeconfig", str(path), "--all-contexts"
        )
        assert "2 ready" in before, before[-2000:]
        assert code == 0, after
        assert "sovwatch: " not in after[after.index("\x1b[?1049l") :], after
