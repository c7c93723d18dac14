"""The release artifacts work on a clean target (issue 18): built by the README's one build command,
copied alone into an empty directory and run with an empty environment.

The one-file executable runs with `PATH=/nonexistent` (no Python, no tools at all) and no
site-packages; the zipapp runs under a fresh `python3 -I` (the base interpreter, not this test's
venv) with a bare system PATH. HOME and the pex cache are in the test's tmp dir. Each must print
its version, its help, play the demo to a ready outcome (exit 0), say in one line that a kubeconfig
is broken (exit 2), and serve the emulator over TLS (generated CA: cryptography, ssl) to itself.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sovwatch import __version__

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 20 * 60
RUN_TIMEOUT = 120


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every artifact, built once by the build command into a tmp dir (not the checkout's dist/)."""
    tmp = tmp_path_factory.mktemp("release")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_release.py"),
            f"--dist={tmp / 'dist'}",
            f"--work={tmp / 'work'}",
        ],
        check=True,
        timeout=BUILD_TIMEOUT,
        stdout=subprocess.DEVNULL,
    )
    return tmp / "dist"


def _target(dist: Path, tmp_path: Path, kind: str) -> tuple[list[str], dict[str, str]]:
    """The artifact copied alone into an empty directory: its command line and environment."""
    target, home = tmp_path / "target", tmp_path / "home"
    target.mkdir()
    home.mkdir()
    if kind == "executable":
        shutil.copy2(dist / "sovwatch", target)
        return [str(target / "sovwatch")], {"PATH": "/nonexistent", "HOME": str(home)}
    shutil.copy2(dist / "sovwatch.pyz", target)
    python = str(Path(sys.base_prefix) / "bin" / "python3")
    return [python, "-I", str(target / "sovwatch.pyz")], {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
    }


def _run(
    command: list[str], env: dict[str, str], *args: str, cwd: Path
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*command, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("kind", ["executable", "zipapp"])
def test_artifact_runs_alone(dist: Path, tmp_path: Path, kind: str) -> None:
    command, env = _target(dist, tmp_path, kind)
    cwd = tmp_path / "target"

    version = _run(command, env, "--version", cwd=cwd)
    assert version.returncode == 0, version.stderr
    assert version.stderr == ""
    name, python, built = version.stdout.splitlines()
    assert name == f"sovwatch {__version__}"
    assert python.startswith("Python 3.")
    assert "CPython" in python
    assert ("bundled" in python) == (kind == "executable")
    assert built.startswith(f"build: {kind} (")

    help_ = _run(command, env, "--help", cwd=cwd)
    assert help_.returncode == 0, help_.stderr
    assert help_.stdout.startswith("usage: sovwatch [flags]")

    demo = _run(command, env, "demo", "-o", "plain", "--speed", "200", "--exit-on-done", cwd=cwd)
    assert demo.returncode == 0, demo.stderr
    assert "outcome ready (exit 0): 38/38 ready" in demo.stdout.splitlines()[-1]

    (cwd / "broken.yaml").write_text("clusters: [\n")
    broken = _run(command, env, "--kubeconfig", "broken.yaml", cwd=cwd)
    assert broken.returncode == 2
    assert broken.stdout == ""
    assert len(broken.stderr.splitlines()) == 1, broken.stderr
    assert broken.stderr.startswith("sovwatch: kubeconfig broken.yaml is not valid YAML")

    (cwd / "oidc.yaml").write_text(json.dumps(_expired_oidc_kubeconfig()))
    oidc = _run(command, env, "--kubeconfig", "oidc.yaml", "--once", cwd=cwd)
    assert oidc.returncode == 2
    assert len(oidc.stderr.splitlines()) == 1, oidc.stderr
    assert "refreshing it needs the kubernetes package" in oidc.stderr


def _expired_oidc_kubeconfig() -> dict:
    """An oidc auth-provider user whose id-token expired a minute ago: the refresh grant is what
    the bundles leave out (the issuer is never contacted)."""
    claims = {"iss": "https://127.0.0.1:9/dex", "exp": int(time.time()) - 60}
    encoded = [
        base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
        for part in ({"alg": "RS256", "typ": "JWT"}, claims)
    ]
    config = {
        "client-id": "sovwatch",
        "idp-issuer-url": claims["iss"],
        "id-token": f"{encoded[0]}.{encoded[1]}.c2lnbmF0dXJl",
        "refresh-token": "refresh-me",
    }
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sov", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "sov", "user": {"auth-provider": {"name": "oidc", "config": config}}}],
        "contexts": [{"name": "sov", "context": {"cluster": "sov", "user": "sov"}}],
        "current-context": "sov",
    }


@pytest.mark.parametrize("kind", ["executable", "zipapp"])
def test_artifact_serves_tls_to_itself(dist: Path, tmp_path: Path, kind: str) -> None:
    """`sim --tls` generates a CA and serves HTTPS; the same artifact watches it with the written
    kubeconfig (the generated CA verified, a bearer token) and prints one snapshot."""
    command, env = _target(dist, tmp_path, kind)
    cwd = tmp_path / "target"
    sim = subprocess.Popen(
        [*command, "sim", "--tls", "--speed", "50", "--write-kubeconfig", "sim.yaml"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        serving = sim.stdout.readline()
        if not serving.startswith("serving https://127.0.0.1:"):
            sim.terminate()
            pytest.fail(f"sim did not serve: {serving}{sim.communicate(timeout=RUN_TIMEOUT)}")
        once = _run(command, env, "--kubeconfig", "sim.yaml", "--once", "-o", "json", cwd=cwd)
        assert once.returncode == 0, once.stderr
        snapshot = json.loads(once.stdout)
        assert snapshot["cluster"]["server"] == serving.split()[1]
        assert {stream["state"] for stream in snapshot["streams"]} <= {"live", "absent"}
        assert any(stream["state"] == "live" for stream in snapshot["streams"])
    finally:
        sim.terminate()
        sim.wait(timeout=RUN_TIMEOUT)
