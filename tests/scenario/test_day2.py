"""The day2 scenario: upgrades (clean, rolled back and retried, stalled), unlimited install
retries and a failing CSI attach, with helm-controller's and Kubernetes' exact shapes."""

from __future__ import annotations

import pytest

from sovsim.controllers.common import get_condition, is_ready

from .conftest import HR, play


@pytest.fixture(scope="module")
def day2():
    return play("day2")


def _hr_changes(played, name: str) -> list[dict]:
    return [
        c.obj for _, c in played.changes if c.resource == HR and c.obj["metadata"]["name"] == name
    ]


def _reasons(played, namespace: str, name: str) -> list[str]:
    events = sorted(
        played.events_for(namespace, name),
        key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]),
    )
    return [e["reason"] for e in events]


def test_clean_upgrade(day2):
    hr = day2.hr("bp-cert-manager")
    assert hr["metadata"]["generation"] == 2
    assert hr["spec"]["chart"]["spec"]["version"] == "1.1.2"
    assert is_ready(hr)
    msg = "Helm upgrade succeeded for release cert-manager/cert-manager.v2 with chart bp-cert-manager@1.1.2"
    for type_ in ("Ready", "Released"):
        cond = get_condition(hr, type_)
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "True",
            "UpgradeSucceeded",
            msg,
        )
    assert hr["status"]["lastAttemptedReleaseAction"] == "upgrade"
    assert hr["status"]["lastAttemptedRevision"] == "1.1.2"
    assert [(s["version"], s["status"], s["chartVersion"]) for s in hr["status"]["history"]] == [
        (2, "deployed", "1.1.2"),
        (1, "superseded", "1.1.1"),
    ]
    progressing = [
        get_condition(o, "Ready")
        for o in _hr_changes(day2, "bp-cert-manager")
        if o["metadata"]["generation"] == 2
    ]
    assert any(
        c is not None
        and (c["status"], c["reason"], c["message"])
        == ("Unknown", "Progressing", "Running 'upgrade' action with timeout of 5m0s")
        for c in progressing
    )
    chart = day2.store.get(
        "helmcharts.source.toolkit.fluxcd.io", "flux-system", "flux-system-bp-cert-manager"
    )
    assert chart["spec"]["version"] == "1.1.2"
    assert is_ready(chart)
    assert _reasons(day2, "flux-system", "bp-cert-manager")[-1] == "UpgradeSucceeded"


def test_failed_upgrade_is_rolled_back_then_retried(day2):
    hr = day2.hr("bp-keycloak")
    assert is_ready(hr)
    assert get_condition(hr, "Ready")["message"] == (
        "Helm upgrade succeeded for release keycloak/keycloak.v4 with chart bp-keycloak@1.3.0"
    )
    assert hr["status"]["upgradeFailures"] == 1
    assert hr["status"]["failures"] == 1
    failed = next(
        o
        for o in _hr_changes(day2, "bp-keycloak")
        if (get_condition(o, "Ready") or {}).get("reason") == "UpgradeFailed"
    )
    ready = get_condition(failed, "Ready")
    assert ready["status"] == "False"
    assert ready["message"].startswith(
        "Helm upgrade failed for release keycloak/keycloak with chart bp-keycloak@1.3.0: "
        'cannot patch "keycloak" with kind StatefulSet'
    )
    assert get_condition(failed, "Released")["reason"] == "UpgradeFailed"
    assert get_condition(failed, "Reconciling")["message"] == (
        "Running 'rollback' action with timeout of 5m0s"
    )
    assert failed["status"]["history"][0]["status"] == "failed"
    rolled = next(
        o
        for o in _hr_changes(day2, "bp-keycloak")
        if (get_condition(o, "Remediated") or {}).get("reason") == "RollbackSucceeded"
    )
    msg = "Helm rollback to previous release keycloak/keycloak.v1 with chart bp-keycloak@1.2.0 succeeded"
    assert get_condition(rolled, "Remediated")["message"] == msg
    assert (get_condition(rolled, "Ready")["status"], get_condition(rolled, "Ready")["reason"]) == (
        "False",
        "RollbackSucceeded",
    )
    assert get_condition(rolled, "Reconciling")["reason"] == "ProgressingWithRetry"
    assert [
        (s["version"], s["status"], s["chartVersion"]) for s in rolled["status"]["history"]
    ] == [
        (3, "deployed", "1.2.0"),
        (2, "superseded", "1.3.0"),
        (1, "superseded", "1.2.0"),
    ]
    assert _reasons(day2, "flux-system", "bp-keycloak")[-3:] == [
        "UpgradeFailed",
        "RollbackSucceeded",
        "UpgradeSucceeded",
    ]


