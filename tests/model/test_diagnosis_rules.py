"""Diagnosis rules (issue 14, and the decisive Event of issue 13), one table per rule.

Objects as the controllers write them: helm-controller's `ArtifactFailed`, source-controller's
`NoSourceArtifact` / `AuthenticationFailed`, the kubelet's `Killing` / `Unhealthy` /
`FailedToRetrieveImagePullSecret` / pull errors, kube-scheduler's `FailedScheduling`, the PV
controller's and the external provisioner's `ProvisioningFailed` / `ExternalProvisioning`.
"""

from __future__ import annotations

import pytest

from sovwatch.model.events import normalized_for
from sovwatch.model.pod import assess_pod
from sovwatch.model.rollout import Rollout
from sovwatch.model.snapshot import build_snapshot, snapshot_of
from sovwatch.model.states import State
from sovwatch.sources.events import EventType, WatchEvent
from tests.model.builders import (
    T0_EPOCH,
    cond,
    container_status,
    event,
    helmchart,
    helmrelease,
    helmrepository,
    hr_ready,
    pod,
    pvc,
    store_of,
    ts,
    unschedulable,
    waiting,
)
from tests.model.scenario_feed import START, store_at

GHCR = (
    "failed to get authentication secret 'flux-system/ghcr-pull': secrets \"ghcr-pull\" not found"
)
ARTIFACT_TIMEOUT = (
    "failed to download artifact, error: GET http://source-controller.flux-system.svc.cluster.local./"
    "helmchart/flux-system/flux-system-bp-cilium/cilium-1.1.1.tgz giving up after 10 attempt(s): "
    'Get "http://source-controller.flux-system.svc.cluster.local./helmchart/flux-system/'
    'flux-system-bp-cilium/cilium-1.1.1.tgz": dial tcp 10.43.12.7:80: i/o timeout'
)


def _snapshot(objects):
    return build_snapshot(store_of(*objects), now=T0_EPOCH + 600)


def _release(objects, name):
    view = _snapshot(objects).release("flux-system", name)
    assert view is not None
    return view


# -- sources ---------------------------------------------------------------------------------------


def _artifact_failed(name: str) -> dict:
    return helmrelease(
        name, conditions=[cond("Ready", "False", "ArtifactFailed", ARTIFACT_TIMEOUT, gen=1)]
    )


def _chart(name: str, status: str, reason: str, message: str) -> dict:
    return helmchart(
        name, conditions=[cond("Ready", status, reason, message, gen=1)], artifact=status == "True"
    )


def _waits_on_chart(name: str) -> dict:
    return helmrelease(
        name,
        conditions=[
            cond(
                "Ready",
                "False",
                "SourceNotReady",
                f"HelmChart 'flux-system/flux-system-{name}' is not ready: "
                f"no artifact available for HelmRepository source '{name}'",
                gen=1,
            )
        ],
    )


NO_ARTIFACT = "no artifact available for HelmRepository source 'bp-cilium'"
PULLED = "pulled 'bp-cilium' chart with version '1.1.1'"

SOURCE_CASES = [
    # (id, objects, release state, cause kind, cause reason, chain's last link)
    (
        "artifact-failed-with-ready-chart-is-the-release's-own-failure",
        [_artifact_failed("bp-cilium"), _chart("bp-cilium", "True", "ChartPullSucceeded", PULLED)],
        State.FAILED,
        "HelmRelease",
        "ArtifactFailed",
        f"ArtifactFailed: {ARTIFACT_TIMEOUT}",
    ),
    (
        "artifact-failed-while-chart-fails-waits-on-the-chart",
        [_artifact_failed("bp-cilium"), _chart("bp-cilium", "False", "AuthenticationFailed", GHCR)],
        State.WAITING,
        "HelmChart",
        "AuthenticationFailed",
        GHCR,
    ),
    (
        "no-source-artifact-follows-the-failing-helmrepository",
        [
            _waits_on_chart("bp-cilium"),
            _chart("bp-cilium", "False", "NoSourceArtifact", NO_ARTIFACT),
            helmrepository(
                "bp-cilium",
                oci=False,
                conditions=[cond("Ready", "False", "AuthenticationFailed", GHCR, gen=1)],
            ),
        ],
        State.WAITING,
        "HelmRepository",
        "AuthenticationFailed",
        GHCR,
    ),
    (
        "oci-chart-failing-itself-is-the-cause",
        [
            _waits_on_chart("bp-cilium"),
            _chart("bp-cilium", "False", "AuthenticationFailed", GHCR),
            helmrepository("bp-cilium"),
        ],
        State.WAITING,
        "HelmChart",
        "AuthenticationFailed",
        GHCR,
    ),
]


