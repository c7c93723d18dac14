"""Which container run's log explains a pod that is a root cause, and never a healthy one's."""

from __future__ import annotations

import pytest

from sovwatch.model.events import normalize
from sovwatch.model.log_excerpts import log_target, read_excerpt
from sovwatch.model.pod import assess_pod
from tests.model.builders.core import (
    container_status,
    event,
    http_probe,
    pod,
    terminated,
    waiting,
)

UID = "6b1f0c2e-uid"
CRASHED = container_status(
    "loki",
    ready=False,
    restarts=12,
    state=waiting("CrashLoopBackOff", "back-off 5m0s restarting failed container=loki"),
    last=terminated(),
)


def target(p: dict, events=()):
    return log_target(assess_pod(p, [normalize(e) for e in events]), UID)


def two(statuses: list[dict], **kw) -> dict:
    return pod(
        "loki-0",
        "loki",
        containers=[
            {"name": s["name"], "image": "grafana/loki:3.1.1", "readinessProbe": http_probe()}
            for s in statuses
        ],
        statuses=statuses,
        **kw,
    )


def test_a_crashed_container_is_read_from_its_previous_run():
    t = target(two([CRASHED]))
    assert (t.namespace, t.pod, t.uid, t.container, t.previous, t.restarts) == (
        "loki",
        "loki-0",
        UID,
        "loki",
        True,
        12,
    )


def test_a_restarted_container_running_unready_is_read_from_the_run_that_crashed():
    restarted = container_status("loki", ready=False, restarts=3, last=terminated())
    t = target(two([restarted]))
    assert (t.container, t.previous, t.restarts) == ("loki", True, 3)


def test_the_crashed_container_is_chosen_over_a_sidecar_that_is_only_unready():
    unready = container_status("sidecar", ready=False)
    probe_failing = event(
        ("Pod", "loki", "loki-0"),
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        field_path="spec.containers{sidecar}",
    )
    t = target(two([unready, CRASHED]), [probe_failing])
    assert (t.container, t.previous) == ("loki", True)


def test_a_running_container_failing_its_readiness_probe_is_read_from_the_current_run():
    unready = container_status("loki", ready=False)
    probe_failing = event(
        ("Pod", "loki", "loki-0"),
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        field_path="spec.containers{loki}",
    )
    t = target(two([unready]), [probe_failing])
    assert (t.container, t.previous, t.restarts) == ("loki", False, 0)


def test_a_failed_init_container_holds_the_others_back():
    p = pod(
        "loki-0",
        "loki",
        phase="Pending",
        init_containers=[{"name": "chown", "image": "busybox:1.36"}],
        init_statuses=[
            container_status(
                "chown",
                ready=False,
                restarts=2,
                state=waiting("CrashLoopBackOff"),
                last=terminated(),
            )
        ],
        statuses=[container_status("loki", ready=False, state=waiting("PodInitializing"))],
    )
    t = target(p)
    assert (t.container, t.previous) == ("chown", True)


@pytest.mark.parametrize(
    "status",
    [
        container_status("loki"),  # ready
        container_status("loki", ready=False),  # starting, no failing probe: nothing to say yet
        container_status("loki", ready=False, state=waiting("ImagePullBackOff")),
        container_status("loki", ready=False, state=waiting("CreateContainerConfigError")),
        container_status("loki", ready=False, state=waiting("ContainerCreating")),
    ],
    ids=["ready", "starting", "image-pull", "config-error", "creating"],
)
def test_no_log_worth_reading(status):
    assert target(two([status])) is None


def test_no_uid_no_target():
    assert log_target(assess_pod(two([CRASHED]), []), "") is None


def test_read_excerpt_judges_the_decisive_line():
    obj = {
        "kind": "LogExcerpt",
        "metadata": {"namespace": "loki", "name": "loki-0/loki"},
        "pod": {"name": "loki-0", "uid": UID},
        "container": "loki",
        "previous": True,
        "restartCount": 12,
        "lines": [
            'level=info msg="Starting Loki"',
            'level=error msg="error running loki" err="mkdir /var/loki/chunks: permission denied"',
        ],
    }
    name, uid, excerpt = read_excerpt(obj)
    assert (name, uid) == ("loki-0", UID)
    assert excerpt.to_dict() == {
        "container": "loki",
        "run": "previous",
        "restartCount": 12,
        "lines": obj["lines"],
        "decisive": "error running loki: mkdir /var/loki/chunks: permission denied",
    }
    assert read_excerpt({**obj, "lines": "not a list"}) is None


def test_controller_lines_are_neutralised_after_decoding():
    from sovwatch.model.controller_log import parse_line

    line = parse_line(
        '{"level":"error","ts":"t","msg":"Reconciler error","error":"\\u001b]52;c;ZXZpbA==\\u0007"}'
    )
    assert "\x1b" not in line.error
    assert line.error.startswith("␛]52;c;ZXZpbA==")
