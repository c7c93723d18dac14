"""`pods/log` as the apiserver and kubelet serve it, over HTTP and through real `kubectl logs`.

The logs come from a scenario played on the emulator's own store: a StatefulSet pod with an init
container, a crash-looping `loki` that writes two lines per run and a quiet `sidecar`.
"""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest
import yaml

from sovsim.scenario import ScenarioRunner
from sovsim.scenario_load import parse_scenario
from sovsim.server import Emulator

from .test_kubectl import kubectl

START = 1_790_000_000.0
LOKI_LINES = [
    'level=info ts={time} caller=main.go:108 msg="Starting Loki" version="(version=3.1.1)"',
    'level=error ts={time} caller=log.go:216 msg="error running loki" '
    'err="mkdir /var/loki/chunks: permission denied"',
]
SCENARIO = f"""
name: logs
duration: 30m
cluster: {{fluxCrdsAt: 0s, secrets: [flux-system/ghcr-pull]}}
defaults: {{repository: {{secretRef: ghcr-pull}}}}
releases:
  - name: bp-loki
    targetNamespace: loki
    releaseName: loki
    workloads:
      - kind: StatefulSet
        name: loki
        initContainers: [{{name: init-chown, readyAfter: 2s, logs: ["chown -R 10001 /var/loki"]}}]
        containers:
          - name: loki
            crashLoop: {{runFor: 20s}}
            logs:
              every: 10s
              lines: {yaml.safe_dump(LOKI_LINES, default_flow_style=True, width=1000).strip()}
          - name: sidecar
            logs: {{lines: [one, two, three], every: 1s}}
"""


def loki_status(runner: ScenarioRunner, name: str = "loki") -> dict | None:
    pod = runner.sim.store.peek("pods", "loki", "loki-0")
    for status in (pod or {}).get("status", {}).get("containerStatuses", []):
        if status["name"] == name:
            return status
    return None


def play_until(runner: ScenarioRunner, done, limit: float = 3600.0) -> None:
    """Step the simulation one second at a time until `done()` holds."""
    while not done():
        assert runner.sim_time < limit, "the scenario never got there"
        runner.run_until(runner.sim_time + 1.0)


def crashed_twice(runner: ScenarioRunner) -> bool:
    status = loki_status(runner)
    return bool(status and status["restartCount"] >= 2 and "running" in status["state"])


@pytest.fixture
def runner(emulator: Emulator) -> ScenarioRunner:
    return ScenarioRunner(emulator.store, parse_scenario(yaml.safe_load(SCENARIO)), start=START)


@pytest.fixture
def tls_runner(tls_emulator: Emulator) -> ScenarioRunner:
    return ScenarioRunner(tls_emulator.store, parse_scenario(yaml.safe_load(SCENARIO)), start=START)


LOG = "/api/v1/namespaces/loki/pods/loki-0/log"


async def get(api, params: dict) -> tuple[int, str]:
    async with api.get(LOG, params=params) as response:
        return response.status, await response.text()


async def status_message(api, params: dict) -> tuple[int, str, str]:
    async with api.get(LOG, params=params) as response:
        body = await response.json()
        return response.status, body["reason"], body["message"]


async def test_multi_container_pod_needs_a_container_name(api, runner):
    play_until(runner, lambda: loki_status(runner) is not None)
    assert await status_message(api, {}) == (
        400,
        "BadRequest",
        "a container name must be specified for pod loki-0, choose one of: "
        "[init-chown loki sidecar]",
    )
    assert await status_message(api, {"container": "lokii"}) == (
        400,
        "BadRequest",
        "container lokii is not valid for pod loki-0",
    )


async def test_previous_run_and_current_run(api, runner):
    play_until(runner, lambda: crashed_twice(runner))
    runner.run_until(runner.sim_time + 0.5)  # the current run has written its first line
    code, text = await get(api, {"container": "loki", "previous": "true"})
    assert code == 200
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("level=error ts=20")
    assert lines[1].endswith('err="mkdir /var/loki/chunks: permission denied"')
    code, text = await get(api, {"container": "loki"})
    assert code == 200
    assert text.count("\n") == 1
    assert 'msg="Starting Loki"' in text


async def test_no_previous_run_is_a_bad_request(api, runner):
    play_until(runner, lambda: crashed_twice(runner))
    assert await status_message(api, {"container": "sidecar", "previous": "1"}) == (
        400,
        "BadRequest",
        'previous terminated container "sidecar" in pod "loki-0" not found',
    )


async def test_waiting_container_is_a_bad_request(api, runner):
    play_until(runner, lambda: (loki_status(runner) or {}).get("state", {}).get("waiting"))
    reason = loki_status(runner)["state"]["waiting"]["reason"]
    assert await status_message(api, {"container": "loki"}) == (
        400,
        "BadRequest",
        f'container "loki" in pod "loki-0" is waiting to start: {reason}',
    )


