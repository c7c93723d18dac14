"""Root causes: follow waiting chains to the first release that is not just waiting, then down to
its pod, probe or volume. Cycles and missing dependencies end the walk."""

from __future__ import annotations

from sovwatch.model.snapshot import build_snapshot
from sovwatch.model.states import State
from tests.model.builders import (
    MULTI_ATTACH,
    T0_EPOCH,
    cond,
    container_status,
    event,
    helmchart,
    helmrelease,
    hr_install_failed,
    hr_installing,
    hr_ready,
    hr_waiting,
    loki_multi_attach,
    pod,
    pvc,
    store_of,
    terminated,
    unschedulable,
    waiting,
    workload,
)

GHCR = (
    "failed to get authentication secret 'flux-system/ghcr-pull': secrets \"ghcr-pull\" not found"
)
PVC_MSG = "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."


def _cause(objects, name):
    snap = build_snapshot(store_of(*objects), now=T0_EPOCH + 300)
    view = snap.release("flux-system", name)
    assert view is not None
    return view.root_cause


def _loki_multi_attach():
    return [
        hr_ready("bp-seaweedfs"),
        hr_installing("bp-loki", depends_on=["bp-seaweedfs"], disable_wait=False),
        hr_waiting("bp-grafana", "bp-loki", depends_on=["bp-loki", "bp-seaweedfs"]),
        workload("StatefulSet", "loki", "loki", release="loki", hr="bp-loki"),
        *loki_multi_attach(owner=("StatefulSet", "loki")),
    ]


def test_chain_to_multi_attach_volume():
    rc = _cause(_loki_multi_attach(), "bp-grafana")
    assert rc.text == f"bp-grafana ← bp-loki ← pod loki/loki-0 ContainerCreating ← {MULTI_ATTACH}"
    assert (rc.cause.kind, rc.cause.namespace, rc.cause.name) == (
        "PersistentVolumeClaim",
        "loki",
        "storage-loki-0",
    )
    assert (rc.cause.state, rc.cause.reason) == (State.FAILED, "Multi-Attach")
    assert "loki-0-old" in rc.cause.message


def test_ready_release_has_no_root_cause():
    assert _cause(_loki_multi_attach(), "bp-seaweedfs") is None


def test_source_not_ready_follows_to_the_helmchart():
    objs = [
        helmrelease(
            "bp-cilium",
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "SourceNotReady",
                    f"HelmChart 'flux-system/flux-system-bp-cilium' is not ready: {GHCR}",
                )
            ],
        ),
        hr_waiting("bp-cert-manager", "bp-cilium"),
        helmchart(
            "bp-cilium",
            conditions=[
                cond("Ready", "False", "AuthenticationFailed", GHCR, gen=1),
                cond("Reconciling", "True", "ProgressingWithRetry", "retrying", gen=1),
            ],
        ),
    ]
    rc = _cause(objs, "bp-cert-manager")
    assert (
        rc.text
        == f"bp-cert-manager ← bp-cilium ← HelmChart flux-system/flux-system-bp-cilium ← {GHCR}"
    )
    assert (rc.cause.kind, rc.cause.reason, rc.cause.state) == (
        "HelmChart",
        "AuthenticationFailed",
        State.FAILED,
    )


def test_source_missing_helmchart_not_created_yet():
    objs = [
        helmrelease(
            "bp-x",
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "ArtifactFailed",
                    "HelmChart 'flux-system/flux-system-bp-x' is not ready",
                )
            ],
        )
    ]
    rc = _cause(objs, "bp-x")
    assert (rc.cause.kind, rc.cause.reason) == ("HelmChart", "NotFound")


