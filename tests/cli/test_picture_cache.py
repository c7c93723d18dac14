"""The picture cache end to end: `sovwatch` as a subprocess, the emulator behind a `FaultFront`.

A first watch keeps the cluster's picture on disk at exit. A second one, whose lists the front
holds back (a slow link), shows that picture at once, marked stale with its age, and replaces it
with the cluster's own when the lists arrive; meanwhile the cluster has moved on (a release was
deleted), so every assertion tells the cached picture from the live one. Nothing decides from
the cached picture: `--exit-on-done` does not exit on its `ready`, `--once` never prints it.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import signal
import socket
import stat
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from sovsim import kubeconfigs
from sovsim.scenario import ScenarioRunner, load_scenario
from tests.cli.cli_helpers import ROOT, env, sovwatch, spawn
from tests.sources.fault_front import FaultFront
from tests.trust.trust_helpers import silent_server
from tests.views.tui.test_signals import read_until

HR = "helmreleases.helm.toolkit.fluxcd.io"
TINY = sorted(r.name for r in load_scenario("tiny").releases)
GONE = TINY[-1]
"""The release deleted between the two runs."""


@pytest.fixture
async def front(emulator) -> FaultFront:
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=1).run_until(400)
    async with FaultFront(emulator) as f:
        yield f
        f.lists_open.set()  # a held list ends before the front closes


def _kubeconfig(front: FaultFront, tmp_path: Path) -> str:
    document = front.upstream.kubeconfig()
    document["clusters"][0]["cluster"]["server"] = front.url
    return str(kubeconfigs.write_private(tmp_path / "kubeconfig", document))


async def _keep_a_ready_picture(kubeconfig: str, cache_home: Path) -> Path:
    """A first watch to the end (every release ready): the picture it kept, then the cluster
    loses a release."""
    first = await sovwatch("--kubeconfig", kubeconfig, "-o", "json", "--exit-on-done")
    assert first.code == 0, first.err
    (kept,) = (cache_home / "sovwatch").iterdir()
    return kept


async def _line(proc: asyncio.subprocess.Process) -> str:
    line = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert line, f"sovwatch ended early: {(await proc.stderr.read()).decode()[-2000:]}"
    return line.decode()


async def _end(proc: asyncio.subprocess.Process) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
    return out.decode(), err.decode()


async def test_json_shows_the_kept_picture_stale_then_the_live_one_and_never_decides_from_it(
    front, tmp_path, picture_cache_home
):
    kubeconfig = _kubeconfig(front, tmp_path)
    kept = await _keep_a_ready_picture(kubeconfig, picture_cache_home)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert re.fullmatch(r"[0-9a-f]{32}\.json", kept.name)
    assert front.upstream.store.delete(HR, "flux-system", GONE) is not None

    front.lists_open.clear()  # a slow link: nothing listed yet
    proc = await spawn("--kubeconfig", kubeconfig, "-o", "json", "--exit-on-done")
    try:
        while (cached := json.loads(await _line(proc)))["type"] != "snapshot":
            assert cached["type"] == "stream"  # connecting
        document = cached["snapshot"]
        assert document["stale"] is not None
        assert document["stale"]["ageSeconds"] >= 0
        assert document["stale"]["since"] <= document["observedAt"]
        assert document["outcome"] == "ready"  # what the first watch saw ...
        assert sorted(r["name"] for r in document["releases"]) == TINY
        front.lists_open.set()
        while (record := json.loads(await _line(proc)))["type"] != "snapshot":
            assert record["type"] == "stream"
        live = record["snapshot"]
        assert live["stale"] is None  # ... and what the cluster shows now
        assert sorted(r["name"] for r in live["releases"]) == sorted(set(TINY) - {GONE})
        assert {s["state"] for s in live["streams"]} == {"live"}
        out, err = await _end(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
    # the cached "ready" ended nothing: only the signal did, with the live picture's word
    assert proc.returncode == 130, err
    outcome = json.loads(out.splitlines()[-1])
    assert (outcome["type"], outcome["exitCode"]) == ("outcome", 130)
    assert "Traceback" not in err


async def test_plain_says_cached_and_its_age_then_syncs_and_once_never_shows_it(
    front, tmp_path, picture_cache_home
):
    kubeconfig = _kubeconfig(front, tmp_path)
    await _keep_a_ready_picture(kubeconfig, picture_cache_home)
    front.upstream.store.delete(HR, "flux-system", GONE)

    front.lists_open.clear()
    proc = await spawn("--kubeconfig", kubeconfig, "-o", "plain")
    try:
        first = await _line(proc)
        assert re.fullmatch(
            rf"\d\d:\d\d:\d\d stale: cached \d+s ago, connecting\.\.\.: progress "
            rf"{len(TINY)}/{len(TINY)} ready.*\n",
            first,
        ), first
        front.lists_open.set()
        while " synced: " not in (line := await _line(proc)):
            assert "stale" not in line
        await _end(proc)
    finally:
        if proc.returncode is None:
            proc.kill()

    once = await sovwatch("--kubeconfig", kubeconfig, "--once", "-o", "json")
    assert once.code == 0, once.err
    (document,) = once.records()
    assert document["stale"] is None
    assert sorted(r["name"] for r in document["releases"]) == sorted(set(TINY) - {GONE})


@pytest.mark.parametrize("damage", ["corrupt", "foreign", "old", "link"])
async def test_an_unusable_cache_file_is_ignored_with_one_debug_line(
    front, tmp_path, picture_cache_home, damage
):
    kubeconfig = _kubeconfig(front, tmp_path)
    kept = await _keep_a_ready_picture(kubeconfig, picture_cache_home)
    head, *objects = kept.read_text().splitlines(keepends=True)
    header = json.loads(head)
    if damage == "corrupt":  # cut short in the middle of a line
        kept.write_bytes(kept.read_bytes()[: kept.stat().st_size - len(objects[-1]) // 2])
    elif damage == "foreign":
        kept.write_text(
            "".join([json.dumps({**header, "context": "someone-else"}) + "\n", *objects])
        )
    elif damage == "old":
        old = {**header, "savedAt": header["savedAt"] - 7200}
        kept.write_text("".join([json.dumps(old) + "\n", *objects]))
    else:
        elsewhere = tmp_path / "elsewhere.json"
        kept.rename(elsewhere)
        kept.symlink_to(elsewhere)
    result = await sovwatch("--kubeconfig", kubeconfig, "-o", "json", "--exit-on-done", "-vv")
    assert result.code == 0, result.err
    snapshots = [r["snapshot"] for r in result.records() if r["type"] == "snapshot"]
    assert all(s["stale"] is None for s in snapshots)
    assert result.err.count("picture cache") == 1, result.err
    assert "Traceback" not in result.err


async def test_no_cache_neither_shows_nor_keeps_a_picture(front, tmp_path, picture_cache_home):
    kubeconfig = _kubeconfig(front, tmp_path)
    result = await sovwatch(
        "--kubeconfig", kubeconfig, "-o", "json", "--exit-on-done", "--no-cache"
    )
    assert result.code == 0, result.err
    assert not (picture_cache_home / "sovwatch").exists()
    await _keep_a_ready_picture(kubeconfig, picture_cache_home)
    again = await sovwatch("--kubeconfig", kubeconfig, "-o", "json", "--exit-on-done", "--no-cache")
    assert again.code == 0, again.err
    assert [r["snapshot"]["stale"] for r in again.records() if r["type"] == "snapshot"] == [
        None,
        None,
    ]


async def test_the_kept_picture_shows_at_once_when_the_server_never_answers(
    emulator, tmp_path, picture_cache_home
):
    """Nothing answers on the server's port (a black hole): plain and JSON show the kept picture
    at once, stale with its age when written, then the start-up error's one line and exit 2."""
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=1).run_until(400)
    kubeconfig = str(emulator.write_kubeconfig(tmp_path / "kubeconfig"))
    kept = await _keep_a_ready_picture(kubeconfig, picture_cache_home)
    head, *objects = kept.read_text().splitlines(keepends=True)
    header = json.loads(head)
    kept.write_text(  # taken 4m12s ago
        "".join([json.dumps({**header, "savedAt": time.time() - 252}) + "\n", *objects])
    )
    await emulator.stop()
    async with silent_server(emulator.port):
        plain, ndjson = await asyncio.gather(
            spawn("--kubeconfig", kubeconfig, "-o", "plain"),
            spawn("--kubeconfig", kubeconfig, "-o", "json"),
        )
        try:
            first = await _line(plain)
            assert re.fullmatch(
                rf"\d\d:\d\d:\d\d stale: cached 4m ago, connecting\.\.\.: progress "
                rf"{len(TINY)}/{len(TINY)} ready.*\n",
                first,
            ), first
            record = json.loads(await _line(ndjson))
            assert record["type"] == "snapshot"
            stale = record["snapshot"]["stale"]
            assert 252 <= stale["ageSeconds"] < 252 + 30  # its age when written
            assert record["snapshot"]["observedAt"] == record["ts"]
            assert record["snapshot"]["outcome"] == "ready"  # what the first watch saw
            ends = await asyncio.wait_for(
                asyncio.gather(plain.communicate(), ndjson.communicate()), 60
            )
        finally:
            for proc in (plain, ndjson):
                if proc.returncode is None:
                    proc.kill()
    for proc, (out, err) in zip((plain, ndjson), ends, strict=True):
        assert proc.returncode == 2, err.decode()
        assert out.decode() == ""  # nothing after the kept picture: nothing was decided
        line = err.decode().splitlines()
        assert len(line) == 1, err.decode()
        assert line[0].startswith(f"sovwatch: {emulator.url} did not answer in time ("), line
        assert line[0].endswith(
            "the server is unreachable or overloaded; check the address and your network"
        ), line


