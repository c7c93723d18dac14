"""HelmRelease classification: every rule of the ladder, with objects as helm-controller writes them."""

from __future__ import annotations

import pytest

from sovwatch.model.helmrelease import (
    chart_label,
    classify_helmrelease,
    dependencies,
    release_identity,
    retry_state,
    source_of,
)
from sovwatch.model.states import State
from tests.model.builders import (
    cond,
    helmrelease,
    hr_install_failed,
    hr_installing,
    hr_ready,
    hr_waiting,
)

V2BETA1 = "helm.toolkit.fluxcd.io/v2beta1"

CASES = [
    ("installed", hr_ready("bp-cilium"), State.READY, "InstallSucceeded"),
    (
        "stale-observed-generation",
        hr_ready("bp-loki", generation=3, observed=2),
        State.PROGRESSING,
        "LatestGenerationNotObserved",
    ),
    (
        "stale-condition-observed-generation",
        helmrelease(
            "bp-loki",
            generation=2,
            observed=2,
            conditions=[cond("Ready", "True", "UpgradeSucceeded", "Helm upgrade succeeded", gen=1)],
        ),
        State.PROGRESSING,
        "LatestGenerationNotObserved",
    ),
    ("unknown-at-reconcile-start", hr_installing("bp-mimir"), State.PROGRESSING, "Progressing"),
    (
        "unknown-reconciliation-in-progress",
        helmrelease(
            "bp-tempo",
            conditions=[cond("Ready", "Unknown", "Progressing", "reconciliation in progress")],
        ),
        State.PROGRESSING,
        "Progressing",
    ),
    (
        "unknown-while-retrying-is-not-failed",
        helmrelease(
            "bp-harbor",
            conditions=[
                cond(
                    "Ready",
                    "Unknown",
                    "Progressing",
                    "Running 'install' action with timeout of 5m0s",
                ),
                cond(
                    "Released",
                    "False",
                    "InstallFailed",
                    "Helm install failed for release harbor/harbor",
                ),
            ],
            status={"installFailures": 1, "lastAttemptedReleaseAction": "install"},
        ),
        State.PROGRESSING,
        "Progressing",
    ),
    ("no-status-yet", helmrelease("bp-vpa", observed=None), State.UNKNOWN, "NoStatus"),
    (
        "dependency-not-ready",
        hr_waiting("bp-grafana", "bp-loki"),
        State.WAITING,
        "DependencyNotReady",
    ),
    (
        "source-not-ready-v2",
        helmrelease(
            "bp-cilium",
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "SourceNotReady",
                    "HelmChart 'flux-system/flux-system-bp-cilium' is not ready: failed to get authentication "
                    "secret 'flux-system/ghcr-pull': secrets \"ghcr-pull\" not found",
                )
            ],
        ),
        State.WAITING,
        "SourceNotReady",
    ),
    (
        "artifact-failed-v2beta1",
        helmrelease(
            "bp-langfuse",
            api_version=V2BETA1,
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "ArtifactFailed",
                    "HelmChart 'flux-system/flux-system-bp-langfuse' is not ready",
                )
            ],
        ),
        State.WAITING,
        "ArtifactFailed",
    ),
    (
        "install-failed-retries-remain",
        hr_install_failed(
            "bp-seaweedfs",
            'parse error at (seaweedfs/templates/security-configmap.yaml:21): function "fromToml" not defined',
            failures=1,
        ),
        State.FAILED,
        "InstallFailed",
    ),
    (
        "stalled-condition",
        hr_install_failed("bp-seaweedfs", "context deadline exceeded", failures=4, stalled=True),
        State.STALLED,
        "RetriesExceeded",
    ),
    (
        "counters-exhausted-without-stalled",
        hr_install_failed("bp-spire", "context deadline exceeded", failures=4, retries=3),
        State.STALLED,
        "RetriesExceeded",
    ),
    (
        "default-zero-retries-one-failure",
        hr_install_failed("bp-spire", "context deadline exceeded", failures=1, retries=0),
        State.STALLED,
        "RetriesExceeded",
    ),
    (
        "unlimited-retries",
        hr_install_failed("bp-spire", "context deadline exceeded", failures=40, retries=-1),
        State.FAILED,
        "InstallFailed",
    ),
    (
        "upgrade-failed-counts-upgrade-failures",
        helmrelease(
            "bp-spire",
            retries=3,
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "UpgradeFailed",
                    "Helm upgrade failed for release spire-system/spire with chart bp-spire@1.1.3: context deadline exceeded",
                ),
                cond("Released", "False", "UpgradeFailed", "Helm upgrade failed"),
            ],
            status={
                "installFailures": 9,
                "upgradeFailures": 2,
                "lastAttemptedReleaseAction": "upgrade",
                "history": [{"chartName": "bp-spire", "chartVersion": "1.1.3", "status": "failed"}],
            },
        ),
        State.FAILED,
        "UpgradeFailed",
    ),
    (
        "v2beta1-retries-exhausted",
        helmrelease(
            "bp-langfuse",
            api_version=V2BETA1,
            conditions=[
                cond("Ready", "False", "InstallFailed", "install retries exhausted"),
                cond("Released", "False", "InstallFailed", "Helm install failed: chart pull error"),
            ],
            status={"failures": 4, "installFailures": 4},
        ),
        State.STALLED,
        "RetriesExceeded",
    ),
    (
        "v2beta1-reconciliation-failed-with-retries",
        helmrelease(
            "bp-langfuse",
            api_version=V2BETA1,
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "InstallFailed",
                    "Helm install failed: timed out waiting for the condition",
                )
            ],
            status={"failures": 1, "installFailures": 1, "lastReleaseRevision": 0},
        ),
        State.FAILED,
        "InstallFailed",
    ),
    (
        "v2beta1-progressing",
        helmrelease(
            "bp-keycloak",
            api_version=V2BETA1,
            conditions=[cond("Ready", "Unknown", "Progressing", "Reconciliation in progress")],
        ),
        State.PROGRESSING,
        "Progressing",
    ),
    (
        "v2beta2-ready",
        helmrelease(
            "bp-keycloak",
            api_version="helm.toolkit.fluxcd.io/v2beta2",
            conditions=[
                cond(
                    "Ready",
                    "True",
                    "UpgradeSucceeded",
                    "Helm upgrade succeeded for release keycloak/keycloak.v2 with chart bp-keycloak@1.1.2",
                )
            ],
        ),
        State.READY,
        "UpgradeSucceeded",
    ),
    (
        "suspended-even-if-failed",
        hr_install_failed("bp-gitea", "boom", failures=1, suspend=True),
        State.SUSPENDED,
        "Suspended",
    ),
    (
        "remediated-by-rollback-is-failed",
        helmrelease(
            "bp-keycloak",
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "RollbackSucceeded",
                    "Helm rollback to previous release keycloak/keycloak.v1 with chart bp-keycloak@1.1.1 succeeded",
                ),
                cond("Remediated", "True", "RollbackSucceeded", "Helm rollback succeeded"),
            ],
            status={"upgradeFailures": 1, "lastAttemptedReleaseAction": "upgrade"},
        ),
        State.FAILED,
        "RollbackSucceeded",
    ),
]


