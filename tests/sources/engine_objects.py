"""Realistic objects for the watch engine tests, shaped as Flux, the kubelet and controllers write them."""

from __future__ import annotations

from tests.model import builders

HR = "helmreleases.helm.toolkit.fluxcd.io"


def pod(name: str, namespace: str = "cert-manager", *, phase: str = "Running") -> dict:
    """A cert-manager controller Pod owned by its ReplicaSet, with the namespace in its env."""
    return builders.pod_object(
        name,
        namespace,
        release=namespace,
        phase=phase,
        owner=("ReplicaSet", name.rsplit("-", 1)[0]),
        containers=[
            {
                "name": "controller",
                "image": "quay.io/jetstack/cert-manager-controller:v1.16.2",
                "env": [{"name": "POD_NAMESPACE", "value": namespace}],
            }
        ],
        node="sov-node-1",
        stored=False,
    )


def helmrelease(
    name: str, namespace: str = "flux-system", *, ready: bool = True, annotations=None
) -> dict:
    """Ready after its install, or waiting for cert-manager; with a password in its values."""
    condition = (
        builders.cond(
            "Ready",
            "True",
            "InstallSucceeded",
            f"Helm install succeeded for release {namespace}/{name}.v1 with chart {name}@1.0.0",
        )
        if ready
        else builders.cond(
            "Ready",
            "False",
            "DependencyNotReady",
            "dependency 'flux-system/cert-manager' is not ready",
        )
    )
    return builders.helmrelease_object(
        name,
        namespace=namespace,
        conditions=[condition],
        values={"adminPassword": "hunter2"},
        annotations=annotations,
        stored=False,
    )


def pvc(name: str, namespace: str = "loki") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
        "status": {"phase": "Pending"},
    }


def warning_event(name: str, pod_name: str, namespace: str = "loki") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {"kind": "Pod", "namespace": namespace, "name": pod_name},
        "reason": "FailedAttachVolume",
        "message": 'Multi-Attach error for volume "pvc-3f1c" Volume is already exclusively '
        "attached to one node and can't be attached to another",
        "type": "Warning",
        "source": {"component": "attachdetach-controller"},
        "count": 1,
    }


def deployment(
    name: str, namespace: str = "cert-manager", *, ready: int = 1, **container_fields
) -> dict:
    """A one-replica Deployment; `container_fields` (env, args, image...) go into its container."""
    container = {"name": name, "image": f"example.org/{name}:1.0", **container_fields}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]},
            },
        },
        "status": {"replicas": 1, "readyReplicas": ready},
    }


def namespace(name: str) -> dict:
    """A Namespace: not watched by sovwatch, so writing one only moves the resourceVersion."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _ready(reason: str, message: str) -> dict:
    return {
        "conditions": [{"type": "Ready", "status": "True", "reason": reason, "message": message}],
        "observedGeneration": 1,
    }


def kustomization(name: str, version: str = "v1", namespace: str = "flux-system") -> dict:
    return {
        "apiVersion": f"kustomize.toolkit.fluxcd.io/{version}",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "interval": "10m",
            "path": f"./clusters/sovereign/{name}",
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
        "status": _ready(
            "ReconciliationSucceeded",
            "Applied revision: main@sha1:4b1e7c2d9a0f3e5b6c8d7a1f2e3b4c5d6e7f8a9b",
        ),
    }


def source(kind: str, name: str, version: str = "v1", namespace: str = "flux-system") -> dict:
    """A Flux source object (HelmRepository, OCIRepository, HelmChart, GitRepository), Ready."""
    spec, ready = {
        "HelmRepository": (
            {"interval": "1h", "url": "https://charts.jetstack.io"},
            _ready("Succeeded", "stored artifact: revision 'sha256:3f1c9e2a7b'"),
        ),
        "OCIRepository": (
            {
                "interval": "10m",
                "url": "oci://ghcr.io/sovereign/manifests",
                "ref": {"tag": "v1.4.0"},
            },
            _ready("Succeeded", "stored artifact for digest 'v1.4.0@sha256:9a8b7c6d5e'"),
        ),
        "HelmChart": (
            {
                "chart": name,
                "version": "1.16.2",
                "sourceRef": {"kind": "HelmRepository", "name": "jetstack"},
                "interval": "10m",
            },
            _ready("ChartPullSucceeded", f"pulled '{name}' chart with version '1.16.2'"),
        ),
        "GitRepository": (
            {
                "interval": "1m",
                "url": "ssh://git@git.sovereign.example/fleet.git",
                "ref": {"branch": "main"},
            },
            _ready("Succeeded", "stored artifact for revision 'main@sha1:4b1e7c2d9a'"),
        ),
    }[kind]
    return {
        "apiVersion": f"source.toolkit.fluxcd.io/{version}",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
        "status": ready,
    }