@pytest.mark.parametrize(
    ("objects", "state", "kind", "reason", "last"),
    [c[1:] for c in SOURCE_CASES],
    ids=[c[0] for c in SOURCE_CASES],
)
def test_source_rules(objects, state, kind, reason, last):
    view = _release(objects, "bp-cilium")
    assert view.core.verdict.state is state
    rc = view.root_cause
    assert (rc.cause.kind, rc.cause.reason) == (kind, reason)
    assert rc.chain[-1] == last


def test_no_source_artifact_chain_names_chart_and_repository():
    view = _release(SOURCE_CASES[2][1], "bp-cilium")
    assert view.root_cause.chain == (
        "bp-cilium",
        "HelmChart flux-system/flux-system-bp-cilium",
        "HelmRepository flux-system/bp-cilium",
        GHCR,
    )


def test_artifact_failed_turns_failed_when_the_chart_becomes_ready_incrementally():
    """The source's change alone re-judges the release (and its row in `objects`)."""
    store = store_of(
        _artifact_failed("bp-cilium"), _chart("bp-cilium", "False", "AuthenticationFailed", GHCR)
    )
    rollout = Rollout(started_at=T0_EPOCH)
    rollout.update(store, store.drain_changes(), T0_EPOCH + 10)
    key = ("HelmRelease", "flux-system", "bp-cilium")
    assert rollout.releases[key].verdict.state is State.WAITING
    chart = _chart("bp-cilium", "True", "ChartPullSucceeded", PULLED)
    store.apply(WatchEvent("x", EventType.MODIFIED, chart, T0_EPOCH + 20))
    rollout.update(store, store.drain_changes(), T0_EPOCH + 20)
    assert rollout.releases[key].verdict.state is State.FAILED
    assert rollout.objects[key].verdict.state is State.FAILED
    full = build_snapshot(store, now=T0_EPOCH + 20, started_at=T0_EPOCH)
    assert snapshot_of(rollout, store, now=T0_EPOCH + 20).to_dict() == full.to_dict()


# -- probes ----------------------------------------------------------------------------------------

VALKEY = ("Pod", "valkey", "valkey-0")
LIVENESS_FAILED = "Liveness probe failed: dial tcp 10.42.0.17:6379: connect: connection refused"
KILLED = "Container valkey failed liveness probe, will be restarted"
PREVIOUS_RUN = {"startedAt": ts(100), "finishedAt": ts(395)}


def _valkey(*, ready: bool, exit_code: int, reason: str, restarts: int = 4) -> dict:
    last = {"terminated": {"reason": reason, "exitCode": exit_code, **PREVIOUS_RUN}}
    status = container_status(
        "valkey",
        ready=ready,
        restarts=restarts,
        state={"running": {"startedAt": ts(400)}},
        last=last,
    )
    return pod("valkey-0", "valkey", statuses=[status])


def _probe_event(reason: str, message: str, *, last: float, count: int = 3) -> dict:
    """The kubelet's `Unhealthy` (Warning) and `Killing` (Normal) about the valkey container."""
    return event(
        VALKEY,
        reason,
        message,
        type_="Normal" if reason == "Killing" else "Warning",
        count=count,
        last=last,
        field_path="spec.containers{valkey}",
    )


KILL_EVENTS = [
    _probe_event("Unhealthy", LIVENESS_FAILED, last=385, count=12),
    _probe_event("Killing", KILLED, last=390, count=4),
]
READINESS_FAILED = "Readiness probe failed: HTTP probe failed with statuscode: 503"

