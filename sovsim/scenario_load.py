"""Loading a scenario: a shipped name or a file path in, a validated `Scenario` out.

The format is documented in `scenario_schema`; this module walks the YAML with `_Fields` so every
mistake is reported with its path (`releases[3].dependsOn[0]: unknown release 'bp-lokii'`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from sovsim.scenario_schema import (
    FOREVER,
    SHIPPED_DIR,
    ActionFailures,
    AttachError,
    Cluster,
    Container,
    CrashLoop,
    MultiAttach,
    Probe,
    Release,
    Repository,
    Scenario,
    ScenarioError,
    Secret,
    StorageClass,
    Upgrade,
    VolumeClaim,
    Workload,
    _Fields,
)

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def shipped_scenarios() -> list[str]:
    """Names of the scenarios that ship with sovwatch."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name (`stuck`) or any scenario file by path."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        shipped = SHIPPED_DIR / f"{name_or_path}.yaml"
        if not shipped.exists():
            names = ", ".join(shipped_scenarios())
            raise ScenarioError(f"no scenario named {str(name_or_path)!r} (shipped: {names})")
        path = shipped
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {str(path)!r}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ScenarioError(f"{path.name}: not valid YAML{at}: {problem}") from None
    try:
        return parse_scenario(data, source=str(path))
    except ScenarioError as exc:
        raise ScenarioError(f"{path.name}: {exc}") from None


def parse_scenario(data: Any, *, source: str = "") -> Scenario:
    top = _Fields(data, "")
    name = top.str("name")
    description = top.str("description", "")
    duration = top.duration("duration", 2700.0)
    cluster = _cluster(_Fields(top.raw("cluster", {}), "cluster"))
    defaults = _Fields(top.raw("defaults", {}), "defaults")
    rel_defaults = defaults.raw("release", {})
    repo_defaults = _Fields(defaults.raw("repository", {}), "defaults.repository")
    repository = Repository(
        name="",
        type=repo_defaults.str("type", "oci"),
        url=repo_defaults.str("url", "oci://ghcr.io/openova-io"),
        secret_ref=repo_defaults.str("secretRef", ""),
    )
    repo_defaults.done()
    defaults.done()
    releases = [
        _release(
            _Fields({**(rel_defaults or {}), **_mapping(item, f"releases[{i}]")}, f"releases[{i}]"),
            repository,
        )
        for i, item in enumerate(top.list("releases"))
    ]
    generate = top.raw("generate")
    if generate is not None:
        from sovsim.scenario_generate import generate_releases

        gen = _Fields(generate, "generate")
        releases += generate_releases(
            count=gen.int("releases", 0),
            pods_per_release=gen.int("podsPerRelease", 10),
            repository=repository,
            first_index=len(releases),
        )
        gen.done()
    top.done()
    _check_releases(releases, cluster)
    return Scenario(name, description, duration, cluster, tuple(releases), source)


