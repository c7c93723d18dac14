"""Pod health and per-container probes, from pods and events as the kubelet and scheduler write them."""

from __future__ import annotations

import pytest

from sovwatch.model.events import normalized_for
from sovwatch.model.pod import assess_pod
from sovwatch.model.states import State
from tests.model.builders import (
    container_status,
    event,
    event_v1,
    http_probe,
    pod,
    terminated,
    ts,
    unschedulable,
    waiting,
)

LOKI = ("Pod", "loki", "loki-0")
PVC_MSG = (
    "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes "
    "are available: 3 Preemption is not helpful for scheduling."
)
MULTI = 'Multi-Attach error for volume "pvc-7f3a" Volume is already used by pod(s) loki-0-old'
MOUNT = (
    "Unable to attach or mount volumes: unmounted volumes=[storage], unattached volumes=[storage "
    "kube-api-access-x2x9z]: timed out waiting for the condition"
)
BACKOFF = "back-off 5m0s restarting failed container=loki pod=loki-0_loki(uid-loki-loki-0)"


def _crashloop(name="loki", restarts=7, message=""):
    return container_status(
        name,
        ready=False,
        started=False,
        restarts=restarts,
        state=waiting("CrashLoopBackOff", BACKOFF),
        last=terminated("Error", 1, message),
    )


def _waiting_pod(reason, message, *, pod_name="loki-0", app="loki"):
    """A Pending pod of `app` (its namespace and only container) waiting with the kubelet's
    `reason` and `message`."""
    return pod(
        pod_name,
        app,
        phase="Pending",
        statuses=[container_status(app, ready=False, state=waiting(reason, message))],
    )


