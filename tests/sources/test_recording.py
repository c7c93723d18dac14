"""Recordings: what goes in comes back out, privately, flushed per line, and damage is located."""

from __future__ import annotations

import gzip
import json
import stat
from pathlib import Path

import pytest

from sovwatch.sources.events import EventType, HealthState, StreamHealth, WatchEvent
from sovwatch.sources.recording import (
    SCHEMA,
    Recorder,
    RecordingError,
    RecordingReader,
    TroubleNote,
)
from sovwatch.sources.slimming import slim

T0 = 1_795_781_071.0  # 2026-11-27T12:04:31Z

HR_LOKI = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2",
    "kind": "HelmRelease",
    "metadata": {
        "name": "bp-loki",
        "namespace": "flux-system",
        "generation": 1,
        "resourceVersion": "1042",
    },
    "spec": {
        "chart": {"spec": {"chart": "loki", "version": "6.6.2"}},
        "dependsOn": [{"name": "bp-seaweedfs"}],
        "install": {"disableWait": True},
    },
    "status": {
        "observedGeneration": 1,
        "conditions": [
            {
                "type": "Ready",
                "status": "Unknown",
                "reason": "Progressing",
                "message": "Running 'install' action with timeout of 5m0s",
                "lastTransitionTime": "2026-11-27T12:04:31Z",
            }
        ],
    },
}

POD_LOKI = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "loki-0", "namespace": "loki", "resourceVersion": "1050"},
    "spec": {"containers": [{"name": "loki", "image": "grafana/loki:3.0.0"}]},
    "status": {"phase": "Pending"},
}


def _items() -> list:
    """Items as a source emits them (objects already slim)."""
    hr_loki, pod_loki = slim(HR_LOKI), slim(POD_LOKI)
    return [
        StreamHealth("helmreleases.helm.toolkit.fluxcd.io", HealthState.CONNECTING, T0),
        StreamHealth(
            "helmreleases.helm.toolkit.fluxcd.io", HealthState.LIVE, T0 + 0.2, detail="v2"
        ),
        WatchEvent("helmreleases.helm.toolkit.fluxcd.io", EventType.ADDED, hr_loki, T0 + 0.21),
        WatchEvent("pods", EventType.ADDED, pod_loki, T0 + 0.3),
        StreamHealth("pods", HealthState.RECONNECTING, T0 + 5.0, attempt=2, detail="server closed"),
        WatchEvent("pods", EventType.DELETED, pod_loki, T0 + 6.5),
    ]


def _record(path: Path, items: list) -> None:
    with Recorder(path, context="sov-prod", server="https://10.0.0.1:6443", started=T0) as rec:
        for item in items:
            rec.write(item)


@pytest.mark.parametrize("name", ["run.ndjson", "run.ndjson.gz"], ids=["plain", "gzip"])
def test_roundtrip_keeps_items_order_times_and_header(tmp_path: Path, name: str):
    path = tmp_path / name
    _record(path, _items())
    with RecordingReader(path) as reader:
        assert reader.header.schema == SCHEMA
        assert (reader.header.context, reader.header.server) == (
            "sov-prod",
            "https://10.0.0.1:6443",
        )
        assert reader.header.started == T0
        assert list(reader) == _items()
        assert reader.damage is None
    if name.endswith(".gz"):
        with gzip.open(path, "rt") as raw:
            assert raw.readline().startswith('{"schema":"sovwatch.recording/v1"')


def test_file_is_private_even_when_it_existed(tmp_path: Path):
    path = tmp_path / "run.ndjson"
    path.write_text("old contents\n")
    path.chmod(0o644)
    _record(path, _items()[:1])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "old contents" not in path.read_text()


@pytest.mark.parametrize("name", ["live.ndjson", "live.ndjson.gz"], ids=["plain", "gzip"])
def test_every_line_is_readable_while_still_recording(tmp_path: Path, name: str):
    """An SSH drop (the process killed mid-run) loses nothing already received."""
    path = tmp_path / name
    rec = Recorder(path, context="sov-prod", server="https://10.0.0.1:6443", started=T0)
    try:
        for item in _items()[:4]:
            rec.write(item)
        with RecordingReader(path) as reader:
            assert list(reader) == _items()[:4]
    finally:
        rec.close()


def test_secrets_and_env_values_never_reach_the_file(tmp_path: Path):
    pod = {
        **POD_LOKI,
        "spec": {
            "containers": [
                {
                    "name": "loki",
                    "image": "grafana/loki:3.0.0",
                    "env": [{"name": "S3_SECRET_KEY", "value": "hunter2-env"}],
                    "args": ["-config.expand-env=true", "--token=hunter2-arg"],
                }
            ]
        },
    }
    hr = {
        **HR_LOKI,
        "spec": {**HR_LOKI["spec"], "values": {"auth": {"password": "hunter2-values"}}},
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "loki-s3", "namespace": "loki"},
        "data": {"secret_key": "aHVudGVyMg=="},
    }
    path = tmp_path / "run.ndjson"
    _record(
        path,
        [
            WatchEvent("pods", EventType.ADDED, pod, T0),
            WatchEvent("helmreleases.helm.toolkit.fluxcd.io", EventType.ADDED, hr, T0),
            WatchEvent("secrets", EventType.ADDED, secret, T0),
        ],
    )
    text = path.read_text()
    for leaked in ("hunter2", "aHVudGVyMg==", "loki-s3"):
        assert leaked not in text
    assert "S3_SECRET_KEY" not in text  # no env at all: nothing reads it
    assert "-config.expand-env" not in text
    with RecordingReader(path) as reader:
        assert [i.obj["kind"] for i in reader] == ["Pod", "HelmRelease"]


