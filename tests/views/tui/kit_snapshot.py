"""A fixed `sovwatch.snapshot/v1` document of the bootstrap-kit halfway through, for rendering tests.

Shaped like the model's output (issue 4's contract) at one fixed instant, so screens rendered from it
are reproducible to the byte. The names, versions and dependsOn edges are the real kit's
(shared/research/bootstrap-kit.md 1.2); the troubles are from its failure catalogue: loki's PVC
caught by a Multi-Attach error, grafana waiting behind it, langfuse's chart never published,
external-dns crash-looping while PowerDNS is missing, openbao sealed (readiness failing).
"""

from __future__ import annotations

import copy

T0 = 1_790_000_000.0
"""When the rollout started (epoch seconds)."""
NOW = T0 + 14 * 60 + 7
"""The instant the document describes: 14m07s into the rollout."""

KIT = [
    # name, target namespace, chart version, dependsOn, wave
    ("cilium", "kube-system", "1.1.1", [], 0),
    ("reloader", "reloader", "1.0.0", [], 0),
    ("vpa", "vpa", "1.0.0", [], 0),
    ("cert-manager", "cert-manager", "1.1.1", ["cilium"], 1),
    ("falco", "falco", "1.0.0", ["cilium"], 1),
    ("kyverno", "kyverno", "1.0.0", ["cilium"], 1),
    ("flux", "flux-system", "1.1.2", ["cert-manager"], 2),
    ("sealed-secrets", "kube-system", "1.1.1", ["cert-manager"], 2),
    ("spire", "spire-system", "1.1.4", ["cert-manager"], 2),
    ("keycloak", "keycloak", "1.1.2", ["cert-manager"], 2),
    ("powerdns", "powerdns", "1.1.3", ["cert-manager"], 2),
    ("opentelemetry", "opentelemetry", "1.0.0", ["cert-manager"], 2),
    ("trivy", "trivy-system", "1.0.0", ["cert-manager"], 2),
    ("sigstore", "sigstore-system", "1.0.0", ["cert-manager"], 2),
    ("syft-grype", "syft-grype", "1.0.0", ["cert-manager"], 2),
    ("coraza", "coraza", "1.0.0", ["cilium", "cert-manager"], 2),
    ("crossplane", "crossplane-system", "1.1.3", ["flux"], 3),
    ("nats-jetstream", "nats-system", "1.1.1", ["spire"], 3),
    ("openbao", "openbao", "1.1.1", ["spire"], 3),
    ("gitea", "gitea", "1.1.2", ["keycloak"], 3),
    ("external-dns", "external-dns", "1.1.2", ["cert-manager", "powerdns"], 3),
    ("cnpg", "cnpg-system", "1.0.0", ["flux"], 3),
    ("valkey", "valkey", "1.0.0", ["flux"], 3),
    ("seaweedfs", "seaweedfs", "1.0.1", ["flux", "cert-manager"], 3),
    ("alloy", "alloy", "1.0.0", ["opentelemetry"], 3),
    ("crossplane-claims", "crossplane-system", "1.0.0", ["crossplane"], 4),
    ("catalyst-platform", "catalyst-system", "1.1.8", ["gitea"], 4),
    ("external-secrets", "external-secrets-system", "1.0.1", ["openbao", "cert-manager"], 4),
    ("harbor", "harbor", "1.0.0", ["cnpg", "seaweedfs", "cert-manager"], 4),
    ("loki", "loki", "1.0.0", ["seaweedfs"], 4),
    ("mimir", "mimir", "1.0.0", ["seaweedfs"], 4),
    ("tempo", "tempo", "1.0.0", ["seaweedfs"], 4),
    ("langfuse", "langfuse", "1.0.0", ["cnpg", "keycloak", "cert-manager"], 4),
    ("velero", "velero", "1.0.0", ["seaweedfs"], 4),
    ("grafana", "grafana", "1.0.0", ["cnpg", "loki", "mimir", "tempo", "keycloak"], 5),
]

