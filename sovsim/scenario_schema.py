"""The scenario file format: what a simulated bootstrap looks like, parsed and validated.

A scenario is a YAML mapping. Keys are camelCase like the Kubernetes objects they describe, and every
key is checked: an unknown key, a bad duration or a `dependsOn` naming a release that does not exist
is a one-line `ScenarioError`, never a traceback. Durations are Go-style (`90s`, `5m`, `1m30s`, `2h`);
where a failure can last for ever, `forever` is accepted.

    name: bootstrap-kit
    description: The openova bootstrap-kit, mostly healthy
    duration: 45m                  # run_to_end() stops here
    cluster:
      nodes: [cp-1, worker-1, worker-2]
      fluxCrdsAt: 3m               # Flux CRDs (and so the Flux API groups) appear
      gitRepository: {name: openova, readyAfter: 20s}
      kustomization: {name: bootstrap-kit, applyAfter: 30s, timeout: 30m}
      secrets:                     # Secrets that exist (sovwatch never watches Secrets)
        - flux-system/ghcr-pull
        - {name: powerdns/pdns-pg-app, appearsAt: 12m}
    defaults:
      release: {timeout: 5m, disableWait: true, retries: 3, installDuration: 15s}
      repository: {type: oci, url: oci://ghcr.io/openova-io, secretRef: ghcr-pull}
    releases:
      - name: bp-loki
        targetNamespace: loki
        releaseName: loki
        version: 1.0.0
        dependsOn: [bp-seaweedfs]          # or flux-system/bp-seaweedfs
        disableWait: false
        timeout: 15m
        installFailures: {attempts: 1, error: context deadline exceeded}
        workloads:
          - kind: StatefulSet
            name: loki
            containers:
              - {name: loki, readyAfter: 2m, readinessFailsFor: 1m}
            volumeClaims:
              - {name: storage, storageClass: hcloud-volumes, multiAttach: {node: worker-2, usedBy: loki-0}}

`generate: {releases: N, podsPerRelease: M}` instead of (or in addition to) `releases` adds N
synthetic releases for benchmarks. The full field list is in docs/scenarios.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FOREVER = math.inf
SHIPPED_DIR = Path(__file__).parent / "scenarios"


class ScenarioError(Exception):
    """A scenario that cannot be loaded; the message is one line saying what and where."""


# -- records ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    path: str = "/healthz"
    port: int = 8080
    period: float = 10.0
    failure_threshold: int = 3


@dataclass(frozen=True)
class CrashLoop:
    run_for: float = 5.0
    """How long the container runs before it exits."""
    exit_code: int = 1
    recover_after: float = FOREVER
    """Restarts after which it stays up (`forever`: it never does)."""
    message: str = ""
    """What the container writes to /dev/termination-log before it exits: the kubelet puts it in
    `state.terminated.message` (the `lastState` of the next run)."""


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    init: bool = False
    ready_after: float = 10.0
    """From container start to the first passing readiness probe."""
    pull_duration: float = 5.0
    readiness: Probe | None = None
    liveness: Probe | None = None
    startup: Probe | None = None
    readiness_fails_for: float = 0.0
    liveness_failures: int = 0
    """Liveness kills (restarts) before the container settles."""
    image_pull_fails_for: float = 0.0
    missing_secret: str = ""
    """A Secret the container's env needs; until it exists: CreateContainerConfigError."""
    crash_loop: CrashLoop | None = None
    logs: tuple[str, ...] = ()
    """Lines every run of the container writes, in order (see `log_line`)."""
    log_every: float = 1.0
    """Seconds between two lines; a crashing run squeezes them to write all before it exits."""


@dataclass(frozen=True)
class MultiAttach:
    node: str
    used_by: str
    """The pod(s) named in the Multi-Attach message."""
    lasts: float = FOREVER


@dataclass(frozen=True)
class AttachError:
    """The CSI driver fails ControllerPublishVolume: the VolumeAttachment gets
    `status.attachError` and the pod a `FailedAttachVolume` event, until `lasts` has passed
    since the claim was created."""

    message: str = (
        "rpc error: code = Internal desc = failed to attach volume: "
        "cannot perform operation because server is locked (locked)"
    )
    lasts: float = FOREVER


@dataclass(frozen=True)
class VolumeClaim:
    name: str
    storage_class: str = "local-path"
    size: str = "10Gi"
    provisioning_fails_for: float = 0.0
    failed_mount_for: float = 0.0
    multi_attach: MultiAttach | None = None
    attach_error: AttachError | None = None


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    replicas: int = 1
    component: str = ""
    containers: tuple[Container, ...] = ()
    volume_claims: tuple[VolumeClaim, ...] = ()
    image_pull_secrets: tuple[str, ...] = ()
    """`spec.imagePullSecrets`; while one is missing the kubelet says FailedToRetrieveImagePullSecret
    and the private registry answers every pull with 401 Unauthorized."""