def test_stalled_install_is_the_cause_and_hopeless():
    objs = [
        hr_install_failed(
            "bp-seaweedfs",
            'parse error at (seaweedfs/templates/security-configmap.yaml:21): function "fromToml" not defined',
            failures=4,
            stalled=True,
        ),
        hr_waiting("bp-loki", "bp-seaweedfs"),
        hr_waiting("bp-grafana", "bp-loki"),
    ]
    rc = _cause(objs, "bp-grafana")
    assert rc.chain[:2] == ("bp-grafana", "bp-loki")
    assert rc.chain[2] == "bp-seaweedfs"
    assert (rc.cause.name, rc.cause.state, rc.cause.reason) == (
        "bp-seaweedfs",
        State.STALLED,
        "RetriesExceeded",
    )
    assert "fromToml" in rc.cause.message
    assert rc.hopeless


def test_crashlooping_pod_of_failed_wait_release():
    objs = [
        hr_install_failed(
            "bp-keycloak", "context deadline exceeded", failures=1, disable_wait=False
        ),
        hr_waiting("bp-gitea", "bp-keycloak"),
        pod(
            "keycloak-0",
            "keycloak",
            release="keycloak",
            statuses=[
                container_status(
                    "keycloak",
                    ready=False,
                    restarts=6,
                    state=waiting("CrashLoopBackOff", "back-off 5m0s"),
                    last=terminated(
                        "Error", 1, "ERROR: value too long for type character varying(255)"
                    ),
                )
            ],
        ),
    ]
    rc = _cause(objs, "bp-gitea")
    assert rc.text.startswith(
        "bp-gitea ← bp-keycloak ← pod keycloak/keycloak-0 CrashLoopBackOff ← container keycloak exited 1 (Error), restarted 6 times"
    )
    assert (rc.cause.kind, rc.cause.reason) == ("Pod", "CrashLoopBackOff")


def test_init_container_crash_in_ready_release():
    objs = [
        hr_ready("bp-harbor"),
        pod(
            "harbor-core-0",
            "harbor",
            release="harbor",
            phase="Pending",
            init_containers=[{"name": "wait-for-db", "image": "busybox"}],
            init_statuses=[
                container_status(
                    "wait-for-db",
                    ready=False,
                    restarts=3,
                    state=waiting("CrashLoopBackOff", "back-off"),
                    last=terminated("Error", 1),
                )
            ],
            statuses=[container_status("core", ready=False, state=waiting("PodInitializing"))],
        ),
    ]
    rc = _cause(objs, "bp-harbor")
    assert rc.text.startswith(
        "bp-harbor ← pod harbor/harbor-core-0 Init:CrashLoopBackOff ← init container wait-for-db exited 1"
    )


def test_unschedulable_pod_explained_by_its_claim():
    objs = [
        hr_ready("bp-keycloak"),
        pod(
            "keycloak-postgresql-0",
            "keycloak",
            release="keycloak",
            phase="Pending",
            node=None,
            claims=["data-keycloak-postgresql-0"],
            statuses=[],
            conditions=[unschedulable(PVC_MSG)],
        ),
        pvc("data-keycloak-postgresql-0", "keycloak", phase="Pending", storage_class=""),
        event(
            ("PersistentVolumeClaim", "keycloak", "data-keycloak-postgresql-0"),
            "FailedBinding",
            "no persistent volumes available for this claim and no storage class is set",
            component="persistentvolume-controller",
        ),
    ]
    rc = _cause(objs, "bp-keycloak")
    assert (
        rc.text
        == "bp-keycloak ← pod keycloak/keycloak-postgresql-0 Pending ← pvc keycloak/data-keycloak-postgresql-0 Pending ← FailedBinding: no persistent volumes available for this claim and no storage class is set"
    )
    assert (rc.cause.kind, rc.cause.reason) == ("PersistentVolumeClaim", "FailedBinding")


