"""The sovwatch.snapshot/v1 contract: every field the issue lists, with exactly those JSON names."""

from __future__ import annotations

import json

import pytest

from sovwatch.model.snapshot import SCHEMA, ClusterInfo, build_snapshot
from sovwatch.sources.events import HealthState, StreamHealth
from tests.model.builders import (
    T0_EPOCH,
    hr_ready,
    hr_waiting,
    kustomization,
    loki_multi_attach,
    store_of,
    workload,
)


def _snapshot():
    store = store_of(
        hr_ready("bp-seaweedfs"),
        hr_ready("bp-loki", depends_on=["bp-seaweedfs"]),
        hr_waiting("bp-grafana", "bp-loki"),
        workload("StatefulSet", "loki", "loki", release="loki"),
        *loki_multi_attach(release="loki"),
        kustomization(releases=["bp-seaweedfs", "bp-loki", "bp-grafana"]),
    )
    store.apply(StreamHealth("pods", HealthState.LIVE, T0_EPOCH))
    store.apply(
        StreamHealth(
            "helmreleases.helm.toolkit.fluxcd.io",
            HealthState.RECONNECTING,
            T0_EPOCH + 5,
            attempt=2,
            detail="connection reset",
        )
    )
    return build_snapshot(
        store, now=T0_EPOCH + 120, cluster=ClusterInfo("sov-admin@omantel", "https://10.0.0.1:6443")
    )


def test_every_contract_field_is_present():
    doc = json.loads(json.dumps(_snapshot().to_dict()))
    assert doc["schema"] == SCHEMA == "sovwatch.snapshot/v1"
    assert doc["cluster"] == {
        "context": "sov-admin@omantel",
        "server": "https://10.0.0.1:6443",
        "warnings": [],
    }
    assert doc["observedAt"] == "2026-04-30T10:02:00Z"
    assert doc["outcome"] == "in-progress"
    assert {"ready", "total", "expected", "failed", "waiting", "progressing"} <= doc[
        "progress"
    ].keys()
    assert doc["streams"][0] == {
        "resource": "helmreleases.helm.toolkit.fluxcd.io",
        "state": "reconnecting",
        "since": "2026-04-30T10:00:05Z",
        "attempt": 2,
        "detail": "connection reset",
    }
    release_keys = {
        "namespace",
        "name",
        "state",
        "reason",
        "message",
        "since",
        "chart",
        "dependsOn",
        "blockedBy",
        "rootCause",
        "workloads",
        "pods",
        "volumes",
    }
    for release in doc["releases"]:
        assert release_keys <= release.keys()
        assert release["workloads"].keys() >= {"state", "ready", "total"}
    loki = next(r for r in doc["releases"] if r["name"] == "bp-loki")
    assert loki["rootCause"].keys() >= {"kind", "namespace", "name", "state", "reason", "message"}
    assert loki["pods"][0].keys() >= {
        "namespace",
        "name",
        "state",
        "reason",
        "ready",
        "restarts",
        "probes",
    }
    assert loki["pods"][0]["probes"].keys() == {"readiness", "liveness", "startup"}
    assert loki["volumes"][0].keys() >= {
        "namespace",
        "name",
        "phase",
        "attach",
        "state",
        "reason",
        "message",
    }
    assert loki["volumes"][0]["attach"] == "multi-attach"
    grafana = next(r for r in doc["releases"] if r["name"] == "bp-grafana")
    assert grafana["dependsOn"] == ["flux-system/bp-loki"]
    assert (
        grafana["blockedBy"] == []
    )  # bp-loki's HelmRelease is Ready=True: Flux lets grafana start
    for obj in doc["objects"]:
        assert obj.keys() >= {
            "kind",
            "apiVersion",
            "namespace",
            "name",
            "state",
            "reason",
            "message",
        }
    assert {o["kind"] for o in doc["objects"]} >= {
        "HelmRelease",
        "Pod",
        "PersistentVolumeClaim",
        "VolumeAttachment",
        "StatefulSet",
        "Kustomization",
    }
    assert doc["events"][0]["reason"] == "FailedAttachVolume"
    assert doc["events"][0]["involvedObject"] == {
        "kind": "Pod",
        "namespace": "loki",
        "name": "loki-0",
    }


def test_releases_in_wave_order_and_graph():
    doc = _snapshot().to_dict()
    assert [r["name"] for r in doc["releases"]] == ["bp-seaweedfs", "bp-loki", "bp-grafana"]
    assert doc["graph"]["waves"] == [
        ["flux-system/bp-seaweedfs"],
        ["flux-system/bp-loki"],
        ["flux-system/bp-grafana"],
    ]


def test_no_secrets_in_the_snapshot():
    text = json.dumps(_snapshot().to_dict())
    assert "hunter2" not in text
    assert "s3cr3t" not in text


@pytest.mark.parametrize(
    ("hr_stream", "objects", "expected"),
    [
        (None, [], "waiting for the first list of HelmReleases"),
        (HealthState.ABSENT, [], "waiting for Flux: HelmRelease CRD not installed yet"),
        (HealthState.LIVE, [], "no HelmReleases yet"),
        (HealthState.FORBIDDEN, [], "HelmReleases are not readable with these credentials (RBAC)"),
        (HealthState.LIVE, [hr_ready("bp-cilium")], None),
    ],
    ids=["not-reported", "crd-absent", "none-yet", "forbidden", "first-release"],
)
def test_waiting_for_until_the_first_release(hr_stream, objects, expected):
    store = store_of(*objects)
    if hr_stream is not None:
        store.apply(StreamHealth("helmreleases.helm.toolkit.fluxcd.io", hr_stream, T0_EPOCH))
    assert build_snapshot(store, now=T0_EPOCH + 10).to_dict()["waitingFor"] == expected