def _mapping(item: Any, where: str) -> dict:
    if not isinstance(item, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {type(item).__name__}")
    return item


def _check_releases(releases: list[Release], cluster: Cluster) -> None:
    classes = {sc.name for sc in cluster.storage_classes}
    keys = {}
    for i, rel in enumerate(releases):
        if rel.key in keys:
            raise ScenarioError(f"releases[{i}]: duplicate release {rel.namespace}/{rel.name}")
        keys[rel.key] = i
    for i, rel in enumerate(releases):
        for j, dep in enumerate(rel.depends_on):
            if dep not in keys:
                raise ScenarioError(
                    f"releases[{i}].dependsOn[{j}]: unknown release '{dep[0]}/{dep[1]}'"
                )
        for w, workload in enumerate(rel.workloads):
            for c, claim in enumerate(workload.volume_claims):
                if claim.storage_class not in classes:
                    raise ScenarioError(
                        f"releases[{i}].workloads[{w}].volumeClaims[{c}].storageClass: "
                        f"unknown StorageClass {claim.storage_class!r} (cluster has: {', '.join(sorted(classes))})"
                    )


def _cluster(f: _Fields) -> Cluster:
    git = _Fields(f.raw("gitRepository", {}), "cluster.gitRepository")
    ks = _Fields(f.raw("kustomization", {}), "cluster.kustomization")
    base = Cluster()
    secrets = tuple(
        _secret(item, f"cluster.secrets[{i}]") for i, item in enumerate(f.list("secrets"))
    )
    classes = base.storage_classes
    if f.has("storageClasses"):
        classes = tuple(
            _storage_class(_Fields(item, f"cluster.storageClasses[{i}]"))
            for i, item in enumerate(f.list("storageClasses"))
        )
    nodes = tuple(str(n) for n in f.list("nodes")) or base.nodes
    cluster = Cluster(
        nodes=nodes,
        flux_crds_at=f.duration("fluxCrdsAt", base.flux_crds_at),
        git_name=git.str("name", base.git_name),
        git_url=git.str("url", base.git_url),
        git_ready_after=git.duration("readyAfter", base.git_ready_after),
        kustomization_name=ks.str("name", base.kustomization_name),
        kustomization_path=ks.str("path", base.kustomization_path),
        kustomization_apply_after=ks.duration("applyAfter", base.kustomization_apply_after),
        kustomization_timeout=ks.duration("timeout", base.kustomization_timeout),
        kustomization_interval=ks.duration("interval", base.kustomization_interval),
        secrets=secrets,
        storage_classes=classes,
    )
    for fields in (git, ks, f):
        fields.done()
    return cluster


def _secret(item: Any, where: str) -> Secret:
    if isinstance(item, str):
        item = {"name": item}
    f = _Fields(item, where)
    ns, _, name = f.str("name").rpartition("/")
    secret = Secret(ns or "flux-system", name, f.duration("appearsAt", 0.0, forever=True))
    f.done()
    return secret


def _storage_class(f: _Fields) -> StorageClass:
    mode = f.str("volumeBindingMode", "WaitForFirstConsumer")
    if mode not in ("WaitForFirstConsumer", "Immediate"):
        raise ScenarioError(
            f"{f.at('volumeBindingMode')}: must be WaitForFirstConsumer or Immediate"
        )
    sc = StorageClass(
        name=f.str("name"),
        provisioner=f.str("provisioner"),
        binding_mode=mode,
        attach=f.bool("attach", False),
        provision_duration=f.duration("provisionDuration", 4.0, forever=True),
    )
    f.done()
    return sc


def _dependency(item: Any, namespace: str, where: str) -> tuple[str, str]:
    if isinstance(item, dict):
        f = _Fields(item, where)
        dep = (f.str("namespace", namespace), f.str("name"))
        f.done()
        return dep
    ns, _, name = str(item).rpartition("/")
    return (ns or namespace, name)


def _release(f: _Fields, default_repo: Repository) -> Release:
    name = f.str("name")
    namespace = f.str("namespace", "flux-system")
    release_name = f.str("releaseName", name.removeprefix("bp-"))
    target = f.str("targetNamespace", namespace)
    version = f.str("version", "1.0.0")
    repo = _Fields(f.raw("repository", {}), f.at("repository"))
    repository = replace(
        default_repo,
        name=repo.str("name", name),
        namespace=namespace,
        type=repo.str("type", default_repo.type),
        url=repo.str("url", default_repo.url),
        secret_ref=repo.str("secretRef", default_repo.secret_ref),
    )
    repo.done()
    failures = _failures(f, "installFailures")
    upgrades = tuple(
        _upgrade(_Fields(item, f.at(f"upgrades[{i}]"))) for i, item in enumerate(f.list("upgrades"))
    )
    workloads = tuple(
        _workload(_Fields(item, f.at(f"workloads[{i}]")), release_name, version)
        for i, item in enumerate(f.list("workloads"))
    )
    if not f.has("workloads"):
        workloads = (
            _workload(_Fields({"name": release_name}, f.at("workloads[0]")), release_name, version),
        )
    release = Release(
        name=name,
        namespace=namespace,
        target_namespace=target,
        release_name=release_name,
        chart=f.str("chart", name),
        version=version,
        repository=repository,
        depends_on=tuple(
            _dependency(item, namespace, f.at(f"dependsOn[{i}]"))
            for i, item in enumerate(f.list("dependsOn"))
        ),
        disable_wait=f.bool("disableWait", True),
        timeout=f.duration("timeout", 300.0),
        retries=f.int("retries", 3, minimum=-1),
        interval=f.duration("interval", 900.0),
        install_duration=f.duration("installDuration", 15.0),
        install_failures=failures,
        workloads=workloads,
        upgrades=upgrades,
    )
    f.done()
    return release


def _failures(f: _Fields, key: str) -> ActionFailures | None:
    if not f.has(key):
        return None
    ff = _Fields(f.raw(key), f.at(key))
    after = ff.duration("after", -1.0)
    failures = ActionFailures(
        attempts=ff.int("attempts", 1),
        error=ff.str("error", "context deadline exceeded"),
        after=None if after < 0 else after,
    )
    ff.done()
    return failures


def _upgrade(f: _Fields) -> Upgrade:
    if not f.has("at"):
        raise ScenarioError(f"{f.at('at')}: required (when the new version is applied, e.g. 20m)")
    upgrade = Upgrade(
        at=f.duration("at", 0.0), version=f.str("version"), failures=_failures(f, "failures")
    )
    f.done()
    return upgrade


def _workload(f: _Fields, release_name: str, version: str) -> Workload:
    kind = f.str("kind", "Deployment")
    if kind not in WORKLOAD_KINDS:
        raise ScenarioError(
            f"{f.at('kind')}: must be one of {', '.join(WORKLOAD_KINDS)}, got {kind!r}"
        )
    name = f.str("name", release_name)
    image = f.str("image", f"ghcr.io/openova-io/{name}:{version}")
    containers = tuple(
        _container(_Fields(item, f.at(f"containers[{i}]")), image, init=False)
        for i, item in enumerate(f.list("containers"))
    ) or (_container(_Fields({"name": name}, f.at("containers[0]")), image, init=False),)
    inits = tuple(
        _container(_Fields(item, f.at(f"initContainers[{i}]")), image, init=True)
        for i, item in enumerate(f.list("initContainers"))
    )
    claims = tuple(
        _claim(_Fields(item, f.at(f"volumeClaims[{i}]")))
        for i, item in enumerate(f.list("volumeClaims"))
    )
    workload = Workload(
        kind=kind,
        name=name,
        replicas=f.int("replicas", 1),
        component=f.str("component", ""),
        containers=inits + containers,
        volume_claims=claims,
        image_pull_secrets=tuple(str(s) for s in f.list("imagePullSecrets")),
    )
    f.done()
    return workload


def _probe(value: Any, where: str) -> Probe | None:
    if value is None:
        return None
    f = _Fields(value, where)
    probe = Probe(
        path=f.str("path", "/healthz"),
        port=f.int("port", 8080),
        period=f.duration("period", 10.0),
        failure_threshold=f.int("failureThreshold", 3),
    )
    f.done()
    return probe


def _container(f: _Fields, image: str, *, init: bool) -> Container:
    crash = None
    if f.has("crashLoop"):
        cf = _Fields(f.raw("crashLoop") or {}, f.at("crashLoop"))
        crash = CrashLoop(
            run_for=cf.duration("runFor", 5.0),
            exit_code=cf.int("exitCode", 1),
            recover_after=_count_or_forever(cf, "recoverAfterRestarts"),
            message=cf.str("message", ""),
        )
        cf.done()
    container = Container(
        name=f.str("name"),
        image=f.str("image", image),
        init=init,
        ready_after=f.duration("readyAfter", 10.0),
        pull_duration=f.duration("pullDuration", 5.0),
        readiness=_probe(f.raw("readinessProbe", {} if not init else None), f.at("readinessProbe")),
        liveness=_probe(f.raw("livenessProbe", {} if not init else None), f.at("livenessProbe")),
        startup=_probe(f.raw("startupProbe"), f.at("startupProbe")),
        readiness_fails_for=f.duration("readinessFailsFor", 0.0, forever=True),
        liveness_failures=f.int("livenessFailures", 0),
        image_pull_fails_for=f.duration("imagePullFailsFor", 0.0, forever=True),
        missing_secret=f.str("missingSecret", ""),
        crash_loop=crash,
        **_logs(f.raw("logs"), f.at("logs")),
    )
    f.done()
    return container


def _logs(value: Any, where: str) -> dict:
    """`logs: [line, ...]` or `logs: {lines: [...], every: 2s}` as Container fields."""
    if value is None:
        return {}
    f = _Fields({"lines": value} if isinstance(value, list) else value, where)
    lines = f.list("lines")
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise ScenarioError(f"{where}.lines[{i}]: expected a string, got {line!r}")
    every = f.duration("every", 1.0)
    f.done()
    return {"logs": tuple(lines), "log_every": every}


def _count_or_forever(f: _Fields, key: str) -> float:
    if f.raw(key, "forever") == "forever":
        return FOREVER
    return float(f.int(key, 0))


def _claim(f: _Fields) -> VolumeClaim:
    multi = None
    if f.has("multiAttach"):
        mf = _Fields(f.raw("multiAttach"), f.at("multiAttach"))
        multi = MultiAttach(
            node=mf.str("node"),
            used_by=mf.str("usedBy"),
            lasts=mf.duration("for", FOREVER, forever=True),
        )
        mf.done()
    attach_error = None
    if f.has("attachError"):
        raw = f.raw("attachError")
        af = _Fields({"message": raw} if isinstance(raw, str) else raw, f.at("attachError"))
        attach_error = AttachError(
            message=af.str("message", AttachError.message),
            lasts=af.duration("for", FOREVER, forever=True),
        )
        af.done()
    claim = VolumeClaim(
        name=f.str("name", "data"),
        storage_class=f.str("storageClass", "local-path"),
        size=f.str("size", "10Gi"),
        provisioning_fails_for=f.duration("provisioningFailsFor", 0.0, forever=True),
        failed_mount_for=f.duration("failedMountFor", 0.0, forever=True),
        multi_attach=multi,
        attach_error=attach_error,
    )
    f.done()
    return claim
