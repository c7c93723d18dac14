"""The plain log: stable, greppable lines, one per meaningful change, and a summary at the end."""

from __future__ import annotations

import io
import re
import time
from dataclasses import replace

import pytest

from sovwatch.model.log_excerpts import LogExcerpt
from sovwatch.model.rootcause import Cause, RootCause
from sovwatch.model.snapshot import ReleaseView, Snapshot
from sovwatch.model.states import State
from sovwatch.sources.events import HealthState, StreamHealth
from sovwatch.views.plain import PlainView
from sovwatch.views.transitions import diff
from tests.views.view_snapshots import (
    HR,
    T0,
    cilium,
    grafana_blocked,
    loki,
    pod_object,
    release,
    reworded,
    snapshot,
    stream,
)

LINE = re.compile(r"^\d\d:\d\d:\d\d \S+ ")


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _play(view: PlainView, snapshots: list[Snapshot], *, code: int = 0, why: str = "") -> None:
    first = snapshots[0]
    view.synced(first, diff(None, first, ts=T0), T0)
    for i, (before, after) in enumerate(zip(snapshots, snapshots[1:], strict=False), start=1):
        view.changed(after, diff(before, after, ts=T0 + 60 * i), T0 + 60 * i)
    view.finished(
        snapshots[-1],
        outcome=snapshots[-1].outcome,
        code=code,
        why=why,
        ts=T0 + 60 * len(snapshots),
    )


GOLDEN = """\
12:04:31 synced: 2/2 streams live
12:04:31 bp-cilium new -> progressing (Progressing: Running 'install' action with timeout of 5m0s)
12:04:31 bp-loki new -> waiting (DependencyNotReady: dependency 'flux-system/bp-seaweedfs' is not ready)
12:04:31 progress 0/2 ready (1 waiting, 1 progressing)
12:05:31 bp-cilium progressing -> ready (InstallSucceeded: Helm install succeeded for release kube-system/cilium.v1 with chart cilium@1.16.5)
12:05:31 bp-loki waiting -> progressing (Progressing: Running 'install' action with timeout of 5m0s)
12:05:31 progress 1/2 ready (1 progressing)
12:06:31 bp-loki progressing -> ready (InstallSucceeded: Helm install succeeded for release loki/loki.v1 with chart loki@6.6.2)
12:06:31 progress 2/2 ready
NAME       STATE  PODS  REASON            DETAIL
bp-cilium  ready  2/2   InstallSucceeded  Helm install succeeded for release kube-system/cilium.v1 with chart cilium@1.16.5
bp-loki    ready  1/1   InstallSucceeded  Helm install succeeded for release loki/loki.v1 with chart loki@6.6.2
12:07:31 outcome ready (exit 0): 2/2 ready
"""


def test_a_rollout_reads_as_a_stable_log():
    out = io.StringIO()
    _play(
        PlainView(out),
        [
            snapshot([cilium("progressing"), loki("waiting")]),
            snapshot([cilium(), loki("progressing")]),
            snapshot([cilium(), loki("ready")], outcome="ready"),
        ],
    )
    assert out.getvalue() == GOLDEN
    assert "\x1b" not in out.getvalue()


def test_blocked_release_names_its_root_cause_and_the_verdict_is_last():
    out = io.StringIO()
    final = snapshot([cilium(), loki("progressing"), grafana_blocked()], expected=38)
    _play(PlainView(out), [final], code=3, why="timed out after 45m")
    lines = out.getvalue().splitlines()
    grafana = next(line for line in lines if line.startswith("bp-grafana"))
    assert grafana.split()[4:11] == [
        "<-",
        "bp-loki",
        "<-",
        "pod",
        "loki/loki-0",
        "ContainerCreating",
        "<-",
    ]
    assert "Multi-Attach error for volume" in grafana
    assert grafana.isascii()
    assert lines[-1] == (
        "12:05:31 outcome in-progress (exit 3): 1/38 ready (3 seen; 1 waiting, 1 progressing); "
        "timed out after 45m"
    )