NOT_READY = {
    "openbao",
    "external-dns",
    "external-secrets",
    "loki",
    "langfuse",
    "grafana",
    "nats-jetstream",
    "alloy",
    "mimir",
    "catalyst-platform",
    "crossplane-claims",
}
MULTI_ATTACH = (
    'Multi-Attach error for volume "pvc-5f1c0a52-9a4e-4c33-b8d1-2f0f4f7f1a10" Volume is already '
    "used by pod(s) loki-0-old"
)


def _ready_release(name: str, ns: str, version: str, deps: list[str], wave: int) -> dict:
    started = T0 + 40 + wave * 95
    return {
        "namespace": "flux-system",
        "name": f"bp-{name}",
        "state": "ready",
        "reason": "InstallSucceeded",
        "message": f"Helm install succeeded for release {ns}/{name}.v1 with chart bp-{name}@{version}",
        "since": started + 60 + len(name) * 7,
        "chart": f"bp-{name}@{version}",
        "targetNamespace": ns,
        "wave": wave,
        "dependsOn": [f"flux-system/bp-{d}" for d in deps],
        "blockedBy": [],
        "rootCause": None,
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "InstallSucceeded",
                "message": f"Helm install succeeded for release {ns}/{name}.v1 with chart bp-{name}@{version}",
            },
            {
                "type": "Released",
                "status": "True",
                "reason": "InstallSucceeded",
                "message": f"Helm install succeeded for release {ns}/{name}.v1 with chart bp-{name}@{version}",
            },
        ],
        "workloads": {"state": "ready", "ready": 1, "total": 1},
        "pods": [
            {
                "namespace": ns,
                "name": f"{name}-7d9f8b6c5-x2x4q",
                "state": "ready",
                "reason": "Running",
                "ready": "1/1",
                "restarts": 0,
                "probes": {"readiness": "passing", "liveness": "passing", "startup": "none"},
            }
        ],
        "volumes": [],
        "events": [],
    }