def test_upgrade_stalls_when_retries_run_out(day2):
    hr = day2.hr("bp-gitea")
    assert hr["spec"]["upgrade"]["remediation"]["retries"] == 1
    stalled = get_condition(hr, "Stalled")
    assert (stalled["status"], stalled["reason"], stalled["message"]) == (
        "True",
        "RetriesExceeded",
        "Failed to upgrade after 2 attempt(s)",
    )
    assert hr["status"]["upgradeFailures"] == 2
    ready = get_condition(hr, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "UpgradeFailed")
    assert ready["message"] == (
        "Helm upgrade failed for release gitea/gitea with chart bp-gitea@1.1.0: context deadline exceeded"
    )
    assert get_condition(hr, "Reconciling") is None
    assert hr["status"]["history"][0]["status"] == "failed"  # the last failure is not rolled back
    assert _reasons(day2, "flux-system", "bp-gitea").count("RollbackSucceeded") == 1


def test_unlimited_install_retries(day2):
    hr = day2.hr("bp-trivy")
    assert hr["spec"]["install"]["remediation"]["retries"] == -1
    assert is_ready(hr)
    assert hr["status"]["installFailures"] == 4
    assert get_condition(hr, "Stalled") is None
    assert _reasons(day2, "flux-system", "bp-trivy").count("InstallFailed") == 1  # aggregated
    failed = next(
        e for e in day2.events_for("flux-system", "bp-trivy") if e["reason"] == "InstallFailed"
    )
    assert failed["count"] == 4


@pytest.fixture(scope="module")
def attaching():
    return play("day2", 150)


def test_attach_error_on_the_volume_attachment_and_the_pod(attaching):
    pvc = attaching.store.get("persistentvolumeclaims", "loki", "storage-loki-0")
    volume = pvc["spec"]["volumeName"]
    [va] = [
        v
        for v in attaching.store.list("volumeattachments.storage.k8s.io")[0]
        if v["spec"]["source"]["persistentVolumeName"] == volume
    ]
    message = (
        "rpc error: code = Internal desc = failed to attach volume: "
        "cannot perform operation because server is locked (locked)"
    )
    assert va["status"]["attached"] is False
    assert set(va["status"]["attachError"]) == {"time", "message"}
    assert va["status"]["attachError"]["message"] == message
    pod = attaching.store.get("pods", "loki", "loki-0")
    assert va["spec"]["nodeName"] == pod["spec"]["nodeName"]
    [event] = [
        e for e in attaching.events_for("loki", "loki-0") if e["reason"] == "FailedAttachVolume"
    ]
    assert event["type"] == "Warning"
    assert event["message"] == f'AttachVolume.Attach failed for volume "{volume}" : {message}'
    assert event["source"] == {"component": "attachdetach-controller"}
    assert event["count"] >= 2
    assert pod["status"]["phase"] == "Pending"


def test_attach_recovers(day2):
    pod = day2.store.get("pods", "loki", "loki-0")
    assert get_condition(pod, "Ready")["status"] == "True"
    [va] = day2.store.list("volumeattachments.storage.k8s.io")[0]
    assert va["status"]["attached"] is True
    assert "attachError" not in va["status"]
    assert "SuccessfulAttachVolume" in _reasons(day2, "loki", "loki-0")
