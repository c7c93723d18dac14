"""The stuck scenario after N simulated minutes: the exact blocked shapes."""

from __future__ import annotations

import pytest

from sovsim.controllers.common import get_condition

from .conftest import play


@pytest.fixture(scope="module")
def stuck():
    return play("stuck", 15 * 60)


def test_multi_attach_on_the_new_loki_pod(stuck):
    pod = stuck.store.get("pods", "loki", "loki-0")
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["containerStatuses"][0]["state"] == {
        "waiting": {"reason": "ContainerCreating"}
    }
    pvc = stuck.store.get("persistentvolumeclaims", "loki", "storage-loki-0")
    volume = pvc["spec"]["volumeName"]
    attach = [
        e
        for e in stuck.events_for("loki", "loki-0")
        if e["reason"] == "FailedAttachVolume"
        and e["involvedObject"]["uid"] == pod["metadata"]["uid"]
    ]
    assert len(attach) == 1
    assert (
        attach[0]["message"]
        == f'Multi-Attach error for volume "{volume}" Volume is already used by pod(s) loki-0'
    )
    assert attach[0]["involvedObject"]["uid"] == pod["metadata"]["uid"]
    assert attach[0]["source"]["component"] == "attachdetach-controller"
    assert attach[0]["count"] > 1
    mounts = [e for e in stuck.events_for("loki", "loki-0") if e["reason"] == "FailedMount"]
    assert mounts
    assert mounts[0]["message"].startswith(
        "Unable to attach or mount volumes: unmounted volumes=[storage]"
    )
    held = [
        va
        for va in stuck.store.list("volumeattachments.storage.k8s.io")[0]
        if va["spec"]["source"]["persistentVolumeName"] == volume
    ]
    assert len(held) == 1
    assert held[0]["spec"]["nodeName"] == "worker-2" != pod["spec"]["nodeName"]
    assert held[0]["status"]["attached"] is True
    assert "deletionTimestamp" in held[0]["metadata"]


def test_loki_progressing_and_grafana_waits(stuck):
    loki = stuck.hr("bp-loki")
    assert (
        get_condition(loki, "Ready")["message"] == "Running 'install' action with timeout of 15m0s"
    )
    grafana = get_condition(stuck.hr("bp-grafana"), "Ready")
    assert (grafana["status"], grafana["reason"], grafana["message"]) == (
        "False",
        "DependencyNotReady",
        "dependency 'flux-system/bp-loki' is not ready",
    )