PROBE_CASES = [
    # (id, pod, events, state, reason, words the message must hold)
    (
        "killed-then-exits-0-on-sigterm-not-ready",
        _valkey(ready=False, exit_code=0, reason="Completed"),
        KILL_EVENTS,
        State.FAILED,
        "LivenessProbeFailed",
        ("killed by its liveness probe", "restarted 4 times", LIVENESS_FAILED),
    ),
    (
        "killed-exit-137-not-ready",
        _valkey(ready=False, exit_code=137, reason="Error"),
        KILL_EVENTS,
        State.FAILED,
        "LivenessProbeFailed",
        ("killed by its liveness probe",),
    ),
    (
        "killed-ready-again-but-failing-liveness-in-this-run",
        _valkey(ready=True, exit_code=137, reason="Error"),
        [*KILL_EVENTS, _probe_event("Unhealthy", LIVENESS_FAILED, last=450, count=14)],
        State.FAILED,
        "LivenessProbeFailed",
        (LIVENESS_FAILED,),
    ),
    (
        "killed-long-ago-then-recovered-is-ready",
        _valkey(ready=True, exit_code=0, reason="Completed"),
        [
            _probe_event("Unhealthy", LIVENESS_FAILED, last=60, count=3),
            _probe_event("Killing", KILLED, last=62, count=1),
        ],
        State.READY,
        "Running",
        (),
    ),
    (
        "startup-probe-kill",
        _valkey(ready=False, exit_code=137, reason="Error", restarts=2),
        [
            _probe_event(
                "Unhealthy",
                "Startup probe failed: HTTP probe failed with statuscode: 500",
                last=380,
            ),
            _probe_event(
                "Killing", "Container valkey failed startup probe, will be restarted", last=390
            ),
        ],
        State.FAILED,
        "StartupProbeFailed",
        ("killed by its startup probe", "Startup probe failed"),
    ),
    (
        "readiness-failing-alone-stays-progressing-and-names-the-probe",
        pod("valkey-0", "valkey", statuses=[container_status("valkey", ready=False)]),
        [_probe_event("Unhealthy", READINESS_FAILED, last=60, count=42)],
        State.PROGRESSING,
        "Unhealthy",
        ("Readiness probe failed",),
    ),
]


@pytest.mark.parametrize(
    ("obj", "events", "state", "reason", "words"),
    [c[1:] for c in PROBE_CASES],
    ids=[c[0] for c in PROBE_CASES],
)
def test_probe_rules(obj, events, state, reason, words):
    verdict = assess_pod(obj, normalized_for(events)).verdict
    assert (verdict.state, verdict.reason) == (state, reason)
    for word in words:
        assert word in verdict.message


# -- scheduling and volumes ------------------------------------------------------------------------

MIMIR_POD = ("Pod", "mimir", "mimir-ingester-0")
MIMIR_PVC = ("PersistentVolumeClaim", "mimir", "storage-mimir-ingester-0")
UNBOUND = (
    "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: "
    "0/3 nodes are available: 3 Preemption is not helpful for scheduling."
)
NO_CPU = (
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
    "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for "
    "scheduling, 2 No preemption victims found for incoming pod."
)
TAINTED = (
    "0/3 nodes are available: 3 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }. "
    "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
)
VOLUME_LIMIT = (
    'failed to provision volume with StorageClass "hcloud-volumes": rpc error: '
    "code = ResourceExhausted desc = volume limit exceeded"
)
NO_CLASS = 'storageclass.storage.k8s.io "hcloud-volumes-xfs" not found'
EXTERNAL = (
    "Waiting for a volume to be created either by the external provisioner 'csi.hetzner.cloud' or "
    "manually by the system administrator. If volume creation is delayed, please verify that the "
    "provisioner is running and correctly registered."
)


def _mimir(message: str, pvc_events: list[dict], *, storage_class: str = "hcloud-volumes"):
    return [
        hr_ready("bp-mimir"),
        pod(
            "mimir-ingester-0",
            "mimir",
            release="mimir",
            phase="Pending",
            node=None,
            claims=["storage-mimir-ingester-0"],
            statuses=[],
            conditions=[unschedulable(message)],
        ),
        event(MIMIR_POD, "FailedScheduling", message, component="default-scheduler"),
        pvc("storage-mimir-ingester-0", "mimir", phase="Pending", storage_class=storage_class),
        *pvc_events,
    ]


def _pvc_event(reason: str, message: str, *, type_: str = "Warning", component: str) -> dict:
    return event(MIMIR_PVC, reason, message, type_=type_, component=component)


