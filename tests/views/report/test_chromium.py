"""The HTML report in a real headless Chromium (Debian's `chromium`): the `stuck` demo's report
shows every failing release with its root cause and logs no console error, in light and dark; a
report full of hostile cluster text runs no script and adds no element."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sovwatch.cli import parse
from sovwatch.launch import report_of
from sovwatch.views.report import render
from tests.views.report import chromium
from tests.views.report.conftest import StuckRun, run_sovwatch
from tests.views.report.recordings import write_rollout

pytestmark = pytest.mark.skipif(
    chromium.executable() is None,
    reason=f"needs Debian's chromium; install it with: {chromium.INSTALL}",
)

PAYLOADS = (
    '<img src=x onerror="window.__pwned=1">',
    "</pre></td></table><script>window.__pwned=2</script>",
    '<svg onload="window.__pwned=3"><a href="javascript:window.__pwned=4">x</a></svg>',
)


def _flat(text: str) -> str:
    return " ".join(text.split())


async def test_stuck_report_names_every_failure_and_its_root_cause(
    stuck_run: StuckRun, tmp_path: Path
):
    replayed = run_sovwatch("replay", str(stuck_run.recording), "--speed", "instant", "-o", "json")
    final = [json.loads(line) for line in replayed.stdout.splitlines() if '"snapshot"' in line][-1]
    failing = [r for r in final["snapshot"]["releases"] if r["state"] != "ready"]
    assert len(failing) >= 5
    async with chromium.open_page(tmp_path / "profile") as page:
        backgrounds = []
        for dark in (False, True):
            await page.load(stuck_run.html.as_uri(), dark=dark)
            text = _flat(await page.evaluate("document.body.innerText"))
            assert "sovwatch report: failed exit 1 (failed)" in text
            for release in failing:
                assert release["name"] in text
                assert _flat(release["rootCause"]["chain"]) in text, release["name"]
            png = await page.screenshot(height=1300)
            assert png.startswith(b"\x89PNG")
            assert len(png) > 50_000
            (tmp_path / f"report-{'dark' if dark else 'light'}.png").write_bytes(png)
            backgrounds.append(
                await page.evaluate("getComputedStyle(document.body).backgroundColor")
            )
            rows = await page.evaluate("document.querySelectorAll('svg.gantt g.row').length")
            assert rows == len(final["snapshot"]["releases"])
        assert backgrounds == ["rgb(255, 255, 255)", "rgb(13, 17, 23)"]
        await page.send(  # printed, even from a dark screen: black on white
            "Emulation.setEmulatedMedia",
            media="print",
            features=[{"name": "prefers-color-scheme", "value": "dark"}],
        )
        printed = await page.evaluate(
            "[getComputedStyle(document.body).color,"
            " getComputedStyle(document.body).backgroundColor,"
            " getComputedStyle(document.querySelector('svg.gantt g.row text:not(.crit)')).fill]"
        )
        assert printed == ["rgb(0, 0, 0)", "rgb(255, 255, 255)", "rgb(0, 0, 0)"]
        assert page.problems == []  # no console error, exception or blocked load


async def test_hostile_cluster_text_runs_no_script(tmp_path: Path):
    recording = tmp_path / "hostile.ndjson"
    write_rollout(recording, message=" ".join(PAYLOADS), context=PAYLOADS[1])
    invocation = parse(["report", str(recording)], stdout_is_tty=False, environ={})
    page_file = tmp_path / "hostile.html"
    report = await report_of(invocation, recording)
    page_file.write_text(render.render(report, "html"))
    async with chromium.open_page(tmp_path / "profile") as page:
        await page.load(page_file.as_uri())
        assert await page.evaluate("typeof window.__pwned") == "undefined"
        counts = await page.evaluate(
            "JSON.stringify(['script', 'img', 'a', 'iframe', 'svg'].map("
            "t => document.getElementsByTagName(t).length))"
        )
        assert json.loads(counts) == [0, 0, 0, 0, 1]  # the one svg is the timeline
        text = await page.evaluate("document.body.innerText")
        for payload in PAYLOADS:
            assert payload in text  # shown as text, literally
        assert await page.evaluate("document.title") == f"sovwatch report: failed - {PAYLOADS[1]}"
        assert page.problems == []