def _trouble(release: dict) -> None:
    """Turn the releases in NOT_READY into their documented troubles."""
    name = release["name"].removeprefix("bp-")
    ns = release["targetNamespace"]
    waiting = {
        "state": "waiting",
        "reason": "DependencyNotReady",
        "conditions": [
            {"type": "Ready", "status": "False", "reason": "DependencyNotReady", "message": ""}
        ],
        "workloads": {"state": "unknown", "ready": 0, "total": 0},
        "pods": [],
    }
    if name == "loki":
        release.update(
            state="progressing",
            reason="InstallSucceeded",
            since=NOW - 6 * 60 - 20,
            workloads={"state": "progressing", "ready": 0, "total": 1},
            rootCause={
                "kind": "PersistentVolumeClaim",
                "namespace": "loki",
                "name": "data-loki-0",
                "state": "stalled",
                "reason": "Multi-Attach",
                "message": MULTI_ATTACH,
            },
            pods=[
                {
                    "namespace": "loki",
                    "name": "loki-0",
                    "state": "progressing",
                    "reason": "ContainerCreating",
                    "ready": "0/1",
                    "restarts": 0,
                    "probes": {"readiness": "unknown", "liveness": "unknown", "startup": "none"},
                }
            ],
            volumes=[
                {
                    "namespace": "loki",
                    "name": "data-loki-0",
                    "phase": "Bound",
                    "attach": "error",
                    "state": "stalled",
                    "reason": "FailedAttachVolume",
                    "message": MULTI_ATTACH,
                }
            ],
            events=[
                {
                    "type": "Warning",
                    "reason": "FailedAttachVolume",
                    "count": 9,
                    "lastSeen": NOW - 40,
                    "kind": "Pod",
                    "namespace": "loki",
                    "name": "loki-0",
                    "message": MULTI_ATTACH,
                }
            ],
        )
    elif name == "grafana":
        release.update(
            waiting,
            since=NOW - 5 * 60,
            blockedBy=["flux-system/bp-loki"],
            rootCause={
                "kind": "PersistentVolumeClaim",
                "namespace": "loki",
                "name": "data-loki-0",
                "state": "stalled",
                "reason": "Multi-Attach",
                "message": MULTI_ATTACH,
            },
        )
        release["conditions"][0]["message"] = "dependency 'flux-system/bp-loki' is not ready"
        release["message"] = "dependency 'flux-system/bp-loki' is not ready"
    elif name == "langfuse":
        msg = "failed to pull chart: oci://ghcr.io/openova-io/bp-langfuse:1.0.0: not found"
        release.update(
            state="stalled",
            reason="RetriesExceeded",
            since=NOW - 3 * 60 - 5,
            message=msg,
            rootCause={
                "kind": "HelmRelease",
                "namespace": "flux-system",
                "name": "bp-langfuse",
                "state": "stalled",
                "reason": "ArtifactFailed",
                "message": msg,
            },
            conditions=[
                {"type": "Ready", "status": "False", "reason": "ArtifactFailed", "message": msg},
                {
                    "type": "Stalled",
                    "status": "True",
                    "reason": "RetriesExceeded",
                    "message": "Failed to install after 4 attempt(s)",
                },
            ],
            workloads={"state": "unknown", "ready": 0, "total": 0},
            pods=[],
        )
    elif name == "external-dns":
        msg = "back-off 2m40s restarting failed container=external-dns pod=external-dns-6b7d9c8f4-kq2lp"
        release.update(
            state="failed",
            reason="CrashLoopBackOff",
            since=NOW - 4 * 60 - 30,
            workloads={"state": "failed", "ready": 0, "total": 1},
            rootCause={
                "kind": "Pod",
                "namespace": "external-dns",
                "name": "external-dns-6b7d9c8f4-kq2lp",
                "state": "failed",
                "reason": "CrashLoopBackOff",
                "message": msg,
            },
            pods=[
                {
                    "namespace": "external-dns",
                    "name": "external-dns-6b7d9c8f4-kq2lp",
                    "state": "failed",
                    "reason": "CrashLoopBackOff",
                    "ready": "0/1",
                    "restarts": 5,
                    "probes": {"readiness": "failing", "liveness": "failing", "startup": "none"},
                    "containers": [
                        {
                            "name": "external-dns",
                            "ready": False,
                            "restarts": 5,
                            "waiting": "CrashLoopBackOff",
                            "probes": {
                                "readiness": "failing",
                                "liveness": "failing",
                                "startup": "none",
                            },
                            "lastProbeFailure": 'Liveness probe failed: Get "http://10.42.0.31:7979/healthz": dial tcp 10.42.0.31:7979: connect: connection refused',
                        }
                    ],
                }
            ],
        )
    elif name == "openbao":
        release.update(
            state="progressing",
            reason="InstallSucceeded",
            since=NOW - 7 * 60,
            workloads={"state": "progressing", "ready": 0, "total": 3},
            rootCause={
                "kind": "Pod",
                "namespace": "openbao",
                "name": "openbao-0",
                "state": "progressing",
                "reason": "Unhealthy",
                "message": "Readiness probe failed: Error checking seal status",
            },
            pods=[
                {
                    "namespace": "openbao",
                    "name": f"openbao-{i}",
                    "state": "progressing",
                    "reason": "Running",
                    "ready": "0/1",
                    "restarts": 0,
                    "probes": {"readiness": "failing", "liveness": "passing", "startup": "none"},
                }
                for i in range(3)
            ],
            volumes=[
                {
                    "namespace": "openbao",
                    "name": f"data-openbao-{i}",
                    "phase": "Bound",
                    "attach": "attached",
                    "state": "ready",
                    "reason": "Bound",
                    "message": "",
                }
                for i in range(3)
            ],
        )
    elif name in ("external-secrets",):
        release.update(
            waiting,
            since=NOW - 7 * 60,
            blockedBy=["flux-system/bp-openbao"],
            rootCause={
                "kind": "Pod",
                "namespace": "openbao",
                "name": "openbao-0",
                "state": "progressing",
                "reason": "Unhealthy",
                "message": "Readiness probe failed: Error checking seal status",
            },
        )
    else:
        release.update(
            state="progressing",
            reason="InstallSucceeded",
            since=NOW - 2 * 60 - 10,
            workloads={"state": "progressing", "ready": 1, "total": 2},
            rootCause=None,
        )
        release["pods"].append(
            {
                "namespace": ns,
                "name": f"{name}-0",
                "state": "progressing",
                "reason": "Running",
                "ready": "0/1",
                "restarts": 0,
                "probes": {"readiness": "unknown", "liveness": "passing", "startup": "passing"},
            }
        )