PROVISIONER = "csi.hetzner.cloud_hcloud-csi-controller-7c9d8b6f4d-x2k9p_3f1c2a9e-77d1"
SCHEDULING_CASES = [
    # (id, objects, pod state, release state, cause kind, chain's last link)
    (
        "unbound-claim-provisioning-failed",
        _mimir(UNBOUND, [_pvc_event("ProvisioningFailed", VOLUME_LIMIT, component=PROVISIONER)]),
        State.WAITING,
        State.FAILED,
        "PersistentVolumeClaim",
        f"ProvisioningFailed: {VOLUME_LIMIT}",
    ),
    (
        "unbound-claim-missing-storageclass",
        _mimir(
            UNBOUND,
            [_pvc_event("ProvisioningFailed", NO_CLASS, component="persistentvolume-controller")],
            storage_class="hcloud-volumes-xfs",
        ),
        State.WAITING,
        State.FAILED,
        "PersistentVolumeClaim",
        f"ProvisioningFailed: {NO_CLASS}",
    ),
    (
        "unbound-claim-slow-provisioner",
        _mimir(
            UNBOUND,
            [
                _pvc_event(
                    "ExternalProvisioning",
                    EXTERNAL,
                    type_="Normal",
                    component="persistentvolume-controller",
                )
            ],
        ),
        State.WAITING,
        State.PROGRESSING,
        "PersistentVolumeClaim",
        f"ExternalProvisioning: {EXTERNAL}",
    ),
    (
        "provisioner-retrying-after-a-failure-stays-failed",
        _mimir(
            UNBOUND,
            [
                event(
                    MIMIR_PVC, "ProvisioningFailed", VOLUME_LIMIT, last=50, component=PROVISIONER
                ),
                event(
                    MIMIR_PVC,
                    "Provisioning",
                    'External provisioner is provisioning volume for claim "mimir/storage-mimir-ingester-0"',
                    type_="Normal",
                    last=80,
                    component=PROVISIONER,
                ),
            ],
        ),
        State.WAITING,
        State.FAILED,
        "PersistentVolumeClaim",
        f"ProvisioningFailed: {VOLUME_LIMIT}",
    ),
    (
        "insufficient-cpu-stays-failed",
        _mimir(NO_CPU, []),
        State.FAILED,
        State.FAILED,
        "Pod",
        NO_CPU,
    ),
    (
        "taints-stay-failed",
        _mimir(TAINTED, []),
        State.FAILED,
        State.FAILED,
        "Pod",
        TAINTED,
    ),
]


@pytest.mark.parametrize(
    ("objects", "pod_state", "release_state", "kind", "last"),
    [c[1:] for c in SCHEDULING_CASES],
    ids=[c[0] for c in SCHEDULING_CASES],
)
def test_scheduling_rules(objects, pod_state, release_state, kind, last):
    view = _release(objects, "bp-mimir")
    (ingester,) = view.core.pods
    assert (ingester.verdict.state, ingester.verdict.reason) == (pod_state, "Unschedulable")
    assert view.core.verdict.state is release_state
    rc = view.root_cause
    assert rc.cause.kind == kind
    assert rc.chain[1] == "pod mimir/mimir-ingester-0 Pending"
    if kind == "PersistentVolumeClaim":
        assert rc.chain[2] == "pvc mimir/storage-mimir-ingester-0 Pending"
    assert rc.chain[-1] == last


# -- the decisive Event ----------------------------------------------------------------------------

KEYCLOAK_POD = ("Pod", "keycloak", "keycloak-0")
IMAGE = "ghcr.io/openova-io/keycloak:26.0.5"
NO_SECRET = "Unable to retrieve some image pull secrets (ghcr-pull); attempting to pull the image may not succeed."
UNAUTHORIZED = (
    f'Failed to pull image "{IMAGE}": failed to pull and unpack image "{IMAGE}": failed to resolve '
    f'reference "{IMAGE}": failed to authorize: failed to fetch anonymous token: unexpected status '
    "from GET request to https://ghcr.io/token?scope=repository%3Aopenova-io%2Fkeycloak%3Apull"
    "&service=ghcr.io: 401 Unauthorized"
)
SANDBOX = (
    "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "
    '"4c1d": plugin type="cilium-cni" failed (add): unable to connect to Cilium daemon: failed to '
    "create cilium agent client after 30.000000 seconds timeout"
)
TIMEOUT = (
    f'Failed to pull image "{IMAGE}": rpc error: code = DeadlineExceeded desc = failed to pull and '
    f'unpack image "{IMAGE}": failed to resolve reference "{IMAGE}": failed to do request: Head '
    '"https://ghcr.io/v2/openova-io/keycloak/manifests/26.0.5": dial tcp 140.82.121.34:443: i/o timeout'
)
C = "spec.containers{keycloak}"


