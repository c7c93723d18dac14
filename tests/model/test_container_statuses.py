"""Per-container detail in the snapshot (`pods[].containerStatuses`): state, reasons, restarts, the
previous termination and each probe, alongside the pod-level summary the views already use."""

from __future__ import annotations

import json

import pytest

from sovwatch.model.pod import assess_pod
from sovwatch.model.snapshot import build_snapshot
from tests.model.builders import (
    T0_EPOCH,
    container_status,
    event,
    hr_ready,
    http_probe,
    pod,
    store_of,
    terminated,
    ts,
    waiting,
    workload,
)

SPIRE = ("Pod", "spire-system", "spire-server-0")
BACKOFF = "back-off 2m40s restarting failed container=spire-controller-manager pod=spire-server-0_spire-system(uid-spire-system-spire-server-0)"


def _spire_pod() -> dict:
    """spire-server-0: the server is up, its controller-manager sidecar crash-loops under a failing
    liveness probe, the bootstrap init container completed."""
    return pod(
        "spire-server-0",
        "spire-system",
        release="spire",
        owner=("StatefulSet", "spire-server"),
        containers=[
            {
                "name": "spire-server",
                "image": "ghcr.io/spiffe/spire-server:1.9.6",
                "readinessProbe": http_probe("/ready", 8080),
                "livenessProbe": http_probe("/live", 8080),
                "startupProbe": http_probe("/ready", 8080),
            },
            {
                "name": "spire-controller-manager",
                "image": "ghcr.io/spiffe/spire-controller-manager:0.5.0",
                "livenessProbe": http_probe("/healthz", 8083),
            },
        ],
        statuses=[
            container_status("spire-server", ready=True, started=True),
            container_status(
                "spire-controller-manager",
                ready=False,
                started=False,
                restarts=5,
                state=waiting("CrashLoopBackOff", BACKOFF),
                last=terminated("Error", 1, "failed to create manager: no matches for kind"),
            ),
        ],
        init_containers=[{"name": "wait-for-bundle", "image": "busybox:1.36"}],
        init_statuses=[
            container_status(
                "wait-for-bundle", ready=False, started=False, state=terminated("Completed", 0)
            )
        ],
    )


def _spire_events() -> list[dict]:
    return [
        event(
            SPIRE,
            "Unhealthy",
            'Liveness probe failed: Get "http://10.0.1.17:8083/healthz": dial tcp 10.0.1.17:8083: connect: connection refused',
            count=15,
            field_path="spec.containers{spire-controller-manager}",
        ),
        event(
            SPIRE,
            "Killing",
            "Container spire-controller-manager failed liveness probe, will be restarted",
            count=5,
            field_path="spec.containers{spire-controller-manager}",
        ),
    ]


def test_snapshot_has_every_container_with_its_probes():
    store = store_of(
        hr_ready("bp-spire", target="spire-system"),
        workload("StatefulSet", "spire-server", "spire-system", release="spire"),
        _spire_pod(),
        *_spire_events(),
    )
    doc = json.loads(json.dumps(build_snapshot(store, now=T0_EPOCH + 120).to_dict()))
    (spire,) = [r for r in doc["releases"] if r["name"] == "bp-spire"]
    (p,) = spire["pods"]
    assert p["containers"] == 2  # the count the views already read stays
    by_name = {c["name"]: c for c in p["containerStatuses"]}
    assert list(by_name) == ["wait-for-bundle", "spire-server", "spire-controller-manager"]
    init = by_name["wait-for-bundle"]
    assert (init["init"], init["state"], init["reason"], init["exitCode"]) == (
        True,
        "terminated",
        "Completed",
        0,
    )
    server = by_name["spire-server"]
    assert (server["ready"], server["started"], server["state"], server["restarts"]) == (
        True,
        True,
        "running",
        0,
    )
    assert {k: v["state"] for k, v in server["probes"].items()} == {
        "readiness": "passing",
        "liveness": "passing",
        "startup": "passing",
    }
    sidecar = by_name["spire-controller-manager"]
    assert sidecar == {
        "name": "spire-controller-manager",
        "init": False,
        "ready": False,
        "started": False,
        "restarts": 5,
        "state": "waiting",
        "reason": "CrashLoopBackOff",
        "message": BACKOFF,
        "exitCode": None,
        "lastTermination": {
            "reason": "Error",
            "exitCode": 1,
            "finishedAt": ts(25),
            "message": "failed to create manager: no matches for kind",
        },
        "probes": {
            "readiness": {"state": "none", "failures": 0, "lastMessage": ""},
            "liveness": {
                "state": "failing",
                "failures": 20,
                "lastMessage": sidecar["probes"]["liveness"]["lastMessage"],
            },
            "startup": {"state": "none", "failures": 0, "lastMessage": ""},
        },
    }
    assert sidecar["probes"]["liveness"]["lastMessage"] in {e["message"] for e in _spire_events()}
    # the pod-level probes are the worst per kind across app containers
    assert p["probes"]["liveness"]["state"] == "failing"
    assert p["probes"]["readiness"]["state"] == "passing"


@pytest.mark.parametrize(
    ("status", "state", "reason", "message", "started"),
    [
        (
            container_status(
                "loki",
                ready=False,
                state=waiting(
                    "ImagePullBackOff",
                    'Back-off pulling image "ghcr.io/openova-io/loki:3.1.0"',
                ),
            ),
            "waiting",
            "ImagePullBackOff",
            'Back-off pulling image "ghcr.io/openova-io/loki:3.1.0"',
            None,
        ),
        (
            container_status("loki", ready=False, state=waiting("ContainerCreating")),
            "waiting",
            "ContainerCreating",
            "",
            None,
        ),
        (
            container_status("loki", ready=False, started=True),
            "running",
            "",
            "",
            True,
        ),
        (
            container_status(
                "loki",
                ready=False,
                started=False,
                state=terminated("OOMKilled", 137),
            ),
            "terminated",
            "OOMKilled",
            "",
            False,
        ),
    ],
    ids=["image-pull", "creating", "running-not-ready", "oom-killed"],
)
def test_container_state_and_reason(status, state, reason, message, started):
    (c,) = assess_pod(pod("loki-0", "loki", statuses=[status]), []).containers
    assert (c.state, c.reason, c.message, c.started) == (state, reason, message, started)


def test_container_not_reported_yet_is_pending():
    health = assess_pod(pod("loki-0", "loki", phase="Pending", node=None, statuses=[]), [])
    (c,) = health.containers
    assert (c.state, c.reason, c.started, c.last_termination) == ("pending", "", None, None)
    assert c.probes["readiness"].state == "unknown"
    assert health.started_at == T0_EPOCH  # status.startTime
