"""`sovwatch sim` serves a scenario until Ctrl-C, and kubectl can watch it with the kubeconfig it writes."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cli.cli_helpers import ROOT, env

TINY = ["bp-cert-manager", "bp-cilium", "bp-loki"]


@contextlib.asynccontextmanager
async def _sim(*args: str, lines: int = 2) -> AsyncIterator[list[str]]:
    """`sovwatch sim ARGS` serving, with the first `lines` lines it said; Ctrl-C stops it when
    the block ends, and it must exit 0 (unless the block failed first)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovwatch", "sim", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env(), cwd=ROOT,
    )  # fmt: skip
    try:
        yield [
            (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
            for _ in range(lines)
        ]
    finally:
        proc.send_signal(signal.SIGINT)
        stopped = await asyncio.wait_for(proc.wait(), 10)
    assert stopped == 0


async def _releases(kubeconfig: Path, cache: Path, *args: str) -> list[str]:
    """The HelmReleases kubectl lists, once there are some: the Flux CRDs appear 30 simulated
    seconds in, as in a real bootstrap."""
    for _ in range(40):
        code, out, err = await _kubectl(
            kubeconfig, cache, *args, "get", "hr", "-A", "--no-headers",
            "-o", "custom-columns=NAME:.metadata.name",
        )  # fmt: skip
        if code == 0 and out.strip():
            break
        await asyncio.sleep(0.25)
    assert code == 0, err
    return sorted(out.split())


async def _kubectl(kubeconfig: Path, cache: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        "kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
async def test_kubectl_lists_the_scenario_releases(tmp_path: Path):
    kubeconfig = tmp_path / "sim.yaml"
    async with _sim(
        "--scenario", "tiny", "--speed", "30", "--write-kubeconfig", str(kubeconfig)
    ) as lines:
        assert lines[0].startswith("serving https://127.0.0.1:")
        assert lines[1] == f"kubeconfig {kubeconfig}"
        assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
        assert await _releases(kubeconfig, tmp_path / "cache") == TINY


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
async def test_a_fleet_is_one_kubeconfig_with_a_context_per_sovereign(tmp_path: Path):
    kubeconfig = tmp_path / "fleet.yaml"
    async with _sim(
        "--fleet", "4", "--speed", "30", "--write-kubeconfig", str(kubeconfig), lines=5
    ) as lines:
        served = [line.split()[1] for line in lines[:4]]
        assert served == ["sov-fra1", "sov-ams1", "sov-par1", "sov-lon1"]
        assert "scenario stuck" in lines[2]
        assert "scenario bootstrap-kit" in lines[3]
        assert "away now and then" in lines[3]
        assert len({line.split()[2] for line in lines[:4]}) == 4  # one API server each
        assert lines[4] == f"kubeconfig {kubeconfig}"
        assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
        code, out, err = await _kubectl(
            kubeconfig, tmp_path / "cache", "config", "get-contexts", "-o", "name"
        )
        assert code == 0, err
        assert sorted(out.split()) == sorted(served)
        seen = {
            context: set(await _releases(kubeconfig, tmp_path / "cache", "--context", context))
            for context in served
        }
        assert "bp-loki" in seen["sov-par1"]  # stuck: loki's Multi-Attach
        assert all("bp-cilium" in releases for releases in seen.values())


async def test_fleet_and_scenario_are_a_usage_error():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovwatch", "sim", "--fleet", "3", "--scenario", "tiny",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env(), cwd=ROOT,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2
    assert err.decode().splitlines()[-1] == (
        "sovwatch sim: error: --fleet plays its own mix of scenarios: leave out --scenario"
    )


async def test_unknown_scenario_is_a_usage_error():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovwatch", "sim", "--scenario", "nope",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env(), cwd=ROOT,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2
    assert "no scenario named 'nope'" in err.decode()
    assert "Traceback" not in err.decode()


WATCH_LIST = (
    "/api/v1/pods?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
    "&allowWatchBookmarks=true&timeoutSeconds=1"
)
"""A streamed list of every pod, as sovwatch (and client-go's WatchListClient) asks for one."""


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
async def test_served_as_an_older_server_without_a_serialization_cache(tmp_path: Path):
    """`--no-watch-list` refuses streamed lists as kube-apiserver without its WatchList gate
    does; `--no-serialization-cache` still serves every list; sovwatch falls back to pages."""
    kubeconfig = tmp_path / "sim.yaml"
    async with _sim(
        "--scenario", "tiny", "--speed", "30", "--write-kubeconfig", str(kubeconfig),
        "--no-watch-list", "--no-serialization-cache",
    ) as lines:  # fmt: skip
        assert lines[0].endswith(
            "(scenario tiny, speed 30x, no streamed lists (422, as an older server), "
            "no serialization cache)"
        ), lines[0]
        code, out, err = await _kubectl(kubeconfig, tmp_path / "cache", "get", "--raw", WATCH_LIST)
        assert code == 1, out
        assert "sendInitialEvents is forbidden for watch unless the WatchList feature gate" in err
        # every object encoded for this request
        assert await _releases(kubeconfig, tmp_path / "cache") == TINY
        once = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sovwatch", "--kubeconfig", str(kubeconfig), "--once",
            "-o", "json", "-vv",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env(), cwd=ROOT,
        )  # fmt: skip
        out, err = await asyncio.wait_for(once.communicate(), 60)
        assert once.returncode == 0, err.decode()[-2000:]
        assert "streamed list refused (422 Invalid" in err.decode(), err.decode()[-2000:]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
async def test_streamed_lists_are_served_by_default(tmp_path: Path):
    kubeconfig = tmp_path / "sim.yaml"
    async with _sim(
        "--scenario", "tiny", "--speed", "30", "--write-kubeconfig", str(kubeconfig)
    ) as lines:
        assert lines[0].endswith("(scenario tiny, speed 30x)"), lines[0]
        code, out, err = await _kubectl(kubeconfig, tmp_path / "cache", "get", "--raw", WATCH_LIST)
        assert code == 0, err
        assert '"k8s.io/initial-events-end":"true"' in out.replace(" ", "")
