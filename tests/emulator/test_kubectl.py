"""Real kubectl (v1.32 here) against the emulator: the proof that the API is faithful enough.

Each test uses a fresh `--cache-dir` (kubectl caches discovery per host:port) and a kubeconfig
written by the emulator; the emulator runs on the test's loop, so kubectl runs as an asyncio
subprocess.

kubectl (client-go) sends a bearer token only over TLS (kubernetes/kubectl#744): over plain
HTTP it sends no Authorization header at all, so every kubectl test uses `tls_emulator`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
import yaml

from sovsim.server import Emulator

from .helpers import helmrelease, install_flux_crds, pod

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")

KUBECTL_TIMEOUT = 20.0


def _env(kubeconfig: Path, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path)}


async def kubectl(kubeconfig: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "--cache-dir",
        str(tmp_path / "kube-cache"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=_env(kubeconfig, tmp_path),
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), KUBECTL_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode, out.decode()


def rows(output: str) -> list[list[str]]:
    return [line.split() for line in output.strip().splitlines()]


async def test_get_hr_all_namespaces(tls_emulator: Emulator, kubeconfig_path, tmp_path):
    install_flux_crds(tls_emulator.store)
    tls_emulator.store.put(helmrelease("cert-manager"))
    tls_emulator.store.put(
        helmrelease(
            "kyverno", ready="False", message="dependency 'flux-system/cert-manager' is not ready"
        )
    )
    code, out = await kubectl(kubeconfig_path(tls_emulator), tmp_path, "get", "hr", "-A")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "AGE", "READY", "STATUS"]
    assert rows(out)[1][:2] == ["flux-system", "cert-manager"]
    assert lines[2].split()[:2] == ["flux-system", "kyverno"]
    assert lines[2].split()[3] == "False"
    assert lines[2].endswith("dependency 'flux-system/cert-manager' is not ready")


async def test_get_pods_watch_prints_live_change(tls_emulator: Emulator, kubeconfig_path, tmp_path):
    tls_emulator.store.put(pod("cert-manager-6d9c-x2x"))
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "--cache-dir",
        str(tmp_path / "kube-cache"),
        "get",
        "pods",
        "-A",
        "-w",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=_env(kubeconfig_path(tls_emulator), tmp_path),
    )
    seen: list[str] = []

    async def read_until(text: str) -> None:
        while not any(text in line for line in seen):
            line = await proc.stdout.readline()
            if not line:
                raise AssertionError(f"kubectl exited before printing {text!r}: {seen}")
            seen.append(line.decode())

    try:
        await asyncio.wait_for(read_until("cert-manager-6d9c-x2x"), KUBECTL_TIMEOUT)
        for _ in range(
            100
        ):  # make the change only once kubectl's watch is open, as a user would see it
            if any(r.watch and r.path == "/api/v1/pods" for r in tls_emulator.request_log):
                break
            await asyncio.sleep(0.05)
        tls_emulator.store.put(
            pod("cert-manager-6d9c-x2x", waiting="CrashLoopBackOff", ready=False, restarts=1)
        )
        await asyncio.wait_for(read_until("CrashLoopBackOff"), KUBECTL_TIMEOUT)
    finally:
        proc.kill()
        await proc.wait()
    assert seen[0].split()[:3] == ["NAMESPACE", "NAME", "READY"]
    live = next(line for line in seen if "CrashLoopBackOff" in line).split()
    assert live[:4] == ["cert-manager", "cert-manager-6d9c-x2x", "0/1", "CrashLoopBackOff"]
    watch = next(r for r in tls_emulator.request_log if r.watch and r.path == "/api/v1/pods")
    assert watch.query["resourceVersion"] != "0", "kubectl resumes from the list's resourceVersion"


async def test_get_volumeattachments(tls_emulator: Emulator, kubeconfig_path, tmp_path):
    tls_emulator.store.put(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "VolumeAttachment",
            "metadata": {"name": "csi-5b2e0c"},
            "spec": {
                "attacher": "driver.longhorn.io",
                "nodeName": "sov-node-2",
                "source": {"persistentVolumeName": "pvc-3f1c"},
            },
            "status": {"attached": True},
        }
    )
    code, out = await kubectl(kubeconfig_path(tls_emulator), tmp_path, "get", "volumeattachments")
    assert code == 0, out
    assert rows(out)[0] == ["NAME", "ATTACHER", "PV", "NODE", "ATTACHED", "AGE"]
    assert rows(out)[1][:5] == [
        "csi-5b2e0c",
        "driver.longhorn.io",
        "pvc-3f1c",
        "sov-node-2",
        "true",
    ]


async def test_get_pods_over_tls_with_client_certificate(
    tls_emulator: Emulator, kubeconfig_path, tmp_path
):
    tls_emulator.store.put(
        pod("vault-0", "vault", waiting="ContainerCreating", ready=False, phase="Pending")
    )
    path = kubeconfig_path(tls_emulator, auth="cert", namespace="vault")
    code, out = await kubectl(path, tmp_path, "get", "pods")
    assert code == 0, out
    assert rows(out)[1][:3] == ["vault-0", "0/1", "ContainerCreating"]
    assert not any(r.status == 401 for r in tls_emulator.request_log)


async def test_wrong_token_is_unauthorized(tls_emulator: Emulator, kubeconfig_path, tmp_path):
    """Both forms a real 1.32 cluster produces: with discovery cached, the 401 Status of the list
    is decoded ("Unauthorized"); with a cold cache, discovery's raw 401 gives client-go's generic
    text. Either way kubectl says the user must log in."""
    good = kubeconfig_path(tls_emulator)
    bad = kubeconfig_path(tls_emulator)
    doc = yaml.safe_load(bad.read_text())
    doc["users"][0]["user"]["token"] = "not-the-token"
    bad.write_text(yaml.safe_dump(doc))

    code, out = await kubectl(bad, tmp_path, "get", "pods")
    assert code != 0
    assert out.strip().endswith(
        "error: You must be logged in to the server "
        "(the server has asked for the client to provide credentials)"
    )
    code, out = await kubectl(good, tmp_path, "get", "pods")  # warms the discovery cache
    assert code == 0, out
    code, out = await kubectl(bad, tmp_path, "get", "pods")
    assert code != 0
    assert out.strip() == "error: You must be logged in to the server (Unauthorized)"


async def test_the_request_log_names_the_client(tls_emulator: Emulator, kubeconfig_path, tmp_path):
    """Benchmarks that share one emulator among clients tell their requests apart by agent."""
    install_flux_crds(tls_emulator.store)
    code, out = await kubectl(kubeconfig_path(tls_emulator), tmp_path, "get", "hr", "-A")
    assert code == 0, out
    agents = {r.agent for r in tls_emulator.request_log}
    assert agents
    assert all(agent.startswith("kubectl") for agent in agents), agents