POD_CASES = [
    ("running-ready", pod("loki-0", "loki"), [], State.READY, "Running", "Running"),
    (
        "image-pull-backoff",
        _waiting_pod(
            "ImagePullBackOff",
            'Back-off pulling image "ghcr.io/openova-io/loki:9.9.9"',
        ),
        [],
        State.FAILED,
        "ImagePullBackOff",
        "ImagePullBackOff",
    ),
    (
        "err-image-pull",
        _waiting_pod(
            "ErrImagePull",
            'failed to pull and unpack image "ghcr.io/openova-io/loki:9.9.9": 401 Unauthorized',
        ),
        [],
        State.FAILED,
        "ErrImagePull",
        "ErrImagePull",
    ),
    (
        "invalid-image-name-is-stalled",
        _waiting_pod(
            "InvalidImageName",
            'Failed to apply default image tag "ghcr.io/x:": invalid reference format',
        ),
        [],
        State.STALLED,
        "InvalidImageName",
        "InvalidImageName",
    ),
    (
        "crashloop",
        pod("loki-0", "loki", statuses=[_crashloop()]),
        [],
        State.FAILED,
        "CrashLoopBackOff",
        "CrashLoopBackOff",
    ),
    (
        "init-container-crashloop",
        pod(
            "keycloak-0",
            "keycloak",
            phase="Pending",
            init_containers=[{"name": "wait-for-db", "image": "busybox:1.36"}],
            init_statuses=[_crashloop("wait-for-db", 4)],
            statuses=[container_status("keycloak", ready=False, state=waiting("PodInitializing"))],
        ),
        [],
        State.FAILED,
        "Init:CrashLoopBackOff",
        "Init:CrashLoopBackOff",
    ),
    (
        "init-container-running",
        pod(
            "keycloak-0",
            "keycloak",
            phase="Pending",
            init_containers=[{"name": "a", "image": "busybox"}, {"name": "b", "image": "busybox"}],
            init_statuses=[
                container_status("a", ready=False, state=terminated("Completed", 0)),
                container_status("b", ready=False),
            ],
            statuses=[container_status("keycloak", ready=False, state=waiting("PodInitializing"))],
        ),
        [],
        State.PROGRESSING,
        "PodInitializing",
        "Init:1/2",
    ),
    (
        "create-container-config-error",
        _waiting_pod(
            "CreateContainerConfigError",
            'secret "pdns-pg-app" not found',
            pod_name="powerdns-6c9f7d-x2v9k",
            app="powerdns",
        ),
        [],
        State.FAILED,
        "CreateContainerConfigError",
        "CreateContainerConfigError",
    ),
    (
        "unschedulable-unbound-pvc",
        pod(
            "loki-0",
            "loki",
            phase="Pending",
            node=None,
            claims=["storage-loki-0"],
            statuses=[],
            conditions=[unschedulable(PVC_MSG)],
        ),
        [event_v1(LOKI, "FailedScheduling", PVC_MSG, controller="default-scheduler")],
        State.WAITING,  # it waits on its claim, which explains it
        "Unschedulable",
        "Pending",
    ),
    (
        "container-creating-multi-attach",
        pod(
            "loki-0",
            "loki",
            phase="Pending",
            claims=["storage-loki-0"],
            statuses=[container_status("loki", ready=False, state=waiting("ContainerCreating"))],
        ),
        [
            event(LOKI, "FailedAttachVolume", MULTI, component="attachdetach-controller", last=50),
            event(LOKI, "FailedMount", MOUNT, last=70),
        ],
        State.FAILED,
        "FailedAttachVolume",
        "ContainerCreating",
    ),
    (
        "container-creating-mount-timeout",
        pod(
            "loki-0",
            "loki",
            phase="Pending",
            statuses=[container_status("loki", ready=False, state=waiting("ContainerCreating"))],
        ),
        [event(LOKI, "FailedMount", MOUNT)],
        State.FAILED,
        "FailedMount",
        "ContainerCreating",
    ),
    (
        "container-creating-quietly",
        pod(
            "loki-0",
            "loki",
            phase="Pending",
            statuses=[container_status("loki", ready=False, state=waiting("ContainerCreating"))],
        ),
        [event(LOKI, "Pulling", 'Pulling image "ghcr.io/openova-io/loki:3.0.0"', type_="Normal")],
        State.PROGRESSING,
        "ContainerCreating",
        "ContainerCreating",
    ),
    (
        "readiness-failing",
        pod("openbao-0", "openbao", statuses=[container_status("openbao", ready=False)]),
        [
            event(
                ("Pod", "openbao", "openbao-0"),
                "Unhealthy",
                "Readiness probe failed: HTTP probe failed with statuscode: 503",
                count=42,
                field_path="spec.containers{openbao}",
            )
        ],
        State.PROGRESSING,
        "Unhealthy",
        "Running",
    ),
    (
        "liveness-restarting",
        pod("valkey-0", "valkey", statuses=[container_status("valkey", ready=False, restarts=3)]),
        [
            event(
                ("Pod", "valkey", "valkey-0"),
                "Unhealthy",
                "Liveness probe failed: dial tcp 10.42.0.17:6379: connect: connection refused",
                count=9,
                field_path="spec.containers{valkey}",
            ),
            event(
                ("Pod", "valkey", "valkey-0"),
                "Killing",
                "Container valkey failed liveness probe, will be restarted",
                count=3,
                field_path="spec.containers{valkey}",
            ),
        ],
        State.FAILED,
        "LivenessProbeFailed",
        "Running",
    ),
    (
        "job-completed",
        pod(
            "gitea-sso-setup-x7k2p",
            "gitea",
            phase="Succeeded",
            statuses=[container_status("setup", ready=False, state=terminated("Completed", 0))],
        ),
        [],
        State.READY,
        "Completed",
        "Completed",
    ),
    (
        "evicted",
        dict(
            pod("x-1", "trivy-system"),
            status={
                "phase": "Failed",
                "reason": "Evicted",
                "message": "The node was low on resource: ephemeral-storage.",
            },
        ),
        [],
        State.FAILED,
        "Evicted",
        "Evicted",
    ),
    (
        "terminating",
        pod("loki-0", "loki", deleting=True),
        [],
        State.PROGRESSING,
        "Terminating",
        "Terminating",
    ),
]


@pytest.mark.parametrize(
    ("obj", "events", "state", "reason", "status"),
    [c[1:] for c in POD_CASES],
    ids=[c[0] for c in POD_CASES],
)
def test_assess_pod(obj, events, state, reason, status):
    health = assess_pod(obj, normalized_for(events))
    assert (health.verdict.state, health.verdict.reason, health.status) == (state, reason, status)
    assert "\n" not in health.verdict.message


def test_multi_attach_wins_and_names_the_holder():
    p = pod(
        "loki-0",
        "loki",
        phase="Pending",
        statuses=[container_status("loki", ready=False, state=waiting("ContainerCreating"))],
    )
    health = assess_pod(
        p,
        normalized_for(
            [
                event(LOKI, "FailedMount", MOUNT, last=90),
                event(LOKI, "FailedAttachVolume", MULTI, last=50),
            ]
        ),
    )
    assert "loki-0-old" in health.verdict.message
    assert health.volume_event is not None
    assert health.volume_event.reason == "FailedAttachVolume"


