"""Objects for the trust suites, shaped as Flux, the kubelet and the event recorder write them."""

from __future__ import annotations

from tests.model import builders

HR = "helmreleases.helm.toolkit.fluxcd.io"


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
    """Ready after its install unless `conditions` say otherwise; no status with `with_status=False`."""
    if with_status and conditions is None:
        conditions = [ready_condition(name)]
    return builders.helmrelease_object(
        name,
        namespace=namespace,
        depends_on=[{"name": d} for d in depends_on],
        conditions=conditions if with_status else None,
        observed=1 if with_status else None,
        values=values or {},
        stored=False,
    )


def pod(name: str, namespace: str, *, env: dict[str, str] | None = None) -> dict:
    """The one container of `namespace`'s app in CrashLoopBackOff, with `env` in its environment."""
    container = {
        "name": namespace,
        "image": f"ghcr.io/openova-io/{namespace}:1.0.0",
        "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
    }
    message = (
        f"back-off 5m0s restarting failed container={namespace} pod={name}_{namespace}(4b1e0f3c)"
    )
    return builders.pod_object(
        name,
        namespace,
        release=namespace,
        labels={"app": namespace},
        containers=[container],
        statuses=[
            builders.container_status(
                namespace,
                ready=False,
                restarts=7,
                state=builders.waiting("CrashLoopBackOff", message),
            )
        ],
        stored=False,
    )


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
