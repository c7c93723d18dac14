"""Deployments, StatefulSets, DaemonSets and ReplicaSets with the rollout status their
controllers write."""

from __future__ import annotations

from sovwatch.sources.slimming import slim
from tests.model.builders.common import meta


def workload(
    kind: str,
    name: str,
    namespace: str,
    *,
    release: str,
    replicas: int = 1,
    ready: int | None = None,
    hr: str | None = None,
) -> dict:
    ready = replicas if ready is None else ready
    labels = {"app.kubernetes.io/instance": release, "app.kubernetes.io/managed-by": "Helm"}
    if hr:
        labels.update(
            {"helm.toolkit.fluxcd.io/name": hr, "helm.toolkit.fluxcd.io/namespace": "flux-system"}
        )
    m = meta(
        name,
        namespace,
        generation=1,
        labels=labels,
        annotations={
            "meta.helm.sh/release-name": release,
            "meta.helm.sh/release-namespace": namespace,
        },
    )
    spec: dict = {
        "selector": {"matchLabels": {"app.kubernetes.io/instance": release}},
        "template": {"spec": {"containers": [{"name": "app", "image": "x"}]}},
    }
    if kind == "DaemonSet":
        st = {
            "observedGeneration": 1,
            "desiredNumberScheduled": replicas,
            "numberReady": ready,
            "updatedNumberScheduled": replicas,
            "numberAvailable": ready,
            "currentNumberScheduled": replicas,
        }
    elif kind == "Job":
        spec["completions"] = replicas
        st = {"succeeded": ready, "active": replicas - ready}
    else:
        spec["replicas"] = replicas
        st = {
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": ready,
            "updatedReplicas": replicas,
            "availableReplicas": ready,
        }
        if kind == "StatefulSet":
            st.update({"currentRevision": f"{name}-1", "updateRevision": f"{name}-1"})
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return slim({"apiVersion": api, "kind": kind, "metadata": m, "spec": spec, "status": st})


def replicaset(
    deployment: str, namespace: str, *, release: str, replicas: int = 1, ready: int | None = None
) -> dict:
    rs = workload(
        "ReplicaSet",
        f"{deployment}-7d9c5b8f6c",
        namespace,
        release=release,
        replicas=replicas,
        ready=ready,
    )
    rs["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": deployment,
            "uid": f"uid-{namespace}-{deployment}",
            "controller": True,
        }
    ]
    rs["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    return rs