def _keycloak(state: dict) -> list[dict]:
    return [
        hr_ready("bp-keycloak"),
        pod(
            "keycloak-0",
            "keycloak",
            release="keycloak",
            phase="Pending",
            statuses=[container_status("keycloak", ready=False, state=state, image=IMAGE)],
        ),
    ]


def _kc_event(
    reason: str, message: str, *, path: str | None = C, last: float = 60, type_="Warning"
):
    return event(KEYCLOAK_POD, reason, message, field_path=path, last=last, type_=type_)


PULL_EVENTS = [
    _kc_event("FailedToRetrieveImagePullSecret", NO_SECRET, path=None, last=50),
    _kc_event("Failed", UNAUTHORIZED, last=55),
    _kc_event("Failed", "Error: ErrImagePull", last=55),
    _kc_event("BackOff", f'Back-off pulling image "{IMAGE}"', type_="Normal", last=70),
    _kc_event("Failed", "Error: ImagePullBackOff", last=70),
]

DECISIVE_CASES = [
    # (id, objects, chain's last link)
    (
        "back-off-names-the-missing-pull-secret",
        [
            *_keycloak(waiting("ImagePullBackOff", f'Back-off pulling image "{IMAGE}"')),
            *PULL_EVENTS,
        ],
        NO_SECRET,
    ),
    (
        "back-off-with-the-registry's-401",
        [
            *_keycloak(waiting("ImagePullBackOff", f'Back-off pulling image "{IMAGE}"')),
            *PULL_EVENTS[1:],
        ],
        UNAUTHORIZED,
    ),
    (
        "container-creating-with-a-sandbox-failure",
        [
            *_keycloak(waiting("ContainerCreating")),
            _kc_event("FailedCreatePodSandBox", SANDBOX, path=None),
        ],
        SANDBOX,
    ),
    (
        "a-missing-secret-is-a-side-note-when-the-registry-times-out",
        [
            *_keycloak(waiting("ImagePullBackOff", f'Back-off pulling image "{IMAGE}"')),
            _kc_event("FailedToRetrieveImagePullSecret", NO_SECRET, path=None, last=50),
            _kc_event("Failed", TIMEOUT, last=55),
        ],
        TIMEOUT,
    ),
    (
        "err-image-pull-words-are-not-repeated",
        [
            *_keycloak(waiting("ErrImagePull", UNAUTHORIZED.partition(": ")[2])),
            _kc_event("Failed", UNAUTHORIZED),
            _kc_event("Failed", "Error: ErrImagePull"),
        ],
        f"container keycloak: {UNAUTHORIZED.partition(': ')[2]}",
    ),
    (
        "specific-words-need-no-event",
        [
            *_keycloak(waiting("CreateContainerConfigError", 'secret "keycloak-db" not found')),
            _kc_event("Failed", 'Error: secret "keycloak-db" not found'),
            _kc_event("FailedToRetrieveImagePullSecret", NO_SECRET, path=None),
        ],
        'container keycloak: secret "keycloak-db" not found',
    ),
]


@pytest.mark.parametrize(
    ("objects", "last"), [c[1:] for c in DECISIVE_CASES], ids=[c[0] for c in DECISIVE_CASES]
)
def test_decisive_event_is_the_last_link(objects, last):
    rc = _release(objects, "bp-keycloak").root_cause
    assert rc.chain[1].startswith("pod keycloak/keycloak-0 ")
    assert rc.chain[-1] == last
    assert len(rc.chain) == 3
    assert rc.cause.kind == "Pod"


# -- termination messages --------------------------------------------------------------------------