def test_unschedulable_names_the_claims():
    case = next(c for c in POD_CASES if c[0] == "unschedulable-unbound-pvc")
    health = assess_pod(case[1], normalized_for(case[2]))
    assert "unbound immediate PersistentVolumeClaims" in health.verdict.message
    assert "storage-loki-0" in health.verdict.message


def test_crashloop_message_has_exit_and_restarts():
    health = assess_pod(
        pod(
            "loki-0",
            "loki",
            statuses=[_crashloop(message="panic: open /var/loki/wal: permission denied")],
        ),
        [],
    )
    assert health.verdict.message == (
        "container loki exited 1 (Error), restarted 7 times: panic: open /var/loki/wal: permission denied"
    )
    assert health.restarts == 7


PROBE_CASES = [
    (
        "ready-passes",
        container_status("app"),
        [],
        {"readiness": "passing", "liveness": "passing", "startup": "none"},
    ),
    (
        "readiness-failing-in-current-run",
        container_status("app", ready=False),
        [("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", 60, 5)],
        {"readiness": "failing", "liveness": "passing", "startup": "none"},
    ),
    (
        "old-liveness-failure-before-restart-does-not-stick",
        container_status("app", restarts=1, state={"running": {"startedAt": ts(100)}}),
        [
            (
                "Unhealthy",
                'Liveness probe failed: Get "http://10.42.0.9:8080/healthz": context deadline exceeded',
                60,
                3,
            )
        ],
        {"readiness": "passing", "liveness": "passing", "startup": "none"},
    ),
    (
        "not-ready-no-events-is-unknown",
        container_status("app", ready=False, started=False),
        [],
        {"readiness": "unknown", "liveness": "unknown", "startup": "none"},
    ),
    (
        "startup-failing",
        container_status("app", ready=False, started=False),
        [("Unhealthy", "Startup probe failed: HTTP probe failed with statuscode: 500", 60, 12)],
        {"readiness": "unknown", "liveness": "unknown", "startup": "failing"},
    ),
    (
        "probe-errored-counts-as-failure",
        container_status("app", ready=False),
        [
            (
                "Unhealthy",
                "Readiness probe errored: rpc error: code = Unknown desc = container not running",
                60,
                1,
            )
        ],
        {"readiness": "failing", "liveness": "passing", "startup": "none"},
    ),
]


@pytest.mark.parametrize(
    ("status", "evs", "expected"), [c[1:] for c in PROBE_CASES], ids=[c[0] for c in PROBE_CASES]
)
def test_probes(status, evs, expected):
    containers = [
        {
            "name": "app",
            "image": "x",
            "readinessProbe": http_probe(),
            "livenessProbe": http_probe("/healthz"),
        }
    ]
    if "startup" in evs[0][1].lower() if evs else False:
        containers[0]["startupProbe"] = http_probe("/started")
    p = pod("app-0", "apps", containers=containers, statuses=[status])
    raw = [
        event(("Pod", "apps", "app-0"), r, m, last=last, count=n, field_path="spec.containers{app}")
        for r, m, last, n in evs
    ]
    health = assess_pod(p, normalized_for(raw))
    assert {k: v.state for k, v in health.probes.items()} == expected


def test_probe_count_and_last_message_from_series():
    p = pod(
        "app-0",
        "apps",
        statuses=[container_status("app", ready=False)],
        containers=[{"name": "app", "image": "x", "readinessProbe": http_probe()}],
    )
    raw = [
        event_v1(
            ("Pod", "apps", "app-0"),
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            series_count=17,
            field_path="spec.containers{app}",
            at=20,
            last=80,
        ),
        event(
            ("Pod", "apps", "app-0"),
            "Unhealthy",
            'Readiness probe failed: Get "http://10.42.1.3:8080/ready": dial tcp 10.42.1.3:8080: connect: connection refused',
            count=2,
            field_path="spec.containers{app}",
            last=15,
        ),
    ]
    readiness = assess_pod(p, normalized_for(raw)).probes["readiness"]
    assert readiness.state == "failing"
    assert readiness.failures == 19
    assert (
        readiness.last_message == "Readiness probe failed: HTTP probe failed with statuscode: 503"
    )
    assert assess_pod(p, []).probes["liveness"].state == "none"
