"""`--report` of a run that never reached its cluster (the start-up check failed, at the start or
behind a kept picture): the report says so, with where it looked and the run's one line, escaped
for HTML and Markdown, instead of an empty rollout."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from markupsafe import escape

from sovsim.scenario import ScenarioRunner, load_scenario
from sovwatch.views.report import render
from tests.cli.cli_helpers import sovwatch
from tests.cli.test_picture_cache import _keep_a_ready_picture, _quit_the_tui_once, _refusing
from tests.fleet.fleet_helpers import fleet_kubeconfig, refused_port
from tests.views.report import chromium
from tests.views.report.test_chromium import PAYLOADS

HOSTILE = "sov<b>x</b>|y"
"""A context name that is markup in both formats."""


def _refused(port: int, context: str, kubeconfig: str) -> str:
    return (
        f"cannot connect to 127.0.0.1:{port}: connection refused (server http://127.0.0.1:{port}, "
        f"context '{context}' in {kubeconfig}): is the API server running and reachable from "
        "here (VPN, firewall, port)?"
    )


def _assert_never_reached(out, context: str, server: str, line: str, code: int = 2) -> None:
    summary = (out / "r.md").read_text()
    lines = summary.splitlines()
    assert lines[0] == f"## sovwatch: never reached the cluster (exit {code})"
    assert lines[2].startswith(
        f"Context {render.markdown_escape(context)} at {render.markdown_escape(server)}; started "
    ), lines[2]
    assert f"**Why:** {render.markdown_escape(line)}" in lines
    assert "ready" not in summary  # no rollout made up from nothing
    page = (out / "r.html").read_text()
    assert "<title>sovwatch report: never reached - " in page
    assert f"<b>Why:</b> {escape(line)}</p>" in page
    assert "<b>x</b>" not in page  # the name is text, never markup
    assert (out / "r.md").stat().st_mode & 0o777 == 0o600


async def test_a_refused_start_reports_that_the_cluster_was_never_reached(tmp_path):
    """Before: no report at all."""
    out = tmp_path / "out"
    out.mkdir()
    with refused_port() as port:
        server = f"http://127.0.0.1:{port}"
        kubeconfig = fleet_kubeconfig(tmp_path / "kc.yaml", {HOSTILE: server})
        began = time.gmtime()
        result = await sovwatch(
            "--kubeconfig", str(kubeconfig), "-o", "plain", "--no-cache",
            "--report", str(out / "r.md"), "--report", str(out / "r.html"),
        )  # fmt: skip
    line = _refused(port, HOSTILE, str(kubeconfig))
    assert result.code == 2, result.err
    assert result.err.splitlines() == [f"sovwatch: {line}"]
    _assert_never_reached(out, HOSTILE, server, line)
    started = (out / "r.md").read_text().splitlines()[2]
    assert f"; started {time.strftime('%Y-%m-%d %H:', began)}" in started  # when it began


async def _picture_kept_then_server_gone(emulator, tmp_path, cache_home) -> tuple[str, Path]:
    """A picture of `tiny` kept by a first watch, then the emulator stopped: (its kubeconfig, an
    empty directory for the reports)."""
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=1).run_until(400)
    kubeconfig = str(emulator.write_kubeconfig(tmp_path / "kubeconfig"))
    await _keep_a_ready_picture(kubeconfig, cache_home)
    await emulator.stop()
    out = tmp_path / "out"
    out.mkdir()
    return kubeconfig, out


async def test_a_kept_picture_refused_headless_reports_never_reached_not_an_empty_rollout(
    emulator, tmp_path, picture_cache_home
):
    """Before: `in-progress (exit 3 with --exit-on-done), 0/0 ready`, every stream connected."""
    kubeconfig, out = await _picture_kept_then_server_gone(emulator, tmp_path, picture_cache_home)
    with _refusing(emulator.port):
        result = await sovwatch(
            "--kubeconfig", kubeconfig, "-o", "json",
            "--report", str(out / "r.md"), "--report", str(out / "r.html"),
        )  # fmt: skip
    line = _refused(emulator.port, "sim", kubeconfig)
    assert result.code == 2, result.err
    assert result.err.splitlines() == [f"sovwatch: {line}"]
    _assert_never_reached(out, "sim", emulator.url, line)


async def test_ctrl_c_before_the_server_ever_answered_reports_never_reached_with_130(
    emulator, tmp_path, picture_cache_home
):
    """The TUI on a kept picture, the server refusing: Ctrl-C once it says it is reconnecting
    (the first try failed). Before: the report of an empty rollout."""
    kubeconfig, out = await _picture_kept_then_server_gone(emulator, tmp_path, picture_cache_home)
    with _refusing(emulator.port):
        code, before, after = _quit_the_tui_once(
            b"reconnecting", "--kubeconfig", kubeconfig,
            "--report", str(out / "r.md"), "--report", str(out / "r.html"), key=b"\x03",
        )  # fmt: skip
    assert "reconnecting" in before, before[-2000:]
    assert code == 130, after
    _assert_never_reached(out, "sim", emulator.url, _refused(emulator.port, "sim", kubeconfig), 130)


@pytest.mark.skipif(
    chromium.executable() is None,
    reason=f"needs Debian's chromium; install it with: {chromium.INSTALL}",
)
async def test_the_never_reached_page_opens_in_chromium_and_runs_nothing(tmp_path):
    """A context named with markup: the page shows it literally, loads and runs nothing."""
    out = tmp_path / "out"
    out.mkdir()
    with refused_port() as port:
        kubeconfig = fleet_kubeconfig(
            tmp_path / "kc.yaml", {PAYLOADS[0]: f"http://127.0.0.1:{port}"}
        )
        result = await sovwatch(
            "--kubeconfig", str(kubeconfig), "-o", "plain", "--no-cache",
            "--report", str(out / "r.html"),
        )  # fmt: skip
    assert result.code == 2, result.err
    async with chromium.open_page(tmp_path / "profile") as page:
        await page.load((out / "r.html").as_uri())
        assert await page.evaluate("typeof window.__pwned") == "undefined"
        assert await page.evaluate("document.getElementsByTagName('img').length") == 0
        text = " ".join((await page.evaluate("document.body.innerText")).split())
        assert text.startswith(
            "sovwatch: never reached the cluster (exit 2) Context " + PAYLOADS[0]
        )
        assert f"Why: cannot connect to 127.0.0.1:{port}: connection refused" in text
        title = await page.evaluate("document.title")
        assert title == f"sovwatch report: never reached - {PAYLOADS[0]}"
        assert page.problems == []
