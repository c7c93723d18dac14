"""Kustomization and source classification, inventory parsing."""

from __future__ import annotations

import pytest

from sovwatch.model.flux_sources import classify_source, upstream_of
from sovwatch.model.kustomization import (
    classify_kustomization,
    inventory_helmreleases,
    parse_inventory_id,
)
from sovwatch.model.states import State
from tests.model.builders import cond, helmchart, helmrepository, kustomization

GHCR = (
    "failed to get authentication secret 'flux-system/ghcr-pull': secrets \"ghcr-pull\" not found"
)

SOURCE_CASES = [
    (
        "chart-ready",
        helmchart(
            "bp-loki",
            conditions=[
                cond(
                    "Ready",
                    "True",
                    "ChartPullSucceeded",
                    "pulled 'bp-loki' chart with version '1.0.0'",
                    gen=1,
                )
            ],
            artifact=True,
        ),
        State.READY,
        "ChartPullSucceeded",
    ),
    (
        "chart-auth-secret-missing",
        helmchart(
            "bp-cilium",
            conditions=[
                cond(
                    "Reconciling",
                    "True",
                    "ProgressingWithRetry",
                    "processing object: new generation 0 -> 1",
                    gen=1,
                ),
                cond("Ready", "False", "AuthenticationFailed", GHCR, gen=1),
                cond("FetchFailed", "True", "AuthenticationFailed", GHCR, gen=1),
            ],
        ),
        State.FAILED,
        "AuthenticationFailed",
    ),
    (
        "chart-pull-401",
        helmchart(
            "bp-cilium",
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "ChartPullError",
                    "chart pull error: failed to authorize: 401 Unauthorized",
                    gen=1,
                )
            ],
        ),
        State.FAILED,
        "ChartPullError",
    ),
    (
        "chart-source-missing-is-waiting",
        helmchart(
            "bp-x",
            conditions=[
                cond(
                    "Ready",
                    "False",
                    "SourceUnavailable",
                    'failed to get source: HelmRepository.source.toolkit.fluxcd.io "bp-x" not found',
                    gen=1,
                )
            ],
        ),
        State.WAITING,
        "SourceUnavailable",
    ),
    ("oci-helmrepository-has-no-status", helmrepository("bp-loki"), State.READY, "Static"),
    (
        "https-helmrepository-no-status",
        helmrepository("podinfo", oci=False),
        State.UNKNOWN,
        "NoStatus",
    ),
    (
        "helmrepository-stalled",
        helmrepository(
            "bad",
            oci=False,
            conditions=[
                cond(
                    "Stalled",
                    "True",
                    "URLInvalid",
                    "first path segment in URL cannot contain colon",
                    gen=1,
                ),
                cond("Ready", "False", "URLInvalid", "x", gen=1),
            ],
        ),
        State.STALLED,
        "URLInvalid",
    ),
]


@pytest.mark.parametrize(
    ("obj", "state", "reason"), [c[1:] for c in SOURCE_CASES], ids=[c[0] for c in SOURCE_CASES]
)
def test_classify_source(obj, state, reason):
    verdict = classify_source(obj)
    assert (verdict.state, verdict.reason) == (state, reason)


def test_helmchart_upstream():
    assert upstream_of(helmchart("bp-loki", conditions=[])) == (
        "HelmRepository",
        "flux-system",
        "bp-loki",
    )
    assert upstream_of(helmrepository("bp-loki")) is None


KS_CASES = [
    ("applied", kustomization(releases=["bp-cilium"]), State.READY, "ReconciliationSucceeded"),
    ("first-apply-running", kustomization(ready=False), State.PROGRESSING, "Progressing"),
]


@pytest.mark.parametrize(
    ("obj", "state", "reason"), [c[1:] for c in KS_CASES], ids=[c[0] for c in KS_CASES]
)
def test_classify_kustomization(obj, state, reason):
    verdict = classify_kustomization(obj)
    assert (verdict.state, verdict.reason) == (state, reason)


def test_kustomization_path_not_found_is_failed():
    ks = kustomization()
    ks["status"]["conditions"] = [
        cond(
            "Ready",
            "False",
            "BuildFailed",
            "kustomization path not found: stat /tmp/kustomization-1/clusters/x/bootstrap-kit: no such file or directory",
            gen=1,
        )
    ]
    verdict = classify_kustomization(ks)
    assert (verdict.state, verdict.reason) == (State.FAILED, "BuildFailed")


def test_kustomization_suspended():
    ks = kustomization()
    ks["spec"]["suspend"] = True
    assert classify_kustomization(ks).state is State.SUSPENDED


def test_inventory_counts_only_helmreleases():
    ks = kustomization(
        releases=["bp-cilium", "bp-cert-manager"],
        extra_entries=[
            "_cert-manager__Namespace",
            "flux-system_bp-cilium_source.toolkit.fluxcd.io_HelmRepository",
        ],
    )
    assert inventory_helmreleases(ks) == {
        ("HelmRelease", "flux-system", "bp-cilium"),
        ("HelmRelease", "flux-system", "bp-cert-manager"),
    }
    assert parse_inventory_id("_cert-manager__Namespace") == ("", "cert-manager", "", "Namespace")
    assert parse_inventory_id("garbage") is None