def test_crash_loop_blocks_spire_dependants(stuck):
    pod = stuck.store.get("pods", "spire-system", "spire-server-0")

    def manager(obj: dict) -> dict:
        return next(
            c
            for c in obj["status"].get("containerStatuses", [])
            if c["name"] == "spire-controller-manager"
        )

    now = manager(pod)
    assert now["restartCount"] >= 2
    assert now["lastState"]["terminated"]["exitCode"] == 1
    assert "waiting" in now["state"] or "running" in now["state"]
    uid = pod["metadata"]["uid"]
    crash_states = [
        manager(c.obj)["state"]["waiting"]["message"]
        for _, c in stuck.changes
        if c.resource == "pods"
        and c.obj["metadata"]["uid"] == uid
        and c.obj["status"].get("containerStatuses")
        and manager(c.obj)["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff"
    ]
    # One message per back-off (other writes to the pod repeat the current one).
    crash_states = [m for i, m in enumerate(crash_states) if i == 0 or crash_states[i - 1] != m]
    assert crash_states[0].startswith(
        "back-off 10s restarting failed container=spire-controller-manager pod=spire-server-0_spire-system("
    )
    assert crash_states[1].startswith("back-off 20s ")
    backoff = [
        e for e in stuck.events_for("spire-system", "spire-server-0") if e["reason"] == "BackOff"
    ]
    assert backoff[0]["message"].startswith(
        "Back-off restarting failed container spire-controller-manager in pod spire-server-0_spire-system("
    )
    assert stuck.hr("bp-spire")["status"]["installFailures"] == 1
    for name in ("bp-nats-jetstream", "bp-openbao"):
        assert (
            get_condition(stuck.hr(name), "Ready")["message"]
            == "dependency 'flux-system/bp-spire' is not ready"
        )
    assert (
        get_condition(stuck.hr("bp-external-secrets"), "Ready")["message"]
        == "dependency 'flux-system/bp-openbao' is not ready"
    )


def test_missing_pull_secret_blocks_keycloak_chain(stuck):
    message = "failed to get authentication secret 'flux-system/ghcr-pull': secrets \"ghcr-pull\" not found"
    chart = stuck.store.get(
        "helmcharts.source.toolkit.fluxcd.io", "flux-system", "flux-system-bp-keycloak"
    )
    ready = get_condition(chart, "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False",
        "AuthenticationFailed",
        message,
    )
    event = next(
        e
        for e in stuck.events_for("flux-system", "flux-system-bp-keycloak")
        if e["reason"] == "AuthenticationFailed"
    )
    assert event["source"]["component"] == "source-controller"
    assert event["count"] > 1
    hr_ready = get_condition(stuck.hr("bp-keycloak"), "Ready")
    assert (hr_ready["reason"], hr_ready["message"]) == (
        "HelmChartNotReady",
        "HelmChart 'flux-system/flux-system-bp-keycloak' is not ready",
    )
    assert (
        get_condition(stuck.hr("bp-gitea"), "Ready")["message"]
        == "dependency 'flux-system/bp-keycloak' is not ready"
    )
    assert (
        get_condition(stuck.hr("bp-catalyst-platform"), "Ready")["message"]
        == "dependency 'flux-system/bp-gitea' is not ready"
    )


def test_noise_shapes(stuck):
    def waiting(ns: str, prefix: str) -> dict:
        pod = next(
            p for p in stuck.store.list("pods", ns)[0] if p["metadata"]["name"].startswith(prefix)
        )
        return pod["status"]["containerStatuses"][0]["state"]["waiting"]

    assert waiting("powerdns", "powerdns-") == {
        "reason": "CreateContainerConfigError",
        "message": 'secret "pdns-pg-app" not found',
    }
    assert waiting("vpa", "vpa-recommender-")["reason"] in ("ImagePullBackOff", "ErrImagePull")
    ingester = stuck.store.get("pods", "mimir", "mimir-ingester-0")
    scheduled = get_condition(ingester, "PodScheduled")
    assert (scheduled["status"], scheduled["reason"]) == ("False", "Unschedulable")
    assert "pod has unbound immediate PersistentVolumeClaims" in scheduled["message"]
    assert any(
        e["reason"] == "FailedScheduling" for e in stuck.events_for("mimir", "mimir-ingester-0")
    )


def test_spire_stalls_after_retries():
    later = play("stuck", 50 * 60)
    stalled = get_condition(later.hr("bp-spire"), "Stalled")
    assert (stalled["status"], stalled["reason"], stalled["message"]) == (
        "True",
        "RetriesExceeded",
        "Failed to install after 4 attempt(s)",
    )
    assert later.hr("bp-spire")["status"]["installFailures"] == 4
    assert get_condition(later.hr("bp-spire"), "Reconciling") is None


def test_crashed_runs_leave_their_decisive_line_in_the_previous_log(stuck):
    """What `kubectl logs -p` would show: the reason is only in the log, not in the pod status."""

    def previous_log(ns: str, prefix: str, container: str) -> list[str]:
        pod = next(
            p for p in stuck.store.list("pods", ns)[0] if p["metadata"]["name"].startswith(prefix)
        )
        status = next(s for s in pod["status"]["containerStatuses"] if s["name"] == container)
        terminated = status["lastState"]["terminated"]
        assert terminated["reason"] == "Error"
        assert "message" not in terminated
        return [line for _, line in stuck.store.logs.lines(terminated["containerID"])]

    spire = previous_log("spire-system", "spire-server-0", "spire-controller-manager")
    assert len(spire) == 3
    assert '"level":"error"' in spire[-1]
    assert r'"error":"no matches for kind \"ClusterSPIFFEID\"' in spire[-1]
    dns = previous_log("external-dns", "external-dns-", "external-dns")
    assert dns[-1].startswith('time="20')
    assert " level=fatal " in dns[-1]
    assert dns[-1].endswith('connect: connection refused"')
