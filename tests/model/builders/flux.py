"""Flux objects as helm-controller, kustomize-controller and source-controller write them:
HelmRelease (v2), Kustomization, HelmChart, HelmRepository (slimmed as sovwatch stores them;
`helmrelease_object` unslimmed, as the API serves it)."""

from __future__ import annotations

from sovwatch.sources.slimming import slim
from tests.model.builders.common import cond, meta


def helmrelease(name: str, **fields) -> dict:
    """A HelmRelease as sovwatch stores it: `helmrelease_object`, slimmed."""
    return slim(helmrelease_object(name, **fields))


def helmrelease_object(
    name: str,
    *,
    namespace: str = "flux-system",
    api_version: str = "helm.toolkit.fluxcd.io/v2",
    generation: int = 1,
    observed: int | None = 1,
    conditions: list[dict] | None = None,
    target: str | None = None,
    release_name: str | None = None,
    depends_on: list | None = None,
    chart_version: str = "1.0.0",
    suspend: bool = False,
    retries: int = 3,
    disable_wait: bool = True,
    status: dict | None = None,
    values: dict | None = None,
    annotations: dict | None = None,
    stored: bool = True,
) -> dict:
    """A HelmRelease as the bootstrap-kit declares it (`bp-` name, targetNamespace and releaseName
    without it) with the status helm-controller writes; no status when `observed` and
    `conditions` are None."""
    short = name.removeprefix("bp-")
    spec: dict = {
        "interval": "15m",
        "chart": {
            "spec": {
                "chart": name,
                "version": chart_version,
                "sourceRef": {"kind": "HelmRepository", "name": name, "namespace": "flux-system"},
            }
        },
        "targetNamespace": target if target is not None else short,
        "releaseName": release_name if release_name is not None else short,
        "install": {"disableWait": disable_wait, "remediation": {"retries": retries}},
        "upgrade": {"disableWait": disable_wait, "remediation": {"retries": retries}},
        "values": {"adminPassword": "s3cr3t"} if values is None else values,
    }
    if depends_on:
        spec["dependsOn"] = [d if isinstance(d, dict | str) else {"name": d} for d in depends_on]
    if suspend:
        spec["suspend"] = True
    st: dict = {}
    if observed is not None:
        st["observedGeneration"] = observed
    if conditions is not None:
        st["conditions"] = conditions
        st["helmChart"] = f"{namespace}/{namespace}-{name}"
    if status:
        st.update(status)
    obj = {
        "apiVersion": api_version,
        "kind": "HelmRelease",
        "metadata": meta(
            name,
            namespace,
            generation=generation,
            finalizers=["finalizers.fluxcd.io"],
            stored=stored,
            **({"annotations": annotations} if annotations else {}),
        ),
        "spec": spec,
    }
    if st:
        obj["status"] = st
    return obj


def hr_ready(name: str, *, version: str = "1.0.0", **kw) -> dict:
    short = name.removeprefix("bp-")
    msg = f"Helm install succeeded for release {short}/{short}.v1 with chart {name}@{version}"
    return helmrelease(
        name,
        chart_version=version,
        conditions=[
            cond("Ready", "True", "InstallSucceeded", msg, gen=kw.get("generation", 1)),
            cond("Released", "True", "InstallSucceeded", msg, gen=kw.get("generation", 1)),
        ],
        status={
            "history": [
                {
                    "name": short,
                    "namespace": short,
                    "version": 1,
                    "status": "deployed",
                    "chartName": name,
                    "chartVersion": version,
                }
            ],
            "lastAttemptedReleaseAction": "install",
            "storageNamespace": short,
        },
        **kw,
    )


def hr_waiting(name: str, dep: str, **kw) -> dict:
    return helmrelease(
        name,
        depends_on=kw.pop("depends_on", [dep]),
        conditions=[
            cond(
                "Ready",
                "False",
                "DependencyNotReady",
                f"dependency 'flux-system/{dep}' is not ready",
            )
        ],
        **kw,
    )


def hr_install_failed(
    name: str, error: str, *, failures: int, retries: int = 3, stalled: bool = False, **kw
) -> dict:
    short = name.removeprefix("bp-")
    msg = f"Helm install failed for release {short}/{short} with chart {name}@1.0.0: {error}"
    conds = [
        cond("Ready", "False", "InstallFailed", msg, gen=1),
        cond("Released", "False", "InstallFailed", msg, gen=1),
    ]
    if stalled:
        conds.append(
            cond(
                "Stalled",
                "True",
                "RetriesExceeded",
                f"Failed to install after {failures} attempt(s)",
                gen=1,
            )
        )
    else:
        conds.append(cond("Reconciling", "True", "ProgressingWithRetry", msg, gen=1))
    return helmrelease(
        name,
        retries=retries,
        conditions=conds,
        status={
            "installFailures": failures,
            "lastAttemptedReleaseAction": "install",
            "failures": failures,
        },
        **kw,
    )


def hr_installing(name: str, **kw) -> dict:
    msg = "Running 'install' action with timeout of 5m0s"
    return helmrelease(
        name,
        conditions=[
            cond("Reconciling", "True", "Progressing", msg, gen=1),
            cond("Ready", "Unknown", "Progressing", msg, gen=1),
        ],
        **kw,
    )


def kustomization(
    name: str = "bootstrap-kit",
    *,
    releases: list[str] = (),
    ready: bool = True,
    extra_entries: list[str] = (),
) -> dict:
    entries = [
        {"id": f"flux-system_{r}_helm.toolkit.fluxcd.io_HelmRelease", "v": "v2"} for r in releases
    ]
    entries += [{"id": e, "v": "v1"} for e in extra_entries]
    status = {
        "observedGeneration": 1,
        "conditions": [
            cond(
                "Ready",
                "True",
                "ReconciliationSucceeded",
                "Applied revision: main@sha1:4f1b2c3d",
                gen=1,
            )
            if ready
            else cond("Ready", "Unknown", "Progressing", "Reconciliation in progress", gen=1)
        ],
    }
    if entries:
        status["inventory"] = {"entries": entries}
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": meta(name, "flux-system", generation=1),
        "spec": {
            "interval": "5m",
            "path": "./clusters/_template/bootstrap-kit",
            "prune": True,
            "wait": True,
            "timeout": "30m",
            "sourceRef": {"kind": "GitRepository", "name": "openova"},
        },
        "status": status,
    }


def helmchart(
    hr_name: str, *, conditions: list[dict], namespace: str = "flux-system", artifact: bool = False
) -> dict:
    st: dict = {"observedGeneration": 1, "conditions": conditions}
    if artifact:
        st["artifact"] = {
            "revision": "1.0.0",
            "digest": "sha256:ab12",
            "path": "helmchart/x.tgz",
            "url": "http://source-controller/x.tgz",
        }
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmChart",
        "metadata": meta(f"{namespace}-{hr_name}", namespace, generation=1),
        "spec": {
            "chart": hr_name,
            "version": "1.0.0",
            "sourceRef": {"kind": "HelmRepository", "name": hr_name},
            "interval": "15m",
        },
        "status": st,
    }


def helmrepository(name: str, *, conditions: list[dict] | None = None, oci: bool = True) -> dict:
    spec = {
        "interval": "15m",
        "url": "oci://ghcr.io/openova-io" if oci else "https://charts.example.com",
        "secretRef": {"name": "ghcr-pull"},
    }
    if oci:
        spec["type"] = "oci"
    obj = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": meta(name, "flux-system", generation=1),
        "spec": spec,
    }
    if conditions is not None:
        obj["status"] = {"observedGeneration": 1, "conditions": conditions}
    return obj
