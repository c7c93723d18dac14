"""Workload shapes: the labels a chart (or `flux install`) renders and the Deployment conditions
the deployment controller writes. Kept apart from the controllers' behaviour, as pods.py is for
pods."""

from __future__ import annotations

from sovsim.controllers.common import FLUX_NS
from sovsim.scenario_schema import Release, Workload


def selector_labels(release: Release, workload: Workload) -> dict[str, str]:
    if release.flux_component:
        return {"app": workload.name}
    labels = {
        "app.kubernetes.io/name": workload.name,
        "app.kubernetes.io/instance": release.release_name,
    }
    if workload.component:
        labels["app.kubernetes.io/component"] = workload.component
    return labels


def helm_labels(release: Release, workload: Workload) -> dict[str, str]:
    """The pod template's labels (Flux's own controllers: just `app`)."""
    if release.flux_component:
        return selector_labels(release, workload)
    return {
        **selector_labels(release, workload),
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/version": release.version,
        "helm.sh/chart": f"{release.chart}-{release.version}",
    }


def deployment_conditions(old: list[dict], available: bool, rs: str, now: str) -> list[dict]:
    """Available and Progressing as the deployment controller writes them; lastTransitionTime
    moves only when the status does, lastUpdateTime only when the reason does too."""
    conditions = [
        {
            "type": "Available",
            "status": "True" if available else "False",
            "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
            "message": "Deployment has minimum availability."
            if available
            else "Deployment does not have minimum availability.",
            "lastUpdateTime": now,
            "lastTransitionTime": now,
        },
        {
            "type": "Progressing",
            "status": "True",
            "reason": "NewReplicaSetAvailable" if available else "ReplicaSetUpdated",
            "message": f'ReplicaSet "{rs}" has successfully progressed.'
            if available
            else f'ReplicaSet "{rs}" is progressing.',
            "lastUpdateTime": now,
            "lastTransitionTime": now,
        },
    ]
    for cond, previous in zip(conditions, old, strict=False):
        if previous["status"] == cond["status"]:
            cond["lastTransitionTime"] = previous["lastTransitionTime"]
            if previous["reason"] == cond["reason"]:
                cond["lastUpdateTime"] = previous["lastUpdateTime"]
    return conditions


def flux_labels(release: Release, workload: Workload) -> dict[str, str]:
    """The labels `flux install` puts on its controller Deployments."""
    return {
        "app.kubernetes.io/component": workload.name,
        "app.kubernetes.io/instance": FLUX_NS,
        "app.kubernetes.io/part-of": "flux",
        "app.kubernetes.io/version": release.version,
        "control-plane": "controller",
        "kustomize.toolkit.fluxcd.io/name": FLUX_NS,
        "kustomize.toolkit.fluxcd.io/namespace": FLUX_NS,
    }