async def test_a_rejected_credential_behind_the_kept_picture_is_one_line_and_exit_2(
    emulator, tmp_path, picture_cache_home
):
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=1).run_until(400)
    kubeconfig = str(emulator.write_kubeconfig(tmp_path / "kubeconfig"))
    await _keep_a_ready_picture(kubeconfig, picture_cache_home)
    emulator.tokens.discard(emulator.token)  # revoked meanwhile
    result = await sovwatch("--kubeconfig", kubeconfig, "-o", "plain", "--exit-on-done")
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert result.err.splitlines() == [
        "sovwatch: the server rejected the credentials of user 'sim' even after reloading them "
        f"(401 Unauthorized: Unauthorized; server {emulator.url}, context 'sim' in {kubeconfig}): "
        "log in again or refresh the token"
    ]


def _refusing(port: int) -> socket.socket:
    """A socket bound to `port` on loopback, not listening: connections there are refused."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    return s


def _quit_the_tui_once(
    shown: bytes | tuple[bytes, ...], *args: str, key: bytes = b"q"
) -> tuple[int, str, str]:
    """`sovwatch ARGS` in an 80x24 pty (TERM=xterm, NO_COLOR), `key` (`q`; Ctrl-C is `\x03`)
    once it has written `shown` (each of them): its exit code, what it wrote until then and what
    it wrote as it ended."""
    needles = shown if isinstance(shown, tuple) else (shown,)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sovwatch", *args],
        stdin=slave, stdout=slave, stderr=slave,
        env=env(TERM="xterm", NO_COLOR="1"), cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    try:
        before, deadline = b"", time.monotonic() + 30
        while not all(n in before for n in needles) and time.monotonic() < deadline:
            before += read_until(master, needles[0], 0.2)
        os.write(master, key)
        code = proc.wait(timeout=30)
        after = read_until(master, b"\0", 1)  # to the end of its output
    finally:
        if proc.returncode is None:
            proc.kill()
        os.close(master)
    return code, before.decode(errors="replace"), after.decode(errors="replace")


async def test_quitting_the_tui_before_the_server_ever_answered_exits_2_with_its_line(
    emulator, tmp_path, picture_cache_home
):
    """The TUI on a kept picture, in a real terminal, while the server refuses connections: `q`
    ends the run as a start that could not reach the cluster does (README, Exit codes): the one
    line on stderr and exit 2, not 0, and `--report` says the cluster was never reached."""
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=1).run_until(400)
    kubeconfig = str(emulator.write_kubeconfig(tmp_path / "kubeconfig"))
    await _keep_a_ready_picture(kubeconfig, picture_cache_home)
    await emulator.stop()
    with _refusing(emulator.port):
        code, before, after = _quit_the_tui_once(
            b"reconnecting", "--kubeconfig", kubeconfig, "--report", str(tmp_path / "r.md")
        )
    assert "STALE cached" in before, before[-2000:]
    assert "reconnecting" in before, before[-2000:]
    assert code == 2, after
    # after the alternate screen is left: the one line, as a start that could not reach it
    line = after[after.index("\x1b[?1049l") :].split("sovwatch: ", 1)[1]
    assert line.strip() == (
        f"cannot connect to 127.0.0.1:{emulator.port}: connection refused (server "
        f"{emulator.url}, context 'sim' in {kubeconfig}): is the API server running and "
        "reachable from here (VPN, firewall, port)?"
    ), after
    summary = (tmp_path / "r.md").read_text()  # the report says so too
    assert summary.startswith("## sovwatch: never reached the cluster (exit 2)\n"), summary
    assert "**Why:** cannot connect to 127.0.0.1:" in summary