def test_other_kinds_only_when_they_fail_or_recover():
    crash = "back-off 40s restarting failed container=loki pod=loki-0_loki(5d1c)"
    steps = [
        snapshot(
            [loki("progressing")],
            objects=[pod_object("loki", "loki-0", "progressing", "ContainerCreating")],
        ),
        snapshot(
            [loki("progressing")],
            objects=[pod_object("loki", "loki-0", "failed", "CrashLoopBackOff", crash)],
        ),
        snapshot(
            [loki("progressing")], objects=[pod_object("loki", "loki-0", "progressing", "Running")]
        ),
        snapshot([loki("progressing")], objects=[pod_object("loki", "loki-0", "ready", "Running")]),
    ]
    out = io.StringIO()
    _play(PlainView(out), steps)
    pod_lines = [line for line in out.getvalue().splitlines() if "pod/loki/loki-0" in line]
    assert pod_lines == [
        f"12:05:31 pod/loki/loki-0 progressing -> failed (CrashLoopBackOff: {crash})",
        "12:06:31 pod/loki/loki-0 failed -> progressing (Running)",
    ]


def test_stream_health_before_sync_only_trouble_after_sync_everything():
    out = io.StringIO()
    view = PlainView(out)
    view.stream(StreamHealth("pods", HealthState.CONNECTING, T0), synced=False)
    view.stream(StreamHealth("pods", HealthState.LIVE, T0 + 1), synced=False)
    view.stream(
        StreamHealth(
            "volumeattachments.storage.k8s.io",
            HealthState.FORBIDDEN,
            T0 + 1,
            detail='volumeattachments.storage.k8s.io is forbidden: User "viewer" cannot list '
            'resource "volumeattachments" in API group "storage.k8s.io" at the cluster scope',
        ),
        synced=False,
    )
    view.stream(
        StreamHealth(
            "pods", HealthState.RECONNECTING, T0 + 9, attempt=2, detail="server closed\nthe stream"
        ),
        synced=True,
    )
    view.stream(StreamHealth("pods", HealthState.LIVE, T0 + 11), synced=True)
    assert out.getvalue().splitlines() == [
        "12:04:32 stream volumeattachments.storage.k8s.io forbidden: volumeattachments.storage.k8s.io "
        'is forbidden: User "viewer" cannot list resource "volumeattachments" in API group '
        '"storage.k8s.io" at the cluster scope',
        "12:04:40 stream pods reconnecting (attempt 2): server closed the stream",
        "12:04:42 stream pods live",
    ]


def test_progress_line_only_when_the_count_changes():
    a = snapshot([cilium("progressing"), loki("waiting")])
    b = snapshot(
        [cilium("progressing"), loki("progressing")]
    )  # states move, counts of ready do not
    out = io.StringIO()
    _play(PlainView(out), [a, b])
    assert sum(" progress " in line for line in out.getvalue().splitlines()) == 1


def test_deleted_release_and_long_messages_stay_one_line():
    long = snapshot([cilium("progressing"), reworded(loki("waiting"), "x " * 400)])
    gone = snapshot([cilium("progressing")])
    out = io.StringIO()
    _play(PlainView(out), [long, gone])
    lines = out.getvalue().splitlines()
    assert "12:05:31 bp-loki waiting -> deleted (Deleted)" in lines
    assert all(len(line) < 240 for line in lines)
    assert all(LINE.match(line) for line in lines if not line.startswith(("NAME", "bp-")))


def test_color_only_when_forced_and_then_only_around_state_words():
    steps = [snapshot([cilium("progressing")]), snapshot([cilium()])]
    colored, plain = io.StringIO(), io.StringIO()
    _play(PlainView(colored, color=True), steps)
    _play(PlainView(plain), steps)
    assert "\x1b[36mprogressing\x1b[0m -> \x1b[32mready\x1b[0m" in colored.getvalue()
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored.getvalue()) == plain.getvalue()