def test_line_cut_off_plays_what_came_before(tmp_path: Path):
    path = tmp_path / "cut.ndjson"
    _record(path, _items())
    data = path.read_bytes()
    path.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 20])  # the last line half written
    with RecordingReader(path) as reader:
        assert list(reader) == _items()[:-1]
        assert reader.damage is not None
        assert reader.damage.line == 7  # header + 5 good items, then the broken one
        assert "cut off" in reader.damage.reason


def test_corrupt_line_in_the_middle_stops_there(tmp_path: Path):
    path = tmp_path / "corrupt.ndjson"
    _record(path, _items())
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = '{"t": 1795781071.3, "event": "ADDED", "resource": "pods", "obj\n'
    path.write_text("".join(lines))
    with RecordingReader(path) as reader:
        assert list(reader) == _items()[:2]
        assert reader.damage is not None
        assert reader.damage.line == 4
        assert "line 4" in reader.damage.describe(path)


def test_unknown_event_type_is_damage_not_a_crash(tmp_path: Path):
    path = tmp_path / "odd.ndjson"
    _record(path, _items()[:3])
    with path.open("a") as f:
        f.write(json.dumps({"t": T0, "event": "BOOKMARK", "resource": "pods", "object": {}}) + "\n")
    with RecordingReader(path) as reader:
        assert len(list(reader)) == 3
        assert reader.damage is not None
        assert reader.damage.line == 5


def test_gzip_cut_mid_stream_plays_the_valid_prefix(tmp_path: Path):
    path = tmp_path / "cut.ndjson.gz"
    many = [
        WatchEvent(
            "pods",
            EventType.MODIFIED,
            slim({**POD_LOKI, "metadata": {**POD_LOKI["metadata"], "resourceVersion": str(i)}}),
            T0 + i,
        )
        for i in range(200)
    ]
    _record(path, many)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with RecordingReader(path) as reader:
        played = list(reader)
        assert 0 < len(played) < 200
        assert played == many[: len(played)]
        assert reader.damage is not None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot open"),
        (b"", "no header"),
        (b"NAME  READY  STATUS\n", "not a sovwatch recording"),
        (b'{"type": "snapshot"}\n', "no header"),
        (b'{"schema": "sovwatch.recording/v9", "sovwatch": "9.0"}\n', "newer sovwatch"),
    ],
    ids=["missing", "empty", "text", "ndjson-output", "future-schema"],
)
def test_not_a_recording_is_one_clear_error(tmp_path: Path, content: bytes | None, expected: str):
    path = tmp_path / "x.ndjson"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RecordingError, match=expected):
        RecordingReader(path)


def test_a_fleet_note_keeps_its_warnings_neutralised_and_a_wrong_kind_is_damage(tmp_path: Path):
    """A fleet's note carries the cluster's warnings (only when it has any); read back they pass
    the untrusted-text gate, and `"warnings"` that is not a list is damage, located."""
    path = tmp_path / "fleet.ndjson"
    odd = "kubeconfig /k/sov-\x1b]0;pwned\x07b.yaml can be read by other users"
    with Recorder(path, context="", server="", fleet=True, started=T0) as rec:
        rec.note(TroubleNote("sov-a", T0, server="https://a:6443", trouble=None))
        rec.note(TroubleNote("sov-b", T0, server="https://b:6443", trouble=None, warnings=(odd,)))
    lines = path.read_text().splitlines()
    assert "warnings" not in json.loads(lines[1])  # none: the line as before
    assert json.loads(lines[2])["warnings"] == [odd]
    with path.open("a") as f:
        f.write(json.dumps({"t": T0, "cluster": "sov-c", "trouble": None, "warnings": "x"}) + "\n")
    with RecordingReader(path) as reader:
        notes = list(reader.fleet_entries())
        assert [n.warnings for n in notes] == [
            (),
            ("kubeconfig /k/sov-␛]0;pwned␇b.yaml can be read by other users",),
        ]
        assert reader.damage is not None
        assert reader.damage.line == 4


def test_the_header_keeps_the_connection_s_warnings_through_the_gate(tmp_path: Path):
    """Only when there are any (an older recording, or one without, reads as none); read back
    they pass the untrusted-text gate; `"warnings"` that is not a list is not a recording."""
    odd = "insecure-skip-tls-verify is set for cluster 'sov-\x1b]0;pwned\x07' in /k"
    path = tmp_path / "run.ndjson"
    with Recorder(path, context="sov", server="https://s:6443", started=T0, warnings=(odd,)):
        pass
    assert json.loads(path.read_text().splitlines()[0])["warnings"] == [odd]
    with RecordingReader(path) as reader:
        assert reader.header.warnings == (
            "insecure-skip-tls-verify is set for cluster 'sov-␛]0;pwned␇' in /k",
        )
    _record(path, [])
    assert "warnings" not in json.loads(path.read_text())
    with RecordingReader(path) as reader:
        assert reader.header.warnings == ()
    path.write_text(json.dumps({"schema": SCHEMA, "warnings": "x"}) + "\n")
    with pytest.raises(RecordingError, match="header: expected a list, got str"):
        RecordingReader(path)