async def test_tail_limit_since_and_timestamps(api, runner):
    play_until(runner, lambda: crashed_twice(runner))
    runner.run_until(runner.sim_time + 5)
    params = {"container": "sidecar"}
    assert (await get(api, {**params, "tailLines": "2"}))[1] == "two\nthree\n"
    assert (await get(api, {**params, "tailLines": "0"}))[1] == ""
    assert (await get(api, {**params, "limitBytes": "6"}))[1] == "one\ntw"
    assert (await get(api, {**params, "sinceSeconds": "1"}))[1] == ""
    code, text = await get(api, {**params, "timestamps": "true", "tailLines": "1"})
    stamp, _, line = text.rstrip("\n").partition(" ")
    assert line == "three"
    assert len(stamp) == len("2026-12-06T09:16:46.123456789Z")
    assert stamp.endswith("000Z")
    assert await status_message(api, {**params, "tailLines": "-1"}) == (
        422,
        "Invalid",
        'PodLogOptions "loki-0" is invalid: tailLines: Invalid value: -1: '
        "must be greater than or equal to 0",
    )


async def test_follow_streams_new_lines_until_the_run_ends(api, runner):
    play_until(runner, lambda: crashed_twice(runner))
    async with api.get(LOG, params={"container": "loki", "follow": "true"}) as response:
        assert response.status == 200
        first = await response.content.readline()
        assert b'msg="Starting Loki"' in first
        runner.run_until(runner.sim_time + 30)  # the error line, then the exit
        second = await asyncio.wait_for(response.content.readline(), 10)
        assert b"permission denied" in second
        assert await asyncio.wait_for(response.content.read(), 10) == b""


async def test_forbidden_pod_log(api, runner, emulator):
    play_until(runner, lambda: loki_status(runner) is not None)
    emulator.faults.forbid("pods/log")
    assert await status_message(api, {"container": "loki"}) == (
        403,
        "Forbidden",
        'pods "loki-0" is forbidden: User "sovwatch-sim-admin" cannot get resource "pods/log" '
        'in API group "" in the namespace "loki"',
    )
    async with api.get("/api/v1/namespaces/loki/pods/loki-0") as response:
        assert response.status == 200
    emulator.faults.allow("pods/log")
    async with api.get("/api/v1/namespaces/loki/pods/nope/log") as response:
        assert response.status == 404


needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")


@needs_kubectl
async def test_kubectl_logs_previous_container_and_tail(
    tls_emulator, tls_runner, kubeconfig_path, tmp_path
):
    play_until(tls_runner, lambda: crashed_twice(tls_runner))
    config = kubeconfig_path(tls_emulator)
    code, out = await kubectl(config, tmp_path, "logs", "-n", "loki", "loki-0", "-c", "loki", "-p")
    assert code == 0, out
    assert out.splitlines()[-1].endswith('err="mkdir /var/loki/chunks: permission denied"')
    code, out = await kubectl(
        config, tmp_path, "logs", "-n", "loki", "loki-0", "-c", "sidecar", "--tail", "1"
    )
    assert (code, out) == (0, "three\n")
    code, out = await kubectl(
        config, tmp_path, "logs", "-n", "loki", "loki-0", "-c", "sidecar", "-p"
    )
    assert code == 1
    assert out.strip() == (
        'Error from server (BadRequest): previous terminated container "sidecar" '
        'in pod "loki-0" not found'
    )


@needs_kubectl
async def test_kubectl_logs_follow(tls_emulator, tls_runner, kubeconfig_path, tmp_path):
    play_until(tls_runner, lambda: crashed_twice(tls_runner))
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "--cache-dir",
        str(tmp_path / "kube-cache"),
        "--kubeconfig",
        str(kubeconfig_path(tls_emulator)),
        "logs",
        "-f",
        "-n",
        "loki",
        "loki-0",
        "-c",
        "loki",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert b'msg="Starting Loki"' in first
        tls_runner.run_until(tls_runner.sim_time + 30)
        rest = await asyncio.wait_for(proc.stdout.read(), 20)
        assert rest.endswith(b'err="mkdir /var/loki/chunks: permission denied"\n')
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@needs_kubectl
async def test_kubectl_logs_of_helm_controller_are_its_json_lines(
    tls_emulator, tls_runner, kubeconfig_path, tmp_path
):
    play_until(tls_runner, lambda: crashed_twice(tls_runner))
    code, out = await kubectl(
        kubeconfig_path(tls_emulator),
        tmp_path,
        "logs",
        "-n",
        "flux-system",
        "deploy/helm-controller",
        "--tail",
        "50",
    )
    assert code == 0, out
    records = [json.loads(line) for line in out.splitlines()]
    about_loki = [
        r for r in records if r["HelmRelease"] == {"name": "bp-loki", "namespace": "flux-system"}
    ]
    assert [r["msg"] for r in about_loki][-2:] == [
        "running 'install' action with timeout of 5m0s",
        "release in-sync with desired state",
    ]
    for record in about_loki:
        assert record["level"] == "info"
        assert record["controller"] == "helmrelease"
        assert record["controllerKind"] == "HelmRelease"
        assert (record["namespace"], record["name"]) == ("flux-system", "bp-loki")
        assert len(record["reconcileID"]) == 36
