"""NDJSON records: every line parses, carries a `type`, and the fields the README promises."""

from __future__ import annotations

import io
import json

import pytest

from sovwatch.sources.events import HealthState, StreamHealth
from sovwatch.views.ndjson import NdjsonView, encode_pieces
from sovwatch.views.transitions import Transition, diff
from tests.views.view_snapshots import (
    T0,
    cilium,
    grafana_blocked,
    loki,
    pod_object,
    reworded,
    snapshot,
)

FIELDS = {
    "snapshot": {"type", "ts", "snapshot"},
    "transition": {"type", "ts", "kind", "namespace", "name", "from", "to", "reason", "message"},
    "stream": {"type", "ts", "resource", "state", "since", "attempt", "detail"},
    "outcome": {"type", "ts", "outcome", "exitCode", "why", "progress", "logs"},
}


def _records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_a_rollout_as_records():
    first = snapshot([cilium("progressing"), loki("waiting")])
    second = snapshot(
        [cilium(), loki("progressing")],
        objects=[
            pod_object("loki", "loki-0", "failed", "CrashLoopBackOff", "back-off 10s restarting")
        ],
    )
    final = snapshot([cilium(), loki("ready")], outcome="ready")
    out = io.StringIO()
    view = NdjsonView(out)
    view.stream(StreamHealth("pods", HealthState.CONNECTING, T0 - 1), synced=False)
    view.synced(first, diff(None, first, ts=T0), T0)
    view.changed(second, diff(first, second, ts=T0 + 60), T0 + 60)
    view.stream(
        StreamHealth("pods", HealthState.RECONNECTING, T0 + 70, attempt=1, detail="EOF"),
        synced=True,
    )
    view.changed(final, diff(second, final, ts=T0 + 120), T0 + 120)
    view.finished(final, outcome="ready", code=0, why="", ts=T0 + 121)

    records = _records(out.getvalue())
    for record in records:
        assert set(record) == FIELDS[record["type"]]
    assert [r["type"] for r in records] == [
        "stream", "snapshot", "transition", "transition", "transition", "stream",
        "transition", "transition", "snapshot", "outcome",
    ]  # fmt: skip
    assert records[1]["snapshot"] == first.to_dict()
    assert records[2] == {
        "type": "transition",
        "ts": "2026-11-27T12:05:31Z",
        "kind": "HelmRelease",
        "namespace": "flux-system",
        "name": "bp-cilium",
        "from": "progressing",
        "to": "ready",
        "reason": "InstallSucceeded",
        "message": "Helm install succeeded for release kube-system/cilium.v1 with chart cilium@1.16.5",
    }
    pod = records[4]
    assert (pod["kind"], pod["from"], pod["to"], pod["reason"]) == (
        "Pod",
        None,
        "failed",
        "CrashLoopBackOff",
    )
    gone = records[7]
    assert (gone["name"], gone["from"], gone["to"]) == ("loki-0", "failed", None)
    assert records[5]["attempt"] == 1
    assert records[5]["since"] == "2026-11-27T12:05:41Z"
    assert records[-1] == {
        "type": "outcome",
        "ts": "2026-11-27T12:06:32Z",
        "outcome": "ready",
        "exitCode": 0,
        "why": "",
        "progress": final.to_dict()["progress"],
        "logs": [],
    }


def test_once_is_the_bare_snapshot_document():
    doc = snapshot([cilium(), grafana_blocked()])
    out = io.StringIO()
    NdjsonView(out).once(doc)
    assert out.getvalue().count("\n") == 1
    parsed = json.loads(out.getvalue())
    assert parsed == doc.to_dict()
    assert parsed["schema"] == "sovwatch.snapshot/v1"


def test_text_from_the_cluster_survives_unicode_and_quotes():
    weird = reworded(loki("waiting"), 'chart "loki" — retries ∞ \n second line')
    before = snapshot([cilium("progressing")])
    after = snapshot([cilium("progressing"), weird])
    out = io.StringIO()
    NdjsonView(out).changed(after, diff(before, after, ts=T0), T0)
    (record,) = _records(out.getvalue())
    assert record["message"] == weird.verdict.message


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    "value",
    [
        snapshot([cilium(), grafana_blocked(), loki("waiting")]).to_dict(),
        {
            "type": "snapshot",
            "ts": "2026-11-27T12:05:31Z",
            "snapshot": snapshot([cilium()]).to_dict(),
        },
        {"empty": {}, "none": [], "nested": [[], [{}], {"a": []}], "n": None, "f": 0.1, "t": True},
        {"message": 'chart "loki" — retries ∞ \n second line \u0000', "exitCode": -1},
        {1: "int key", None: "null key", "s": [1.5e300, 2**70]},
        [],
        "plain",
    ],
    ids=["snapshot", "record", "empties", "unicode", "non-string-keys", "empty-list", "string"],
)
@pytest.mark.parametrize("depth", [0, 1, 3, 8])
def test_pieces_join_to_the_same_bytes_as_one_encoding(value, depth):
    pieces = list(encode_pieces(value, depth))
    assert "".join(pieces) == _compact(value)
    if depth and isinstance(value, dict) and len(value) > 1 and None not in value:
        assert len(pieces) > 1  # really split, not encoded whole


@pytest.mark.parametrize("cluster", [None, "sov-ams1"])
def test_small_records_are_written_exactly_as_json_encodes_them(cluster):
    """Transition and stream records go through a faster encoder than the snapshot's pieces: the
    same bytes as `json.dumps`, whatever the text (quotes, backslashes, non-ASCII, the gate's
    visible escapes, a newline)."""
    texts = [
        'chart "loki" \\ retries ∞ 日本 👩\u200d💻',
        "␛]52;c;ZXZpbA==␛\\ \\x9b7m \\u202ereversed \\ud800",
        "line one\nline two\ttab",
        "",
    ]
    transitions = [
        Transition("Pod", "loki", f"loki-{i}", None if i else "ready", "failed", text, text, T0)
        for i, text in enumerate(texts)
    ]
    out = io.StringIO()
    view = NdjsonView(out, cluster=cluster)
    view.changed(snapshot([cilium()]), transitions, T0)
    view.stream(StreamHealth("pods", HealthState.RECONNECTING, T0, 3, texts[1]), synced=True)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(texts) + 1
    for line in lines:
        assert line == _compact(json.loads(line))
    assert [json.loads(line)["message"] for line in lines[:-1]] == texts
    assert json.loads(lines[-1])["detail"] == texts[1]
    assert all(("cluster" in json.loads(line)) == (cluster is not None) for line in lines)


def test_a_snapshot_record_is_written_exactly_as_one_encoding():
    doc = snapshot([cilium(), grafana_blocked()])
    out = io.StringIO()
    view = NdjsonView(out)
    view.synced(doc, [], T0)
    view.once(doc)
    first, second = out.getvalue().splitlines()
    ts = json.loads(first)["ts"]
    assert first == _compact({"type": "snapshot", "ts": ts, "snapshot": doc.to_dict()})
    assert second == _compact(doc.to_dict())
