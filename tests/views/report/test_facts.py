"""The report's facts from a recorded rollout with a known story (`recordings.write_rollout`):
retries and failed spans on the timeline, the critical path, stream incidents, the verdict, and
Markdown that cluster text cannot break."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from sovwatch.cli import parse
from sovwatch.launch import report_of
from sovwatch.model.log_excerpts import LogExcerpt
from sovwatch.model.rootcause import Cause, RootCause
from sovwatch.model.states import State
from sovwatch.model.timeline import ReleaseTimes
from sovwatch.views.report import gantt, render
from sovwatch.views.report.facts import Report, RunInfo, build
from sovwatch.views.report.history import History
from sovwatch.views.report.render import markdown_escape
from tests.model.builders.common import T0_EPOCH
from tests.views.report.recordings import FORBIDDEN, write_rollout
from tests.views.view_snapshots import release
from tests.views.view_snapshots import snapshot as view_snapshot

HOSTILE = '<img src=x onerror="window.__pwned=1"> | `code` *bold* [link](https://evil.example/)'


async def _report(tmp_path: Path, **kw) -> Report:
    recording = tmp_path / "rollout.ndjson"
    write_rollout(recording, **kw)
    invocation = parse(["report", str(recording)], stdout_is_tty=False, environ={})
    return await report_of(invocation, recording)


@pytest.fixture
async def report(tmp_path: Path) -> Report:
    return await _report(tmp_path)


def _release(report: Report, name: str):
    return next(r for r in report.releases if r.name == name)


async def test_the_timeline_marks_failures_retries_and_the_critical_path(report: Report):
    a, b, c = (_release(report, n) for n in ("bp-a", "bp-b", "bp-c"))
    assert [(r.name, r.wave) for r in report.releases] == [("bp-a", 0), ("bp-b", 1), ("bp-c", 2)]
    assert [(s.state, s.start - T0_EPOCH, s.end - T0_EPOCH) for s in a.troubles] == [
        ("failed", 60, 120)
    ]
    assert [t - T0_EPOCH for t in a.retries] == [120]
    assert a.ready - T0_EPOCH == 200
    assert a.step == 200  # first seen (creation, T0) -> ready
    assert b.could_start == a.ready
    assert b.waited_on_dependencies == 200
    assert [(s.state, s.start - T0_EPOCH) for s in b.troubles] == [("stalled", 400)]
    assert c.could_start is None  # bp-b never became ready
    assert report.critical_path == ("bp-a",)
    assert [r.name for r in report.slowest] == ["bp-a"]


async def test_failures_come_first_and_waiting_behind_them_is_marked(report: Report):
    assert [(f.name, f.state, f.blocked) for f in report.failures] == [
        ("bp-b", "stalled", False),
        ("bp-c", "waiting", True),
    ]
    stalled = report.failures[0]
    assert stalled.reason == "RetriesExceeded"
    assert stalled.chain.startswith("bp-b ← ")
    assert [(e.reason, e.count) for e in stalled.events] == [("InstallFailed", 4)]
    assert report.failures[1].chain.startswith("bp-c ← bp-b")


async def test_verdict_and_stream_incidents(report: Report):
    v = report.verdict
    assert (v.outcome, v.code) == ("failed", 1)
    assert v.decided - T0_EPOCH == 400
    assert v.duration == 400
    assert "bp-b stalled (RetriesExceeded)" in v.why
    troubles = {s.resource: s for s in report.stream_troubles}
    assert set(troubles) == {"pods", "events"}
    assert (troubles["pods"].reconnects, troubles["pods"].gone) == (1, 1)
    assert (troubles["events"].forbidden, troubles["events"].last_detail) == (1, FORBIDDEN)
    assert report.cluster.flux_apis == ("helm.toolkit.fluxcd.io/v2",)


async def test_markdown_keeps_hostile_text_inside_its_table_cell(tmp_path: Path):
    report = await _report(tmp_path, message=HOSTILE, context="sov|<b>ctx</b>")
    text = render.render(report, "markdown")
    row = next(line for line in text.splitlines() if line.startswith("| bp-b |"))
    unescaped_pipes = len(row) - len(row.replace("|", "")) - row.count("\\|")
    assert unescaped_pipes == 5  # four cells, nothing split
    assert not re.search(r"(?<!\\)[<>]", text)  # no tag can open
    assert "\\<img src=x onerror=" in row
    assert "\\`code\\` \\*bold\\* \\[link\\]" in row
    assert "sov\\|\\<b\\>ctx\\</b\\>" in text


async def test_html_escapes_hostile_text_everywhere(tmp_path: Path):
    report = await _report(tmp_path, message=HOSTILE, context="</title><script>x()</script>")
    page = render.render(report, "html")
    assert "<img" not in page
    assert "<script" not in page
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in page
    assert "&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;" in page


def test_the_decisive_log_line_is_shown_when_the_root_cause_has_one():
    decisive = 'time="2026-12-06T09:22:41Z" level=fatal msg="failed to sync *v1.Service: <b>context deadline exceeded</b>"'
    excerpt = LogExcerpt(
        container="external-dns",
        previous=True,
        restarts=12,
        lines=(
            'time="2026-12-06T09:22:40Z" level=info msg="Instantiating new Kubernetes client"',
            decisive,
        ),
        decisive=decisive,
    )
    pod = "external-dns-2jq9n69vh7-w6k9t"
    root = RootCause(
        Cause("Pod", "external-dns", pod, State.FAILED, "CrashLoopBackOff", ""),
        ("bp-external-dns", f"pod external-dns/{pod} CrashLoopBackOff"),
        (("HelmRelease", "flux-system", "bp-external-dns"),),
        excerpt,
    )
    failing = replace(
        release(
            "bp-external-dns",
            "failed",
            reason="CrashLoopBackOff",
            message="released · 0/1 pods ready",
            root_cause=root,
        ),
        wave=0,
        timeline=ReleaseTimes(first_seen=T0_EPOCH, started=T0_EPOCH + 5),
    )
    snapshot = view_snapshot([failing], outcome="failed")
    history = History()
    history.changed(snapshot, [], T0_EPOCH + 600)
    report = build(history, RunInfo("sov", "https://sov.example:6443", T0_EPOCH, "0.1.0", "0.1.0"))
    assert report.failures[0].log_excerpt.decisive == decisive
    page = render.render(report, "html")
    assert "container external-dns (previous run)" in page
    assert (
        "msg=&#34;failed to sync *v1.Service: &lt;b&gt;context deadline exceeded&lt;/b&gt;&#34;"
        in page
    )
    summary = render.render(report, "markdown")
    assert (
        "- bp-external-dns (container external-dns, previous run): " + markdown_escape(decisive)
        in summary
    )


async def test_the_timeline_layout_draws_each_phase_where_it_happened(report: Report):
    chart = gantt.layout(report)
    rows = {row.release.name: row for row in chart.rows}
    assert [b.label for b in chart.bands] == ["wave 0", "wave 1", "wave 2"]
    assert [row.y for row in chart.rows] == sorted(row.y for row in chart.rows)
    a, b, c = rows["bp-a"], rows["bp-b"], rows["bp-c"]
    assert [s.kind for s in a.segments] == ["wait", "work", "failed"]  # created when it could start
    work = next(s for s in a.segments if s.kind == "work")
    assert (work.start - T0_EPOCH, work.end - T0_EPOCH) == (120, 200)  # the retry's action
    assert a.retries == (work.x,)
    assert a.outline is not None  # on the critical path
    assert [s.kind for s in b.segments] == ["deps", "wait", "work", "stalled"]
    assert [(s.kind, s.x + s.width) for s in c.segments] == [("deps", chart.end_x)]
    assert chart.ticks[0].x == chart.label_width
    assert chart.ticks[0].label == "+0s"


async def test_credentials_in_cluster_text_are_masked_in_both_formats(tmp_path: Path):
    leak = '{"password": "hunter2hunter2"} Authorization: Bearer sk-live-0123456789abcdef'
    report = await _report(tmp_path, message=leak)
    for fmt in ("html", "markdown"):
        text = render.render(report, fmt)
        assert "hunter2hunter2" not in text
        assert "sk-live-0123456789abcdef" not in text
        masked = "Bearer \\*\\*\\*" if fmt == "markdown" else "Bearer ***"
        assert masked in text


async def test_control_characters_reach_the_report_only_through_the_gate(tmp_path: Path):
    report = await _report(tmp_path, message="boom\x1b]52;c;Y3VybCBldmlsLnNo\x07 \u202egnp.exe")
    for fmt in ("html", "markdown"):
        text = render.render(report, fmt)
        assert "\x1b" not in text
        assert "\u202e" not in text
        shown = "␛]52;c;Y3VybCBldmlsLnNo␇"  # the gate's visible escapes
        assert (shown if fmt == "html" else markdown_escape(shown)) in text
