"""Objects for the trust suites, shaped as Flux, the kubelet and the event recorder write them."""

from __future__ import annotations

from sovwatch.emulator.objects import CATALOGUE, ObjectStore, crd_object

HR = "helmreleases.helm.toolkit.fluxcd.io"


def install_flux_crds(store: ObjectStore, served: dict[str, list[str]] | None = None) -> None:
    """Every Flux CRD, serving its newest version unless `served` names others (by resource key)."""
    for rt in CATALOGUE:
        if rt.crd:
            store.put(crd_object(rt, (served or {}).get(rt.key)))


def ready_condition(name: str) -> dict:
    return {
        "type": "Ready",
        "status": "True",
        "reason": "InstallSucceeded",
        "message": f"Helm install succeeded for release {name}/{name}.v1 with chart {name}@1.0.0",
        "lastTransitionTime": "2026-11-27T10:00:00Z",
        "observedGeneration": 1,
    }


def helmrelease(
    name: str,
    *,
    depends_on: tuple[str, ...] = (),
    conditions: list[dict] | None = None,
    with_status: bool = True,
    values: dict | None = None,
    namespace: str = "flux-system",
) -> dict:
    obj = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "interval": "10m",
            "releaseName": name.removeprefix("bp-"),
            "targetNamespace": name.removeprefix("bp-"),
            "chart": {
                "spec": {
                    "chart": name,
                    "version": "1.0.0",
                    "sourceRef": {"kind": "HelmRepository", "name": name},
                }
            },
            "install": {"disableWait": True, "remediation": {"retries": 3}},
            "dependsOn": [{"name": d} for d in depends_on],
            "values": values or {},
        },
    }
    if with_status:
        obj["status"] = {
            "observedGeneration": 1,
            "conditions": conditions if conditions is not None else [ready_condition(name)],
        }
    return obj


def pod(name: str, namespace: str, *, env: dict[str, str] | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": namespace, "app.kubernetes.io/instance": namespace},
        },
        "spec": {
            "nodeName": "sov-worker-1",
            "containers": [
                {
                    "name": namespace,
                    "image": f"ghcr.io/openova-io/{namespace}:1.0.0",
                    "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
                }
            ],
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {
                    "name": namespace,
                    "ready": False,
                    "restartCount": 7,
                    "state": {
                        "waiting": {
                            "reason": "CrashLoopBackOff",
                            "message": f"back-off 5m0s restarting failed container={namespace} "
                            f"pod={name}_{namespace}(4b1e0f3c)",
                        }
                    },
                }
            ],
        },
    }


def backoff_event(index: int, pod_name: str, namespace: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod_name}.18{index:010d}", "namespace": namespace},
        "involvedObject": {
            "kind": "Pod",
            "namespace": namespace,
            "name": pod_name,
            "fieldPath": f"spec.containers{{{namespace}}}",
        },
        "reason": "BackOff",
        "message": "Back-off restarting failed container",
        "type": "Warning",
        "source": {"component": "kubelet", "host": "sov-worker-1"},
        "count": 1,
        "firstTimestamp": "2026-11-27T10:00:00Z",
        "lastTimestamp": "2026-11-27T10:00:00Z",
    }


def dependency_not_ready(dependency: str, *, missing: bool = False) -> dict:
    """helm-controller's Ready=False while a dependsOn entry is not ready (or does not exist)."""
    message = (
        f"unable to get 'flux-system/{dependency}' dependency: helmreleases.helm.toolkit.fluxcd.io "
        f'"{dependency}" not found'
        if missing
        else f"dependency 'flux-system/{dependency}' is not ready"
    )
    return {
        "type": "Ready",
        "status": "False",
        "reason": "DependencyNotReady",
        "message": message,
        "lastTransitionTime": "2026-11-27T10:00:00Z",
        "observedGeneration": 1,
    }
