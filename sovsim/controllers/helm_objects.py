"""The shapes helm-controller works with: the HelmRelease as the kit declares it, the release
snapshots it keeps in `status.history` (one per Helm release version, newest first), and its own
bookkeeping per release."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sovsim.controllers.common import FLUX_NS, digest, go_duration
from sovsim.scenario_schema import Release

HR = "helmreleases.helm.toolkit.fluxcd.io"

Mutate = Callable[[dict, dict, str], None]
"""Changes a HelmRelease in place: (object, its status, the current timestamp)."""


@dataclass
class ReleaseState:
    """helm-controller's bookkeeping for one release."""

    release: Release
    phase: str = "new"
    """new, waiting, installing, upgrading, remediating, ready or stalled."""
    attempts: int = 0
    attempt_started: float = 0.0
    next_at: float | None = None
    """When the next reconcile is queued (an earlier trigger replaces it)."""
    revision: int = 0
    """The Helm release version last written (0: not installed)."""
    first_deployed: float = 0.0
    upgrade_failures: int = 0
    """`status.upgradeFailures`, reset by a new generation."""


def helmrelease_spec(release: Release) -> dict:
    """`spec` of the HelmRelease for `release`, as the bootstrap-kit writes it."""
    spec: dict = {
        "interval": go_duration(release.interval),
        "releaseName": release.release_name,
        "targetNamespace": release.target_namespace,
        "chart": {
            "spec": {
                "chart": release.chart,
                "version": release.version,
                "sourceRef": {
                    "kind": "HelmRepository",
                    "name": release.repository.name,
                    "namespace": release.repository.namespace,
                },
            }
        },
        "install": {"remediation": {"retries": release.retries}},
        "upgrade": {"remediation": {"retries": release.retries}},
    }
    if release.disable_wait:
        spec["install"]["disableWait"] = True
        spec["upgrade"]["disableWait"] = True
    if release.timeout != 300.0:
        spec["timeout"] = go_duration(release.timeout)
    if release.depends_on:
        spec["dependsOn"] = [
            {"name": name, **({"namespace": ns} if ns != release.namespace else {})}
            for ns, name in release.depends_on
        ]
    return spec


def helmrelease(release: Release, kustomization: str) -> dict:
    """The HelmRelease object the kustomize-controller applies (no status)."""
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {
            "name": release.name,
            "namespace": release.namespace,
            "labels": {
                "kustomize.toolkit.fluxcd.io/name": kustomization,
                "kustomize.toolkit.fluxcd.io/namespace": FLUX_NS,
            },
        },
        "spec": helmrelease_spec(release),
    }


def config_digest(release: Release) -> str:
    return f"sha256:{digest(release.name, 'values')}"


def snapshot(
    release: Release,
    status: str,
    started: float,
    first: str,
    *,
    version: int = 1,
    last: str | None = None,
) -> dict:
    """One `status.history` entry: Helm release `version` of `release`'s chart, in `status`;
    `started` (simulated seconds) seeds its digest, `first`/`last` are its deploy times."""
    seed = (started,) if version == 1 else (started, version)
    return {
        "name": release.release_name,
        "namespace": release.target_namespace,
        "version": version,
        "status": status,
        "chartName": release.chart,
        "chartVersion": release.version,
        "appVersion": release.version,
        "configDigest": config_digest(release),
        "digest": f"sha256:{digest(release.name, status, *seed)}",
        "firstDeployed": first,
        "lastDeployed": last or first,
        "ociDigest": f"sha256:{digest(release.chart, release.version, 'oci')}",
    }
