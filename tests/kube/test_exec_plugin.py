"""Exec credential plugins run without a terminal, and are told what kubectl tells them.

The plugin (fake_exec_plugin.py in `report` mode) writes down what it was given: what it could read
from stdin, whether stdin is /dev/null, whether it has a session (and so a terminal) of its own, its
KUBERNETES_EXEC_INFO and environment. Each test then authenticates to the emulator with its token.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovsim.server import Emulator
from sovwatch.kube import errors, exec_plugin
from tests.kube.kube_helpers import (
    ca_cluster,
    exec_user,
    kubeconfig_doc,
    open_client,
    shell_exec_user,
    survivors,
)
from tests.timings import FAST


@pytest.fixture
def typed_stdin() -> Iterator[int]:
    """sovwatch's stdin is a pipe holding keystrokes meant for the TUI; yields its read end."""
    read_end, write_end = os.pipe()
    os.write(write_end, b"q\n")
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        yield read_end
    finally:
        os.dup2(saved, 0)
        for fd in (saved, read_end, write_end):
            os.close(fd)


def _report(state: Path) -> dict:
    return json.loads((state / "report.json").read_text())


async def _authenticate(emu: Emulator, write, user: dict, *, cluster=None, environ=None) -> None:
    emu.tokens.add("exec-token-1")
    doc = kubeconfig_doc(emu.url, user, cluster=cluster)
    async with await open_client(write(doc), environ=environ) as client:
        assert (await client.get_json("/api/v1/pods"))["kind"] == "PodList"


@pytest.mark.parametrize(
    "mode", ["Never", "IfAvailable", None], ids=["never", "if-available", "unset"]
)
async def test_plugin_gets_no_terminal_and_no_keystrokes(
    emulator: Emulator, write, tmp_path: Path, typed_stdin: int, mode
):
    user = exec_user(tmp_path, "report", interactiveMode=mode)
    await _authenticate(emulator, write, user)
    report = _report(tmp_path)
    assert report["stdin"] == "", "the plugin must read EOF, not the operator's keystrokes"
    assert report["stdin_is_devnull"]
    assert report["session_leader"], "a session of its own: no controlling terminal to prompt on"
    assert report["exec_info"] == {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }
    os.set_blocking(typed_stdin, False)
    assert os.read(typed_stdin, 16) == b"q\n", "the keystrokes are still there for the TUI"


async def test_provide_cluster_info_passes_the_cluster_as_kubectl_does(
    tls_emulator: Emulator, write, tmp_path: Path
):
    cluster = {
        **ca_cluster(tls_emulator),
        "tls-server-name": "localhost",
        "extensions": [
            {
                "name": "client.authentication.k8s.io/exec",
                "extension": {"audience": "sovereign-fra1", "region": "fra1"},
            },
            {"name": "sovereign.example/other", "extension": {"ignored": True}},
        ],
    }
    user = exec_user(tmp_path, "report", api_version="v1beta1", provideClusterInfo=True)
    await _authenticate(tls_emulator, write, user, cluster=cluster)
    spec = _report(tmp_path)["exec_info"]["spec"]
    assert spec["interactive"] is False
    info = spec["cluster"]
    assert info["server"] == tls_emulator.url
    assert info["tls-server-name"] == "localhost"
    # client-go always hands the CA over as data, even when the kubeconfig names a file.
    assert base64.b64decode(info["certificate-authority-data"]) == tls_emulator.ca_pem
    assert info["config"] == {"audience": "sovereign-fra1", "region": "fra1"}


async def test_plugin_inherits_the_given_environment_plus_its_env_entries(
    emulator: Emulator, write, tmp_path: Path
):
    user = exec_user(tmp_path, "report", env=[{"name": "SOVEREIGN_REGION", "value": "fra1"}])
    environ = {"PATH": os.environ.get("PATH", ""), "SOVWATCH_TEST_ENV": "from-the-cli"}
    await _authenticate(emulator, write, user, environ=environ)
    assert _report(tmp_path)["env"] == {
        "SOVEREIGN_REGION": "fra1",
        "SOVWATCH_TEST_ENV": "from-the-cli",
    }


async def test_interactive_always_is_refused_with_advice(emulator: Emulator, write, tmp_path):
    user = exec_user(tmp_path, "token", interactiveMode="Always")
    with pytest.raises(errors.FatalError) as caught:
        await open_client(write(kubeconfig_doc(emulator.url, user)))
    message = str(caught.value)
    assert "\n" not in message
    assert f"exec credential plugin {sys.executable!r}" in message
    assert "interactiveMode: Always" in message
    assert "run the plugin once in a shell" in message
    assert not (tmp_path / "runs").exists(), "the plugin must not even be started"


async def test_a_plugin_that_hangs_is_killed_after_the_timeout(emulator: Emulator, write, tmp_path):
    settings = dataclasses.replace(FAST, exec_timeout=1.0)
    user = exec_user(tmp_path, "hang")
    with pytest.raises(errors.FatalError) as caught:
        await open_client(write(kubeconfig_doc(emulator.url, user)), settings=settings)
    assert "did not finish within 1 s" in str(caught.value)
    assert "run it once in a shell to log in" in str(caught.value)
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_a_plugin_whose_child_holds_the_pipes_is_killed_with_its_group(
    emulator: Emulator, write, tmp_path: Path
):
    """`sleep 1000 &` keeps the plugin's stdout open after the plugin itself exits: without the
    process group kill, sovwatch waited for the pipes past its timeout and left the sleeper."""
    script = f"echo $$ > {tmp_path}/pid; sleep 1000 & echo $! > {tmp_path}/sleeper; exit 0"
    user = shell_exec_user(script)
    settings = dataclasses.replace(FAST, exec_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(errors.FatalError) as caught:
        await open_client(write(kubeconfig_doc(emulator.url, user)), settings=settings)
    took = time.monotonic() - started
    assert "did not finish within 1 s" in str(caught.value)
    assert "holding its output open" in str(caught.value)
    assert took < 1.0 + exec_plugin.REAP_WITHIN, took
    session = int((tmp_path / "pid").read_text())
    sleeper = int((tmp_path / "sleeper").read_text())
    assert os.getsid(0) != session  # the plugin had a session of its own to kill
    assert survivors(session) == [], f"left behind (sleeper {sleeper})"
