"""`--report` at the end of a demo run and `sovwatch report` of its recording: the same bytes every
time, a Markdown summary that names every failure in one screen, an HTML page that needs nothing
from outside, and a report even when the run is interrupted."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import re
import signal
import struct
import subprocess
import sys
import termios
from html.parser import HTMLParser
from pathlib import Path

from sovwatch.views.report.render import markdown_escape
from tests.cli.cli_helpers import ROOT, env, spawn
from tests.views.report.conftest import StuckRun, run_sovwatch
from tests.views.tui.test_signals import read_until


def _final_snapshot(recording: Path) -> dict:
    done = run_sovwatch("replay", str(recording), "--speed", "instant", "-o", "json")
    snapshots = [
        json.loads(line) for line in done.stdout.splitlines() if '"type":"snapshot"' in line
    ]
    return snapshots[-1]["snapshot"]


NOTE = "The exit code is the one <code>--exit-on-done</code> gives for this verdict"


def test_a_run_reports_at_exit_what_report_of_its_recording_says_byte_for_byte(
    stuck_run: StuckRun, tmp_path: Path
):
    """Same recording, same bytes; the run's own report differs only in knowing its exit code."""
    assert stuck_run.code == 1
    for suffix, written in ((".html", stuck_run.html), (".md", stuck_run.markdown)):
        first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        for out in (first, second):
            done = run_sovwatch("report", str(stuck_run.recording), "-o", str(out))
            assert (done.returncode, done.stdout, done.stderr) == (
                0,
                "",
                f"sovwatch: wrote {out}\n",
            )
        assert first.read_bytes() == second.read_bytes()
        assert written.stat().st_mode & 0o777 == 0o600
        own, replayed = written.read_text().splitlines(), first.read_text().splitlines()
        if suffix == ".html":
            assert [line for line in replayed if NOTE not in line] == own
            assert len(replayed) == len(own) + 1
        else:
            assert replayed[1:] == own[1:]
            assert "(exit 1), " in own[0]
            assert "(exit 1 with --exit-on-done), " in replayed[0]


def test_report_without_o_writes_beside_the_recording(stuck_run: StuckRun, tmp_path: Path):
    recording = tmp_path / "night-run.ndjson"
    recording.write_bytes(stuck_run.recording.read_bytes())
    done = run_sovwatch("report", str(recording))
    assert done.returncode == 0, done.stderr
    named = tmp_path / "named.html"
    assert run_sovwatch("report", str(recording), "-o", str(named)).returncode == 0
    assert (tmp_path / "night-run.html").read_bytes() == named.read_bytes()


def test_markdown_summary_names_every_failure_first_within_60_lines(stuck_run: StuckRun):
    text = stuck_run.markdown.read_text()
    lines = text.splitlines()
    assert len(lines) <= 60
    final = _final_snapshot(stuck_run.recording)
    not_ready = [r for r in final["releases"] if r["state"] != "ready"]
    assert len(not_ready) >= 5
    assert lines[0] == (
        f"## sovwatch: failed (exit 1), {final['progress']['ready']}/{final['progress']['total']} ready"
    )
    rows = {
        line.split(" | ")[0].removeprefix("| "): line for line in lines if line.startswith("| bp-")
    }
    for release in not_ready:
        row = rows[release["name"]]
        assert f"| {release['state']} | {release['reason']} |" in row
        blocker = release["rootCause"]["chain"].split(" ← ")[1]
        assert markdown_escape(blocker) in row
    assert text.index("Not ready at the end") < text.index("Slowest releases")


class _Resources(HTMLParser):
    """Every tag, and every attribute that could load something."""

    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.loads: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "xlink:href", "action", "poster", "data"):
                self.loads.append((tag, name, value or ""))


def test_html_needs_nothing_from_outside(stuck_run: StuckRun):
    page = stuck_run.html.read_text()
    found = _Resources()
    found.feed(page)
    assert found.loads == []
    assert not found.tags & {"script", "link", "img", "iframe", "object", "embed", "base"}
    assert "svg" in found.tags
    assert "style" in found.tags
    style = page[page.index("<style>") : page.index("</style>")]
    assert not re.search(r"url\(|@import", style)  # (cluster text may name URLs: as text)
    assert "default-src 'none'" in page
    assert "@media screen and (prefers-color-scheme: dark)" in page
    assert "@media print" in page


async def test_an_interrupted_run_still_writes_its_report(tmp_path: Path):
    report = tmp_path / "interrupted.md"
    proc = await spawn(
        "demo", "--scenario", "stuck", "-o", "plain", "--speed", "300", "--report", str(report)
    )  # fmt: skip
    assert proc.stdout is not None
    async with asyncio.timeout(90):
        while b"progress " not in await proc.stdout.readline():  # the rollout is under way
            pass
        proc.send_signal(signal.SIGINT)
        out, err = await proc.communicate()
    assert proc.returncode == 130, err
    text = report.read_text()
    assert "(exit 130)" in text.splitlines()[0]
    assert err == b""


def test_bad_report_arguments_say_what_to_do(tmp_path: Path):
    cases = [
        (("demo", "--report", "out.txt"), "invalid report file 'out.txt': end its name in .html"),
        (("report", str(tmp_path / "nope.ndjson")), "nope.ndjson"),
        (
            ("demo", "--report", str(tmp_path / "missing-dir" / "r.html")),
            "cannot write the report",
        ),
    ]
    for args, message in cases:
        done = run_sovwatch(*args, timeout=60)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr.splitlines()[-1], done.stderr
        assert "Traceback" not in done.stderr


def test_the_tui_ended_by_sigterm_still_writes_its_report(tmp_path: Path):
    """An SSH drop or a kill ends the TUI with 130; the report is written on the way out."""
    report = tmp_path / "tui.md"
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sovwatch", "demo", "--scenario", "stuck", "--report", str(report)],
        stdin=slave, stdout=slave, stderr=slave, env={**env(), "TERM": "xterm"}, cwd=ROOT,
        start_new_session=True, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    try:
        screen = read_until(master, b"Blocked by", 30)
        assert b"Blocked by" in screen, screen[-500:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    first = report.read_text().splitlines()[0]
    assert first.startswith("## sovwatch: in-progress (exit 130), ")
