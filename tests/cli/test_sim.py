"""`sovwatch sim` serves a scenario until Ctrl-C, and kubectl can watch it with the kubeconfig it writes."""

from __future__ import annotations

import asyncio
import shutil
import signal
import stat
import sys
from pathlib import Path

import pytest

from tests.cli.cli_helpers import ROOT, env


async def _start_sim(*args: str, lines: int = 2) -> tuple[asyncio.subprocess.Process, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovwatch", "sim", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env(), cwd=ROOT,
    )  # fmt: skip
    lines = [
        (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip() for _ in range(lines)
    ]
    return proc, lines


async def _stop(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGINT)
    return await asyncio.wait_for(proc.wait(), 10)


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
    proc, lines = await _start_sim(
        "--scenario", "tiny", "--speed", "30", "--write-kubeconfig", str(kubeconfig)
    )
    try:
        assert lines[0].startswith("serving https://127.0.0.1:")
        assert lines[1] == f"kubeconfig {kubeconfig}"
        assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
        for _ in range(40):  # the Flux CRDs appear 30 simulated seconds in, as in a real bootstrap
            code, out, err = await _kubectl(
                kubeconfig, tmp_path / "cache", "get", "hr", "-A", "--no-headers",
                "-o", "custom-columns=NAME:.metadata.name",
            )  # fmt: skip
            if code == 0 and out.strip():
                break
            await asyncio.sleep(0.25)
        assert code == 0, err
        assert sorted(out.split()) == ["bp-cert-manager", "bp-cilium", "bp-loki"]
    finally:
        stopped = await _stop(proc)
    assert stopped == 0


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
async def test_a_fleet_is_one_kubeconfig_with_a_context_per_sovereign(tmp_path: Path):
    kubeconfig = tmp_path / "fleet.yaml"
    proc, lines = await _start_sim(
        "--fleet", "4", "--speed", "30", "--write-kubeconfig", str(kubeconfig), lines=5
    )
    try:
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
        seen = {}
        for context in served:
            for _ in range(40):  # the Flux CRDs appear 30 simulated seconds in at the latest
                code, out, err = await _kubectl(
                    kubeconfig, tmp_path / "cache", "--context", context, "get", "hr", "-A",
                    "--no-headers", "-o", "custom-columns=NAME:.metadata.name",
                )  # fmt: skip
                if code == 0 and out.strip():
                    break
                await asyncio.sleep(0.25)
            assert code == 0, err
            seen[context] = set(out.split())
        assert "bp-loki" in seen["sov-par1"]  # stuck: loki's Multi-Attach
        assert all("bp-cilium" in releases for releases in seen.values())
    finally:
        stopped = await _stop(proc)
    assert stopped == 0


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