@pytest.mark.parametrize(
    ("hr", "state", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_classify_helmrelease(hr, state, reason):
    verdict = classify_helmrelease(hr)
    assert (verdict.state, verdict.reason) == (state, reason)
    assert "\n" not in verdict.message


def test_stalled_message_carries_the_helm_error():
    verdict = classify_helmrelease(
        hr_install_failed("bp-seaweedfs", "context deadline exceeded", failures=4, stalled=True)
    )
    assert verdict.message.startswith("Failed to install after 4 attempt(s): Helm install failed")
    assert "context deadline exceeded" in verdict.message


def test_failed_message_counts_attempts():
    verdict = classify_helmrelease(hr_install_failed("bp-seaweedfs", "boom", failures=2, retries=3))
    assert verdict.message.endswith("(failed 2 of 4 attempts)")


def test_retry_message_while_progressing_says_it_is_a_retry():
    hr = hr_installing(
        "bp-harbor", status={"installFailures": 2, "lastAttemptedReleaseAction": "install"}
    )
    verdict = classify_helmrelease(hr)
    assert verdict.state is State.PROGRESSING
    assert verdict.message.startswith("retry after 2 failed install attempt(s)")


def test_identity_chart_source_and_dependencies():
    hr = hr_ready(
        "bp-loki",
        depends_on=["bp-seaweedfs", {"name": "bp-cnpg", "namespace": "platform"}, "infra/bp-x"],
    )
    assert release_identity(hr) == ("loki", "loki")
    assert chart_label(hr) == "bp-loki@1.0.0"
    assert source_of(hr) == ("HelmChart", "flux-system", "flux-system-bp-loki")
    assert dependencies(hr) == [
        ("flux-system", "bp-seaweedfs"),
        ("platform", "bp-cnpg"),
        ("infra", "bp-x"),
    ]


def test_identity_defaults_follow_helm_controller():
    hr = helmrelease("podinfo", namespace="apps", target="", release_name="")
    assert release_identity(hr) == ("apps", "podinfo")
    hr = helmrelease("podinfo", namespace="apps", target="web", release_name="")
    assert release_identity(hr) == ("web", "web-podinfo")


def test_chart_ref_source_and_v2beta1_chart():
    hr = helmrelease("bp-x", api_version=V2BETA1)
    del hr["spec"]["chart"]
    hr["spec"]["chartRef"] = {"kind": "OCIRepository", "name": "bp-x"}
    assert source_of(hr) == ("OCIRepository", "flux-system", "bp-x")
    assert chart_label(hr) == "bp-x"


def test_retry_state_picks_the_last_attempted_action():
    hr = helmrelease(
        "bp-x",
        retries=2,
        status={
            "installFailures": 1,
            "upgradeFailures": 3,
            "lastAttemptedReleaseAction": "upgrade",
        },
    )
    rs = retry_state(hr)
    assert (rs.action, rs.failures, rs.retries, rs.exhausted) == ("upgrade", 3, 2, True)


def test_slimming_dropped_values():
    assert "values" not in hr_ready("bp-x")["spec"]
