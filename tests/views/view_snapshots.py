"""`sovwatch.snapshot/v1` documents for view tests, shaped as the model writes them.

Each builder takes only what a test varies; the rest is what a bootstrap-kit rollout really shows.
"""

from __future__ import annotations

T0 = 1_795_781_071.0  # 2026-11-27T12:04:31Z

MSG_INSTALLING = "Running 'install' action with timeout of 5m0s"
MSG_DEPENDENCY = "dependency 'flux-system/{dep}' is not ready"
MSG_INSTALLED = "Helm install succeeded for release {ns}/{name}.v1 with chart {chart}@{version}"
MSG_MULTI_ATTACH = (
    'Multi-Attach error for volume "pvc-7c1d2f3a-1b2c-4d5e-8f90-123456789abc" Volume is already '
    "used by pod(s) loki-0-old"
)


def release(
    name: str,
    state: str,
    *,
    reason: str,
    message: str,
    ready: int = 0,
    total: int = 0,
    blocked_by: tuple[str, ...] = (),
    root_cause: dict | None = None,
    namespace: str = "flux-system",
) -> dict:
    return {
        "namespace": namespace,
        "name": name,
        "state": state,
        "reason": reason,
        "message": message,
        "since": "2026-11-27T12:04:31Z",
        "chart": {"name": name.removeprefix("bp-"), "version": "1.0.0"},
        "dependsOn": [f"flux-system/{b}" for b in blocked_by],
        "blockedBy": [f"flux-system/{b}" for b in blocked_by],
        "rootCause": root_cause,
        "workloads": {"state": state, "ready": ready, "total": total},
        "pods": [],
        "volumes": [],
    }


def pod_object(namespace: str, name: str, state: str, reason: str, message: str = "") -> dict:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "namespace": namespace,
        "name": name,
        "state": state,
        "reason": reason,
        "message": message,
    }


def snapshot(
    releases: list[dict],
    *,
    outcome: str = "in-progress",
    expected: int | None = None,
    objects: list[dict] = (),
    streams: list[dict] | None = None,
) -> dict:
    counts = {
        s: sum(1 for r in releases if r["state"] == s)
        for s in ("ready", "failed", "waiting", "progressing")
    }
    counts["failed"] += sum(1 for r in releases if r["state"] == "stalled")
    hr_objects = [
        {
            "kind": "HelmRelease",
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "namespace": r["namespace"],
            "name": r["name"],
            "state": r["state"],
            "reason": r["reason"],
            "message": r["message"],
        }
        for r in releases
    ]
    return {
        "schema": "sovwatch.snapshot/v1",
        "cluster": {"context": "sov-prod", "server": "https://10.0.0.1:6443"},
        "observedAt": "2026-11-27T12:04:31Z",
        "outcome": outcome,
        "progress": {"total": len(releases), "expected": expected or len(releases), **counts},
        "streams": streams
        if streams is not None
        else [
            {
                "resource": "helmreleases.helm.toolkit.fluxcd.io",
                "state": "live",
                "since": "2026-11-27T12:04:30Z",
            },
            {"resource": "pods", "state": "live", "since": "2026-11-27T12:04:30Z"},
        ],
        "releases": releases,
        "objects": hr_objects + list(objects),
        "events": [],
    }


def cilium(state: str = "ready") -> dict:
    if state == "ready":
        return release(
            "bp-cilium",
            "ready",
            reason="InstallSucceeded",
            ready=2,
            total=2,
            message=MSG_INSTALLED.format(
                ns="kube-system", name="cilium", chart="cilium", version="1.16.5"
            ),
        )
    return release("bp-cilium", "progressing", reason="Progressing", message=MSG_INSTALLING)


def loki(state: str) -> dict:
    if state == "waiting":
        return release(
            "bp-loki",
            "waiting",
            reason="DependencyNotReady",
            message=MSG_DEPENDENCY.format(dep="bp-seaweedfs"),
            blocked_by=("bp-seaweedfs",),
        )
    if state == "progressing":
        return release(
            "bp-loki", "progressing", reason="Progressing", message=MSG_INSTALLING, total=1
        )
    return release(
        "bp-loki",
        "ready",
        reason="InstallSucceeded",
        ready=1,
        total=1,
        message=MSG_INSTALLED.format(ns="loki", name="loki", chart="loki", version="6.6.2"),
    )


def grafana_blocked() -> dict:
    return release(
        "bp-grafana",
        "waiting",
        reason="DependencyNotReady",
        message=MSG_DEPENDENCY.format(dep="bp-loki"),
        blocked_by=("bp-loki",),
        root_cause={
            "kind": "Pod",
            "namespace": "loki",
            "name": "loki-0",
            "state": "progressing",
            "reason": "FailedAttachVolume",
            "message": MSG_MULTI_ATTACH,
            "chain": f"bp-grafana \u2190 bp-loki \u2190 pod loki/loki-0 ContainerCreating \u2190 {MSG_MULTI_ATTACH}",
        },
    )