def test_once_prints_the_table_with_streams_that_are_not_live():
    out = io.StringIO()
    streams = [stream("pods"), stream("helmreleases.helm.toolkit.fluxcd.io", HealthState.ABSENT)]
    PlainView(out).once(snapshot([], streams=streams))
    assert out.getvalue().splitlines() == [
        "NAME  STATE  PODS  REASON  DETAIL",
        "stream helmreleases.helm.toolkit.fluxcd.io absent",
    ]


def test_says_what_it_waits_for_until_the_first_release():
    """Before Flux's CRDs exist, then before the first HelmRelease: one line each, then silence."""
    out = io.StringIO()
    absent = replace(
        snapshot([]), waiting_for="waiting for Flux: HelmRelease CRD not installed yet"
    )
    empty = replace(snapshot([]), waiting_for="no HelmReleases yet")
    first = replace(snapshot([cilium()]), waiting_for=None)
    _play(PlainView(out), [absent, absent, empty, first])
    lines = out.getvalue().splitlines()
    assert "12:04:31 waiting for Flux: HelmRelease CRD not installed yet" in lines
    assert "12:06:31 no HelmReleases yet" in lines
    assert sum("waiting for Flux" in line for line in lines) == 1
    assert not any(
        "HelmReleases yet" in line
        for line in lines[lines.index("12:06:31 no HelmReleases yet") + 1 :]
    )


def test_summary_of_an_empty_cluster_says_what_it_waits_for():
    doc = replace(snapshot([]), waiting_for="waiting for Flux: HelmRelease CRD not installed yet")
    assert "waiting for Flux: HelmRelease CRD not installed yet" in PlainView(io.StringIO()).table(
        doc
    )


def _failing_with_log(name: str, cause: str, excerpt: LogExcerpt | None) -> ReleaseView:
    root = RootCause(
        Cause("Pod", "spire-system", cause, State.FAILED, "CrashLoopBackOff", ""),
        (name, f"pod spire-system/{cause} CrashLoopBackOff"),
        ((HR, "flux-system", name),),
        excerpt,
    )
    return release(
        name,
        "failed" if excerpt else "waiting",
        reason="CrashLoopBackOff",
        message="",
        root_cause=root,
    )


def test_a_failed_run_prints_each_culprit_log_once_before_the_verdict():
    excerpt = LogExcerpt(
        container="spire-controller-manager",
        previous=True,
        restarts=5,
        lines=tuple(f'{{"level":"info","msg":"line {i}"}}' for i in range(8)),
        decisive='unable to create controller: no matches for kind "ClusterSPIFFEID"',
    )
    releases = [
        _failing_with_log("bp-spire", "spire-server-0", excerpt),
        _failing_with_log("bp-openbao", "spire-server-0", excerpt),
    ]
    out = io.StringIO()
    document = snapshot(releases, outcome="failed")
    PlainView(out).finished(document, outcome="failed", code=1, why="", ts=T0)
    lines = out.getvalue().splitlines()
    at = lines.index(
        "log of pod/spire-system/spire-server-0 container spire-controller-manager "
        "(previous run), bp-spire, bp-openbao:"
    )
    assert lines[at + 1] == (
        '  decisive: unable to create controller: no matches for kind "ClusterSPIFFEID"'
    )
    assert lines[at + 2 : at + 7] == [
        f'  | {{"level":"info","msg":"line {i}"}}' for i in range(3, 8)
    ]
    assert lines[at + 7].startswith("12:")
    assert " outcome failed (exit 1)" in lines[at + 7]
    ready = io.StringIO()
    PlainView(ready).finished(document, outcome="ready", code=0, why="", ts=T0)
    assert "log of " not in ready.getvalue()
