"""The files sovwatch writes never follow a symbolic link, are created private, and `--log-file`
works in every output mode.

A link planted where `--record`, `--log-file` or `sim --write-kubeconfig` should write (to a file
the operator owns, or dangling, to make sovwatch create a file elsewhere) is refused with one line
and exit 2; the link's target is left exactly as it was, and a dangling link creates nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sovwatch.outfiles import OutputFileError, check_writable, open_private
from tests.cli.cli_helpers import sovwatch
from tests.trust.trust_helpers import free_port

PRECIOUS = "export PATH=$HOME/bin:$PATH\n"


def _bait(tmp_path: Path, *, dangling: bool) -> tuple[Path, Path]:
    """(a symbolic link, its target): the target holds PRECIOUS at 0644 unless `dangling`."""
    target = tmp_path / "victim" / ".bashrc"
    target.parent.mkdir()
    if not dangling:
        target.write_text(PRECIOUS)
        target.chmod(0o644)
    link = tmp_path / "out"
    link.symlink_to(target)
    return link, target


def _untouched(target: Path, *, dangling: bool) -> None:
    if dangling:
        assert not target.exists(), "a dangling link must not make sovwatch create its target"
    else:
        assert target.read_text() == PRECIOUS
        assert target.stat().st_mode & 0o777 == 0o644


def _refused(result, link: Path, what: str, flag: str) -> None:
    assert result.code == 2, result
    assert result.err == (
        f"sovwatch: cannot write {what} {link}: it is a symbolic link, and sovwatch never writes "
        f"through one; pass {flag} a path in a writable directory\n"
    )


def _kubeconfig(tmp_path: Path) -> str:
    """A kubeconfig for a port nobody listens on: a run that got as far as connecting fails
    differently, so the message proves the file was refused first."""
    path = tmp_path / "kubeconfig"
    server = f"https://127.0.0.1:{free_port()}"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: sov\n"
        f"clusters: [{{name: sov, cluster: {{server: '{server}'}}}}]\n"
        "users: [{name: sov, user: {token: t0k3n-abcdef}}]\n"
        "contexts: [{name: sov, context: {cluster: sov, user: sov}}]\n"
    )
    return str(path)


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
async def test_record_refuses_a_symbolic_link(tmp_path: Path, dangling: bool):
    link, target = _bait(tmp_path, dangling=dangling)
    result = await sovwatch(
        "--kubeconfig", _kubeconfig(tmp_path), "--once", "-o", "plain", "--record", str(link)
    )
    _refused(result, link, "the recording", "--record")
    _untouched(target, dangling=dangling)


@pytest.mark.parametrize("output", ["plain", "json"])
@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
async def test_log_file_refuses_a_symbolic_link(tmp_path: Path, dangling: bool, output: str):
    link, target = _bait(tmp_path, dangling=dangling)
    result = await sovwatch(
        "--kubeconfig", _kubeconfig(tmp_path), "--once", "-o", output, "--log-file", str(link)
    )
    _refused(result, link, "the log file", "--log-file")
    _untouched(target, dangling=dangling)


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
async def test_sim_write_kubeconfig_refuses_a_symbolic_link(tmp_path: Path, dangling: bool):
    link, target = _bait(tmp_path, dangling=dangling)
    result = await sovwatch("sim", "--scenario", "tiny", "--write-kubeconfig", str(link))
    _refused(result, link, "the kubeconfig", "--write-kubeconfig")
    _untouched(target, dangling=dangling)


@pytest.mark.parametrize("output", ["plain", "json"])
async def test_log_file_is_written_in_every_headless_mode(tmp_path: Path, output: str):
    log = tmp_path / "sovwatch.log"
    result = await sovwatch(
        "demo", "--scenario", "tiny", "--speed", "100", "--once", "-o", output, "-vv",
        "--log-file", str(log),
    )  # fmt: skip
    assert result.code == 0, result
    assert " DEBUG " in log.read_text()  # it used to stay empty outside the TUI
    assert log.stat().st_mode & 0o777 == 0o600


def test_existing_regular_files_keep_their_semantics(tmp_path: Path):
    """Truncated and made private (a recording, a kubeconfig), or appended to with its mode kept
    (a log file), as before; a new file is created 0600."""
    path = tmp_path / "file"
    path.write_text("old\n")
    path.chmod(0o644)
    os.close(open_private(path, append=True, what="the log file", flag="--log-file"))
    assert (path.read_text(), path.stat().st_mode & 0o777) == ("old\n", 0o644)
    fd = open_private(path, append=True, what="the log file", flag="--log-file")
    os.write(fd, b"new\n")
    os.close(fd)
    assert path.read_text() == "old\nnew\n"
    os.close(open_private(path, append=False, what="the recording", flag="--record"))
    assert (path.read_text(), path.stat().st_mode & 0o777) == ("", 0o600)
    fresh = tmp_path / "fresh"
    os.close(open_private(fresh, append=False, what="the recording", flag="--record"))
    assert fresh.stat().st_mode & 0o777 == 0o600


def test_the_early_check_leaves_nothing_behind(tmp_path: Path):
    fresh = tmp_path / "r.ndjson"
    check_writable(fresh, what="the recording", flag="--record")
    assert not fresh.exists()
    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OutputFileError, match="it is a symbolic link"):
        check_writable(dangling, what="the recording", flag="--record")
    assert not (tmp_path / "elsewhere").exists()
