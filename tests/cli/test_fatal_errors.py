"""Fatal start-up problems: one line on stderr naming what is wrong, exit code 2, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import yaml
from cli_helpers import sovwatch


def _assert_one_line(result, *fragments: str) -> None:
    assert result.code == 2, result
    assert result.out == ""
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for fragment in fragments:
        assert fragment in lines[0]


async def test_missing_kubeconfig(tmp_path: Path):
    result = await sovwatch("--kubeconfig", str(tmp_path / "nope.yaml"), "-o", "plain", timeout=15)
    _assert_one_line(result, "nope.yaml", "does not exist")


async def test_no_kubeconfig_at_all(tmp_path: Path):
    result = await sovwatch("-o", "plain", timeout=15, HOME=str(tmp_path))
    _assert_one_line(result, "no kubeconfig", "--kubeconfig")


async def test_malformed_kubeconfig(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("apiVersion: v1\nclusters: [\n")
    result = await sovwatch("--kubeconfig", str(path), "-o", "json", timeout=15)
    _assert_one_line(result, "bad.yaml")


async def test_unknown_context(emulator, kubeconfig_path):
    path = kubeconfig_path(emulator)
    result = await sovwatch(
        "--kubeconfig", str(path), "--context", "sov-prod", "-o", "plain", timeout=15
    )
    _assert_one_line(result, "sov-prod")


async def test_unreachable_server(emulator, kubeconfig_path):
    path = kubeconfig_path(emulator)
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    doc = yaml.safe_load(path.read_text())
    doc["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{port}"
    path.write_text(yaml.safe_dump(doc))
    result = await sovwatch("--kubeconfig", str(path), "--once", "-o", "plain", timeout=20)
    _assert_one_line(result, f"127.0.0.1:{port}")


async def test_rejected_token_is_401(emulator, kubeconfig_path):
    path = kubeconfig_path(emulator)
    doc = yaml.safe_load(path.read_text())
    doc["users"][0]["user"]["token"] = "not-the-token"
    path.write_text(yaml.safe_dump(doc))
    result = await sovwatch("--kubeconfig", str(path), "--once", "-o", "plain", timeout=20)
    _assert_one_line(result, "rejected the credentials")
    assert "not-the-token" not in result.err