def kit_snapshot() -> dict:
    """A fresh copy of the document (tests may change it)."""
    releases = []
    for name, ns, version, deps, wave in KIT:
        release = _ready_release(name, ns, version, deps, wave)
        if name in NOT_READY:
            _trouble(release)
        releases.append(release)
    ready = sum(1 for r in releases if r["state"] == "ready")
    events = [e for r in releases for e in r["events"]] + [
        {
            "type": "Warning",
            "reason": "BackOff",
            "count": 14,
            "lastSeen": NOW - 12,
            "kind": "Pod",
            "namespace": "external-dns",
            "name": "external-dns-6b7d9c8f4-kq2lp",
            "message": "Back-off restarting failed container external-dns in pod external-dns-6b7d9c8f4-kq2lp_external-dns(0c1e)",
        },
        {
            "type": "Warning",
            "reason": "Unhealthy",
            "count": 31,
            "lastSeen": NOW - 3,
            "kind": "Pod",
            "namespace": "openbao",
            "name": "openbao-0",
            "message": "Readiness probe failed: Error checking seal status: Vault is sealed",
        },
        {
            "type": "Normal",
            "reason": "InstallSucceeded",
            "count": 1,
            "lastSeen": NOW - 95,
            "kind": "HelmRelease",
            "namespace": "flux-system",
            "name": "bp-seaweedfs",
            "message": "Helm install succeeded for release seaweedfs/seaweedfs.v1 with chart bp-seaweedfs@1.0.1",
        },
    ]
    return copy.deepcopy(
        {
            "schema": "sovwatch.snapshot/v1",
            "cluster": {"context": "sov-omantel", "server": "https://203.0.113.10:6443"},
            "observedAt": NOW,
            "startedAt": T0,
            "outcome": "in-progress",
            "progress": {
                "ready": ready,
                "total": len(releases),
                "expected": 35,
                "expectedFrom": "inventory",
                "failed": 2,
                "waiting": 2,
                "progressing": 7,
                "etaSeconds": 11 * 60,
            },
            "streams": [
                {"resource": r, "state": "live", "since": T0 + 1}
                for r in (
                    "helmreleases.helm.toolkit.fluxcd.io",
                    "kustomizations.kustomize.toolkit.fluxcd.io",
                    "pods",
                    "persistentvolumeclaims",
                    "volumeattachments.storage.k8s.io",
                    "events",
                )
            ],
            "releases": releases,
            "criticalPath": [
                "flux-system/bp-cilium",
                "flux-system/bp-cert-manager",
                "flux-system/bp-flux",
                "flux-system/bp-seaweedfs",
                "flux-system/bp-loki",
                "flux-system/bp-grafana",
            ],
            "timeline": [
                {
                    "namespace": "flux-system",
                    "name": r["name"],
                    "started": T0 + 40 + r["wave"] * 95,
                    "ready": r["since"] if r["state"] == "ready" else None,
                }
                for r in releases
            ],
            "events": events,
            "objects": [],
        }
    )