def test_readiness_probe_is_the_cause_of_a_slow_release():
    objs = [
        hr_ready("bp-openbao"),
        pod(
            "openbao-0",
            "openbao",
            release="openbao",
            statuses=[container_status("openbao", ready=False)],
        ),
        event(
            ("Pod", "openbao", "openbao-0"),
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            count=30,
            field_path="spec.containers{openbao}",
        ),
    ]
    rc = _cause(objs, "bp-openbao")
    assert (
        rc.text
        == "bp-openbao ← pod openbao/openbao-0 Running ← container openbao: Readiness probe failed: HTTP probe failed with statuscode: 503 (30×)"
    )
    assert rc.cause.state is State.PROGRESSING


def test_missing_dependency():
    rc = _cause([hr_waiting("bp-x", "bp-gone")], "bp-x")
    assert rc.text == "bp-x ← bp-gone (missing)"
    assert (rc.cause.name, rc.cause.reason) == ("bp-gone", "NotFound")
    assert rc.hopeless


def test_cycle_is_reported_not_looped():
    objs = [hr_waiting("bp-a", "bp-b"), hr_waiting("bp-b", "bp-c"), hr_waiting("bp-c", "bp-a")]
    rc = _cause(objs, "bp-a")
    assert rc.cause.reason == "DependencyCycle"
    assert rc.cause.message == "dependency cycle: bp-a ← bp-b ← bp-c ← bp-a"
    assert _cause([hr_waiting("bp-self", "bp-self")], "bp-self").cause.reason == "DependencyCycle"


def test_prefers_a_blocker_that_is_not_just_waiting():
    objs = [
        hr_ready("bp-seaweedfs"),
        hr_waiting("bp-loki", "bp-mimir"),
        hr_installing("bp-mimir"),
        hr_install_failed("bp-keycloak", "boom", failures=1),
        hr_waiting("bp-grafana", "bp-loki", depends_on=["bp-loki", "bp-keycloak", "bp-seaweedfs"]),
    ]
    snap = build_snapshot(store_of(*objs), now=T0_EPOCH)
    view = snap.release("flux-system", "bp-grafana")
    assert view.root_cause.chain[1] == "bp-keycloak"
    assert [k[2] for k in view.blocked_by] == ["bp-loki", "bp-keycloak"]


def test_cross_namespace_dependency_label():
    objs = [
        hr_install_failed("bp-db", "boom", failures=1),
        hr_waiting("app", "bp-db", depends_on=[{"name": "bp-db", "namespace": "flux-system"}]),
    ]
    objs[1]["metadata"]["namespace"] = "apps"
    rc = build_snapshot(store_of(*objs), now=T0_EPOCH).release("apps", "app").root_cause
    assert rc.chain[:2] == ("app", "flux-system/bp-db")


def test_retry_due_when_every_dependency_is_ready_by_now():
    """helm-controller still says DependencyNotReady (naming bp-cert-manager) although bp-cert-manager
    is Ready: the release is not blocked, the controller has not re-checked yet; a release waiting
    on it carries the same cause down its chain."""
    objs = [
        hr_ready("bp-cert-manager"),
        hr_waiting("bp-flux", "bp-cert-manager"),
        hr_waiting("bp-cnpg", "bp-flux"),
    ]
    own = _cause(objs, "bp-flux")
    assert own.text == "bp-flux ← bp-cert-manager"
    assert (own.cause.name, own.cause.state, own.cause.reason) == (
        "bp-flux",
        State.WAITING,
        "RetryDue",
    )
    assert (
        own.cause.message == "bp-cert-manager is ready; helm-controller has not re-checked it yet"
    )
    assert not own.hopeless
    below = _cause(objs, "bp-cnpg")
    assert below.text == "bp-cnpg ← bp-flux ← bp-cert-manager"
    assert below.cause == own.cause


def test_retry_due_with_a_message_that_names_no_dependency():
    release = hr_waiting("bp-flux", "bp-cert-manager")
    release["status"]["conditions"][0]["message"] = "dependencies are being checked"
    rc = _cause([hr_ready("bp-cert-manager"), release], "bp-flux")
    assert rc.text == "bp-flux"
    assert rc.cause.reason == "RetryDue"
