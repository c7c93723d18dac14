"""`--report` of a fleet, against real emulators over HTTP: a kubeconfig with three contexts (one
ready, one stuck, one pointing at a closed port). The HTML report is an index linking to each
watched cluster's own report beside it; the Markdown one is one document, the fleet's table then
each cluster's summary; `sovwatch report` and `replay --report` of the fleet's recording give the
same; the index opens in a real headless Chromium and its links lead to the clusters' reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from sovsim.server import Emulator
from sovwatch.cli import parse
from sovwatch.fleet_launch import write_fleet_reports
from sovwatch.sources.recording import Recorder, TroubleNote
from sovwatch.views.report import render
from tests.cli.cli_helpers import Result, sovwatch
from tests.fleet.fleet_helpers import ready_stuck_gone, refused_line
from tests.views.report import chromium
from tests.views.report.recordings import T0_EPOCH, rollout_items
from tests.views.report.test_chromium import PAYLOADS


@dataclass
class FleetRun:
    result: Result
    out: Path
    recording: Path
    refused: str
    """The unreachable cluster's trouble."""


async def _fleet_run(tmp_path: Path, port: int) -> FleetRun:
    out = tmp_path / "out"
    out.mkdir()
    recording = tmp_path / "fleet.ndjson"
    async with Emulator() as ready, Emulator() as stuck:
        path = ready_stuck_gone(tmp_path / "fleet.yaml", ready, stuck, port)
        result = await sovwatch(
            "--all-contexts", "-o", "json", "--exit-on-done", "--timeout", "3s", "--no-logs",
            "--record", str(recording),
            "--report", str(out / "fleet.html"), "--report", str(out / "fleet.md"),
            KUBECONFIG=str(path),
        )  # fmt: skip
    return FleetRun(result, out, recording, refused_line(port, path))


async def test_a_fleet_report_indexes_every_cluster_and_its_own_report(tmp_path, refused):
    run = await _fleet_run(tmp_path, refused)
    assert run.result.code == 1, run.result.err  # the stuck cluster failed: the worst
    assert sorted(p.name for p in run.out.iterdir()) == [
        "fleet-sov-ready.html",  # a report per watched cluster, beside the index
        "fleet-sov-stuck.html",
        "fleet.html",
        "fleet.md",
    ]
    assert (run.out / "fleet.html").stat().st_mode & 0o777 == 0o600
    stuck_page = (run.out / "fleet-sov-stuck.html").read_text()
    assert "<title>sovwatch report: failed - sov-stuck</title>" in stuck_page

    summary = (run.out / "fleet.md").read_text()
    lines = summary.splitlines()
    assert lines[0] == ("## sovwatch fleet: exit 1, 3 Sovereigns: 1 ready, 1 failed, 1 in trouble")
    table = [line for line in lines if line.startswith("| sov-")]
    assert [row.split(" | ")[:3] for row in table] == [  # failing first, as on the fleet screen
        ["| sov-stuck", "failed", "1"],
        ["| sov-gone", "trouble", "2"],
        ["| sov-ready", "ready", "0"],
    ]
    assert table[1].endswith(f"| - | {render.markdown_escape(run.refused)} |")
    assert "## sov-gone: in trouble (exit 2), never watched" in lines
    sections = [line for line in lines if line.startswith("## sovwatch: ")]
    assert [s.split(",")[0] for s in sections] == [
        "## sovwatch: failed (exit 1 with --exit-on-done)",
        "## sovwatch: ready (exit 0 with --exit-on-done)",
    ]
    assert "Context sov-stuck at http://127.0.0.1:" in summary

    # the same reports from the recording, afterwards: `report`, and `replay --report`
    again = await sovwatch("report", str(run.recording), "-o", str(tmp_path / "again.md"))
    assert again.code == 0, again.err
    # the run's exit code is not in the recording: what --exit-on-done gives, said so
    assert (tmp_path / "again.md").read_text() == summary.replace(
        "exit 1, 3 Sovereigns", "exit 1 with --exit-on-done, 3 Sovereigns", 1
    )
    replayed = await sovwatch(
        "replay", str(run.recording), "--speed", "instant", "-o", "json", "--exit-on-done",
        "--report", str(tmp_path / "replayed.md"),
    )  # fmt: skip
    assert replayed.code == 1, replayed.err
    assert (tmp_path / "replayed.md").read_text() == summary


@pytest.mark.skipif(
    chromium.executable() is None,
    reason=f"needs Debian's chromium; install it with: {chromium.INSTALL}",
)
async def test_the_fleet_index_opens_in_chromium_and_links_to_each_cluster(tmp_path, refused):
    run = await _fleet_run(tmp_path, refused)
    assert run.result.code == 1, run.result.err
    async with chromium.open_page(tmp_path / "profile") as page:
        await page.load((run.out / "fleet.html").as_uri())
        text = " ".join((await page.evaluate("document.body.innerText")).split())
        assert "3 Sovereigns: 1 ready, 1 failed, 1 in trouble" in text
        assert " ".join(run.refused.split()) in text
        rows = await page.evaluate(
            "Array.from(document.querySelectorAll('tr.cluster td:first-child'))"
            ".map(td => td.innerText.split('\\n')[0])"
        )
        assert rows == ["sov-stuck", "sov-gone", "sov-ready"]
        links = await page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.href)")
        assert links == [
            (run.out / "fleet-sov-stuck.html").as_uri(),
            (run.out / "fleet-sov-ready.html").as_uri(),
        ]
        await page.load(links[0])
        title = await page.evaluate("document.title")
        assert title == "sovwatch report: failed - sov-stuck"
        assert page.problems == []


@pytest.mark.skipif(
    chromium.executable() is None,
    reason=f"needs Debian's chromium; install it with: {chromium.INSTALL}",
)
async def test_hostile_cluster_names_and_troubles_run_nothing_in_the_fleet_index(tmp_path):
    """Cluster names, troubles and cluster text are anyone's: shown literally, never markup; a
    cluster's page name is made of safe characters only."""
    recording = tmp_path / "hostile.ndjson"
    watched, gone = PAYLOADS[0], PAYLOADS[1]
    with Recorder(recording, context="", server="", fleet=True, started=T0_EPOCH) as rec:
        rec.note(TroubleNote(gone, T0_EPOCH, server="https://gone.example", trouble=PAYLOADS[2]))
        for item in rollout_items(" ".join(PAYLOADS)):
            rec.write(item, cluster=watched)
    invocation = parse(
        ["report", str(recording), "-o", str(tmp_path / "out" / "fleet.html")],
        stdout_is_tty=False,
        environ={},
    )
    (tmp_path / "out").mkdir()
    await write_fleet_reports(invocation, recording)
    pages = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert pages == ["fleet-img_src_x_onerror_window.__pwned_1.html", "fleet.html"]
    async with chromium.open_page(tmp_path / "profile") as page:
        await page.load((tmp_path / "out" / "fleet.html").as_uri())
        assert await page.evaluate("typeof window.__pwned") == "undefined"
        counts = await page.evaluate(
            "JSON.stringify(['script', 'img', 'iframe', 'svg'].map("
            "t => document.getElementsByTagName(t).length))"
        )
        assert json.loads(counts) == [0, 0, 0, 0]
        text = await page.evaluate("document.body.innerText")
        for payload in PAYLOADS:
            assert payload in text  # a name, a trouble, the worst root cause: literally
        await page.load(await page.evaluate("document.querySelector('a').href"))
        assert await page.evaluate("typeof window.__pwned") == "undefined"
        assert await page.evaluate("document.title") == f"sovwatch report: failed - {watched}"
        assert page.problems == []