@dataclass(frozen=True)
class ActionFailures:
    attempts: int
    """The first `attempts` installs (or upgrades) fail; more than the retries stalls the release."""
    error: str = "context deadline exceeded"
    after: float | None = None
    """Time into the attempt when it fails; defaults to the release timeout."""


@dataclass(frozen=True)
class Upgrade:
    """A new chart version committed to Git: the kustomize-controller applies the new spec at `at`
    (simulated seconds since the start) and helm-controller upgrades the release."""

    at: float
    version: str
    failures: ActionFailures | None = None


@dataclass(frozen=True)
class Repository:
    name: str
    namespace: str = "flux-system"
    type: str = "oci"
    url: str = "oci://ghcr.io/openova-io"
    secret_ref: str = ""


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str
    target_namespace: str
    release_name: str
    chart: str
    version: str
    repository: Repository
    depends_on: tuple[tuple[str, str], ...] = ()
    disable_wait: bool = True
    timeout: float = 300.0
    retries: int = 3
    """install/upgrade.remediation.retries; negative: retry for ever."""
    interval: float = 900.0
    install_duration: float = 15.0
    install_failures: ActionFailures | None = None
    workloads: tuple[Workload, ...] = ()
    upgrades: tuple[Upgrade, ...] = ()
    flux_component: bool = False
    """One of Flux's own controllers (`flux install` manifests, not a Helm release); not settable
    from a scenario file."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


@dataclass(frozen=True)
class StorageClass:
    name: str
    provisioner: str
    binding_mode: str = "WaitForFirstConsumer"
    attach: bool = False
    """CSI volumes get VolumeAttachments; local-path volumes do not."""
    provision_duration: float = 4.0


@dataclass(frozen=True)
class Secret:
    namespace: str
    name: str
    appears_at: float = 0.0


@dataclass(frozen=True)
class Cluster:
    nodes: tuple[str, ...] = ("cp-1", "worker-1", "worker-2")
    flux_crds_at: float = 60.0
    git_name: str = "openova"
    git_url: str = "https://github.com/openova-io/openova"
    git_ready_after: float = 15.0
    kustomization_name: str = "bootstrap-kit"
    kustomization_path: str = "./clusters/_template/bootstrap-kit"
    kustomization_apply_after: float = 20.0
    kustomization_timeout: float = 1800.0
    kustomization_interval: float = 300.0
    secrets: tuple[Secret, ...] = ()
    storage_classes: tuple[StorageClass, ...] = (
        StorageClass("local-path", "rancher.io/local-path"),
        StorageClass("hcloud-volumes", "csi.hetzner.cloud", attach=True, provision_duration=8.0),
    )


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    duration: float
    cluster: Cluster
    releases: tuple[Release, ...]
    source: str = ""

    @property
    def repositories(self) -> tuple[Repository, ...]:
        seen: dict[tuple[str, str], Repository] = {}
        for rel in self.releases:
            seen.setdefault((rel.repository.namespace, rel.repository.name), rel.repository)
        return tuple(seen.values())


# -- parsing helpers -------------------------------------------------------------------------------

_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(value: Any, *, where: str, allow_forever: bool = False) -> float:
    """Seconds from `90s`, `5m`, `1m30s`, `2h` (or a plain number of seconds)."""
    if isinstance(value, bool):
        raise ScenarioError(f"{where}: expected a duration like 90s or 5m, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if allow_forever and text == "forever":
        return FOREVER
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        hint = ", or forever" if allow_forever else ""
        raise ScenarioError(f"{where}: bad duration {value!r} (use e.g. 90s, 5m, 1m30s{hint})")
    h, m, s = (float(g) if g else 0.0 for g in match.groups())
    return h * 3600 + m * 60 + s


class _Fields:
    """One mapping being read: typed access by key, and a check that nothing unknown is left."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(f"{where}: expected a mapping, got {type(data).__name__}")
        self.data = data
        self.where = where
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.data.get(key, default)

    def str(self, key: str, default: str | None = None) -> str:
        value = self.raw(key, default)
        if value is None:
            raise ScenarioError(f"{self.at(key)}: required")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ScenarioError(f"{self.at(key)}: expected a string, got {value!r}")
        return str(value)

    def int(self, key: str, default: int, *, minimum: int = 0) -> int:
        value = self.raw(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ScenarioError(
                f"{self.at(key)}: expected a whole number >= {minimum}, got {value!r}"
            )
        return value

    def bool(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise ScenarioError(f"{self.at(key)}: expected true or false, got {value!r}")
        return value

    def duration(self, key: str, default: float, *, forever: bool = False) -> float:
        if key not in self.data:
            self.used.add(key)
            return default
        return parse_duration(self.raw(key), where=self.at(key), allow_forever=forever)

    def list(self, key: str) -> list:
        value = self.raw(key, [])
        if not isinstance(value, list):
            raise ScenarioError(f"{self.at(key)}: expected a list, got {type(value).__name__}")
        return value

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used, key=str)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise ScenarioError(f"{self.at(str(unknown[0]))}: unknown field (known: {known})")
