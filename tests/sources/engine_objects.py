"""Realistic objects for the watch engine tests, shaped as Flux, the kubelet and controllers write them."""

from __future__ import annotations

from sovwatch.emulator.objects import CATALOGUE, ObjectStore, crd_object

HR = "helmreleases.helm.toolkit.fluxcd.io"


def install_flux_crds(store: ObjectStore, *, only: str | None = None, served=None) -> None:
    """Create the Flux CRDs (all, or the one named `only`, serving `served` versions)."""
    for rt in CATALOGUE:
        if rt.crd and (only is None or rt.key == only):
            store.put(crd_object(rt, served))


def pod(name: str, namespace: str = "cert-manager", *, phase: str = "Running") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/instance": namespace},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": name.rsplit("-", 1)[0],
                    "controller": True,
                }
            ],
        },
        "spec": {
            "nodeName": "sov-node-1",
            "containers": [
                {
                    "name": "controller",
                    "image": "quay.io/jetstack/cert-manager-controller:v1.16.2",
                    "env": [{"name": "POD_NAMESPACE", "value": namespace}],
                }
            ],
        },
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if phase == "Running" else "False"}],
        },
    }


def helmrelease(
    name: str, namespace: str = "flux-system", *, ready: bool = True, annotations=None
) -> dict:
    condition = (
        {
            "type": "Ready",
            "status": "True",
            "reason": "InstallSucceeded",
            "message": f"Helm install succeeded for release {namespace}/{name}.v1 with chart "
            f"{name}@1.0.0",
        }
        if ready
        else {
            "type": "Ready",
            "status": "False",
            "reason": "DependencyNotReady",
            "message": "dependency 'flux-system/cert-manager' is not ready",
        }
    )
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}},
        "spec": {
            "interval": "10m",
            "chart": {
                "spec": {
                    "chart": name,
                    "sourceRef": {"kind": "HelmRepository", "name": "sovereign"},
                }
            },
            "install": {"disableWait": True},
            "values": {"adminPassword": "hunter2"},
        },
        "status": {"conditions": [condition], "observedGeneration": 1},
    }


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


def deployment(name: str, namespace: str = "cert-manager") -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": f"example.org/{name}:1.0"}]},
            },
        },
        "status": {"replicas": 1, "readyReplicas": 1},
    }


def namespace(name: str) -> dict:
    """A Namespace: not watched by sovwatch, so writing one only moves the resourceVersion."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