PANIC = """panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x1c6a2f4]

goroutine 1 [running]:
github.com/spiffe/spire-controller-manager/pkg/spireentry.(*entryReconciler).reconcile(0xc000)
	/workspace/pkg/spireentry/reconciler.go:142 +0x54"""


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (PANIC, PANIC),
        ("x" * 5000, "x" * 2047 + "…"),
        ("  one line  \n", "one line"),
    ],
    ids=["multi-line-kept-whole", "bounded", "trimmed"],
)
def test_termination_message_kept_whole_and_bounded(message, expected):
    status = container_status(
        "spire-controller-manager",
        ready=False,
        restarts=5,
        state=waiting("CrashLoopBackOff", "back-off 2m40s restarting failed container"),
        last={
            "terminated": {
                "reason": "Error",
                "exitCode": 2,
                "message": message,
                "startedAt": ts(100),
                "finishedAt": ts(130),
            }
        },
    )
    obj = pod(
        "spire-server-0",
        "spire",
        release="spire",
        containers=[
            {
                "name": "spire-controller-manager",
                "image": "ghcr.io/spiffe/spire-controller-manager:0.6.0",
            }
        ],
        statuses=[status],
    )
    snap = _snapshot([hr_ready("bp-spire"), obj]).to_dict()
    (doc,) = snap["releases"][0]["pods"][0]["containerStatuses"]
    assert doc["lastTermination"]["message"] == expected
    verdict_message = snap["releases"][0]["pods"][0]["message"]
    assert "\n" not in verdict_message  # the one-line verdict keeps its first line


def test_emulated_http_repository_without_its_secret(tmp_path):
    """The emulator's source-controller: an HTTP HelmRepository whose secret is missing fails
    (`AuthenticationFailed`), its HelmChart says `NoSourceArtifact`, and the chain ends at the
    repository."""
    scenario = tmp_path / "http-repo.yaml"
    scenario.write_text(
        "name: http-repo\n"
        "duration: 5m\n"
        "cluster: {fluxCrdsAt: 10s, secrets: []}\n"
        "releases:\n"
        "  - name: bp-harbor\n"
        "    targetNamespace: harbor\n"
        "    releaseName: harbor\n"
        "    repository: {type: default, url: https://helm.goharbor.io, secretRef: harbor-auth}\n"
    )
    snap = build_snapshot(store_at(str(scenario), 240), now=START + 240, started_at=START)
    rc = snap.release("flux-system", "bp-harbor").root_cause
    assert (rc.cause.kind, rc.cause.reason) == ("HelmRepository", "AuthenticationFailed")
    assert rc.chain[1] == "HelmChart flux-system/flux-system-bp-harbor"
    assert rc.chain[2].startswith("HelmRepository flux-system/")
    assert "harbor-auth" in rc.chain[-1]
    chart = next(o for o in snap.objects if o.kind == "HelmChart")
    assert (chart.verdict.state, chart.verdict.reason) == (State.WAITING, "NoSourceArtifact")


def test_emulated_liveness_kills_fail_the_pod_until_it_settles(tmp_path):
    """Through the emulator's kubelet: while the liveness probe keeps killing the container the pod
    is failed (LivenessProbeFailed, restarts climbing); once the kills stop and it is ready, ready."""
    scenario = tmp_path / "liveness.yaml"
    scenario.write_text(
        "name: liveness\n"
        "duration: 10m\n"
        "cluster: {fluxCrdsAt: 10s, secrets: [flux-system/ghcr-pull]}\n"
        "defaults: {repository: {secretRef: ghcr-pull}}\n"
        "releases:\n"
        "  - name: bp-valkey\n"
        "    targetNamespace: valkey\n"
        "    releaseName: valkey\n"
        "    workloads:\n"
        "      - kind: StatefulSet\n"
        "        name: valkey\n"
        "        containers: [{name: valkey, readyAfter: 10s, livenessFailures: 4}]\n"
    )

    def pod_at(seconds):
        snap = build_snapshot(store_at(str(scenario), seconds), now=START + seconds)
        (pod,) = snap.release("flux-system", "bp-valkey").core.pods
        return pod

    killing = [pod_at(t) for t in (150, 190)]
    assert all(p.verdict.state is State.FAILED for p in killing)
    assert {p.verdict.reason for p in killing} == {"LivenessProbeFailed"}
    assert killing[1].restarts > killing[0].restarts >= 1
    assert "killed by its liveness probe" in killing[1].verdict.message
    settled = pod_at(480)
    assert (settled.verdict.state, settled.restarts) == (State.READY, 4)
