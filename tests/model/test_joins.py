"""Release → workloads → pods joins, and the release state rule ("released · 2/3 pods ready")."""

from __future__ import annotations

import pytest

from sovwatch.model.snapshot import build_snapshot
from sovwatch.model.states import State
from tests.model.builders import (
    T0_EPOCH,
    container_status,
    hr_ready,
    pod,
    replicaset,
    store_of,
    terminated,
    waiting,
    workload,
)


def _release(*objects, name="bp-grafana"):
    snap = build_snapshot(store_of(*objects), now=T0_EPOCH + 60)
    return snap.release("flux-system", name)


def test_deployment_replicaset_pod_chain_via_helm_controller_labels():
    """Only the Deployment carries helm-controller's labels; the pod is found through its owners."""
    dep = workload("Deployment", "grafana", "grafana", release="grafana", hr="bp-grafana")
    dep["metadata"]["labels"].pop("app.kubernetes.io/instance")
    dep["metadata"].pop("annotations")
    rs = replicaset("grafana", "grafana", release="grafana")
    rs["metadata"]["labels"] = {"pod-template-hash": "7d9c5b8f6c"}
    p = pod(
        "grafana-7d9c5b8f6c-x2v9k",
        "grafana",
        owner=("ReplicaSet", rs["metadata"]["name"]),
        labels={"pod-template-hash": "7d9c5b8f6c"},
    )
    view = _release(hr_ready("bp-grafana"), dep, rs, p)
    assert [q.key[2] for q in view.core.pods] == ["grafana-7d9c5b8f6c-x2v9k"]
    assert view.core.verdict.state is State.READY
    assert view.core.verdict.message == "released · 1/1 pods ready"


def test_release_name_differs_from_hr_name_instance_label():
    """bootstrap-kit: HR bp-loki, targetNamespace loki, releaseName loki; pods labelled instance=loki."""
    objs = [
        hr_ready("bp-loki"),
        pod("loki-0", "loki", release="loki"),
        pod("loki-0", "other", release="loki"),
    ]
    view = _release(*objs, name="bp-loki")
    assert [q.key for q in view.core.pods] == [("Pod", "loki", "loki-0")]


def test_helm_release_name_annotation_on_statefulset():
    sts = workload("StatefulSet", "openbao", "openbao", release="openbao")
    sts["metadata"]["labels"] = {}
    p = pod("openbao-0", "openbao", owner=("StatefulSet", "openbao"))
    view = _release(hr_ready("bp-openbao"), sts, p, name="bp-openbao")
    assert [q.key[2] for q in view.core.pods] == ["openbao-0"]


def test_daemonset_and_job_pods():
    ds = workload("DaemonSet", "alloy", "alloy", release="alloy", replicas=3, ready=2)
    job = workload("Job", "alloy-migrate", "alloy", release="alloy", replicas=1, ready=1)
    pods = [
        pod(
            f"alloy-{i}",
            "alloy",
            owner=("DaemonSet", "alloy"),
            statuses=[container_status("alloy", ready=i < 2)],
        )
        for i in range(3)
    ]
    done = pod(
        "alloy-migrate-8k2lp",
        "alloy",
        owner=("Job", "alloy-migrate"),
        phase="Succeeded",
        statuses=[container_status("alloy", ready=False, state=terminated("Completed", 0))],
    )
    view = _release(hr_ready("bp-alloy"), ds, job, *pods, done, name="bp-alloy")
    assert (view.core.workloads.ready, view.core.workloads.total) == (3, 4)
    assert view.core.verdict.state is State.PROGRESSING
    assert view.core.verdict.message == "released · 3/4 pods ready"
    assert view.core.helm.state is State.READY


def test_expected_pods_from_replicas_before_pods_exist():
    sts = workload("StatefulSet", "mimir-ingester", "mimir", release="mimir", replicas=3, ready=0)
    view = _release(hr_ready("bp-mimir"), sts, name="bp-mimir")
    assert (view.core.workloads.ready, view.core.workloads.total) == (0, 3)
    assert view.core.verdict.state is State.PROGRESSING


@pytest.mark.parametrize(
    ("status", "state", "reason"),
    [
        (
            container_status(
                "loki",
                ready=False,
                restarts=5,
                state=waiting("CrashLoopBackOff", "back-off 2m40s"),
                last=terminated(),
            ),
            State.FAILED,
            "CrashLoopBackOff",
        ),
        (
            container_status(
                "loki", ready=False, state=waiting("ImagePullBackOff", 'Back-off pulling image "x"')
            ),
            State.FAILED,
            "ImagePullBackOff",
        ),
        (
            container_status(
                "loki", ready=False, state=waiting("InvalidImageName", "invalid reference format")
            ),
            State.STALLED,
            "InvalidImageName",
        ),
    ],
    ids=["crashloop", "image-pull", "invalid-image"],
)
def test_ready_helmrelease_with_broken_pods_is_not_ready(status, state, reason):
    view = _release(
        hr_ready("bp-loki"),
        pod("loki-0", "loki", release="loki", statuses=[status]),
        name="bp-loki",
    )
    assert view.core.helm.state is State.READY
    assert (view.core.verdict.state, view.core.verdict.reason) == (state, reason)
    assert view.core.verdict.message.startswith("released · 0/1 pods ready · pod loki-0: ")


def test_no_pods_release_is_ready():
    view = _release(hr_ready("bp-syft-grype"), name="bp-syft-grype")
    assert view.core.verdict.state is State.READY
    assert view.core.verdict.message == "released · no pods"
