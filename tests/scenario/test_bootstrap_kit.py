"""The default scenario played to the end, instantly: the final state and the path to it."""

from __future__ import annotations

from sovsim.controllers.common import get_condition, is_ready

from .conftest import HR, START


def _ready_time(played, name: str) -> float | None:
    """Simulated time of the first change that made `name` Ready=True at its generation."""
    for when, change in played.changes:
        if (
            change.resource == HR
            and change.obj["metadata"]["name"] == name
            and is_ready(change.obj)
        ):
            return when
    return None


def _install_start(played, name: str) -> float | None:
    for when, change in played.changes:
        if change.resource != HR or change.obj["metadata"]["name"] != name:
            continue
        cond = get_condition(change.obj, "Reconciling")
        if cond is not None and cond["message"].startswith("Running 'install' action"):
            return when
    return None


def test_every_release_ready_at_its_generation(kit):
    hrs, _ = kit.store.list(HR)
    assert len(hrs) == 38
    not_ready = [h["metadata"]["name"] for h in hrs if not is_ready(h)]
    assert not_ready == []
    for hr in hrs:
        ready = get_condition(hr, "Ready")
        assert ready["reason"] == "InstallSucceeded"
        assert ready["message"].startswith(
            f"Helm install succeeded for release {hr['spec']['targetNamespace']}/{hr['spec']['releaseName']}.v1 with chart "
        )
        assert get_condition(hr, "Reconciling") is None


def test_recovering_failure_is_recorded(kit):
    hr = kit.hr("bp-crossplane")
    assert hr["status"]["installFailures"] == 1
    assert hr["status"]["failures"] == 1
    assert [s["status"] for s in hr["status"]["history"]] == ["deployed"]
    # On the way, history showed the failed release (then uninstalled by remediation).
    statuses = []
    for _, change in kit.changes:
        if change.resource == HR and change.obj["metadata"]["name"] == "bp-crossplane":
            history = change.obj.get("status", {}).get("history") or []
            if history and (not statuses or statuses[-1] != history[0]["status"]):
                statuses.append(history[0]["status"])
    assert statuses == ["failed", "uninstalled", "deployed"]
    reasons = [
        e["reason"]
        for e in sorted(
            kit.events_for("flux-system", "bp-crossplane"), key=lambda e: e["firstTimestamp"]
        )
    ]
    assert reasons[-3:] == ["InstallFailed", "UninstallSucceeded", "InstallSucceeded"]
    failed = next(
        e for e in kit.events_for("flux-system", "bp-crossplane") if e["reason"] == "InstallFailed"
    )
    assert failed["type"] == "Warning"
    assert (
        failed["message"]
        == "Helm install failed for release crossplane-system/crossplane with chart bp-crossplane@1.1.3: context deadline exceeded"
    )
    assert failed["source"]["component"] == "helm-controller"
    assert failed["involvedObject"]["uid"] == hr["metadata"]["uid"]


def test_no_release_installs_before_its_dependencies_are_ready(kit):
    hrs, _ = kit.store.list(HR)
    checked = 0
    for hr in hrs:
        started = _install_start(kit, hr["metadata"]["name"])
        assert started is not None
        for dep in hr["spec"].get("dependsOn", []):
            assert _ready_time(kit, dep["name"]) <= started, (hr["metadata"]["name"], dep["name"])
            checked += 1
    assert checked == 47  # the kit's 44 edges and one for each of the three added releases


def test_dependants_waited_with_flux_messages(kit):
    waits = [
        e
        for e in kit.events_for("flux-system", "bp-grafana")
        if e["reason"] == "DependencyNotReady"
    ]
    assert waits
    assert all(
        e["message"].startswith("dependency 'flux-system/bp-")
        and e["message"].endswith("' is not ready")
        for e in waits
    )


def test_pods_running_and_ready_pvcs_bound(kit):
    pods, _ = kit.store.list("pods")
    assert len(pods) > 80
    for pod in pods:
        assert pod["status"]["phase"] == "Running", pod["metadata"]["name"]
        assert all(c["ready"] for c in pod["status"]["containerStatuses"]), pod["metadata"]["name"]
        assert get_condition(pod, "Ready")["status"] == "True"
    pvcs, _ = kit.store.list("persistentvolumeclaims")
    assert pvcs
    for pvc in pvcs:
        assert pvc["status"]["phase"] == "Bound"
        assert pvc["spec"]["volumeName"] == f"pvc-{pvc['metadata']['uid']}"


def test_pods_look_helm_rendered(kit):
    pod = kit.store.get("pods", "loki", "loki-0")
    labels = pod["metadata"]["labels"]
    assert labels["app.kubernetes.io/instance"] == "loki"
    assert labels["app.kubernetes.io/managed-by"] == "Helm"
    assert labels["helm.sh/chart"] == "bp-loki-1.0.0"
    owner = pod["metadata"]["ownerReferences"][0]
    sts = kit.store.get("statefulsets.apps", "loki", "loki")
    assert (owner["kind"], owner["uid"], owner["controller"]) == (
        "StatefulSet",
        sts["metadata"]["uid"],
        True,
    )
    assert sts["metadata"]["annotations"]["meta.helm.sh/release-name"] == "loki"
    assert sts["metadata"]["labels"]["helm.toolkit.fluxcd.io/name"] == "bp-loki"
    rs_pods = [
        p
        for p in kit.store.list("pods", "cert-manager")[0]
        if p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    ]
    assert len(rs_pods) == 3
    assert all("pod-template-hash" in p["metadata"]["labels"] for p in rs_pods)


def test_kustomization_applied_the_kit(kit):
    ks = kit.store.get("kustomizations.kustomize.toolkit.fluxcd.io", "flux-system", "bootstrap-kit")
    assert is_ready(ks)
    ids = {e["id"]: e["v"] for e in ks["status"]["inventory"]["entries"]}
    assert ids["flux-system_bp-cilium_helm.toolkit.fluxcd.io_HelmRelease"] == "v2"
    assert sum(i.endswith("_HelmRelease") for i in ids) == 38
    git = kit.store.get("gitrepositories.source.toolkit.fluxcd.io", "flux-system", "openova")
    assert is_ready(git)


def test_flux_groups_absent_at_first(kit):
    """The Flux CRDs appear minutes in, as in a real bootstrap; timestamps follow the sim clock."""
    first_crd = next(
        when
        for when, c in kit.changes
        if c.resource == "customresourcedefinitions.apiextensions.k8s.io"
    )
    assert first_crd == 300.0
    hr = kit.hr("bp-cilium")
    assert hr["metadata"]["creationTimestamp"] > "2023-11-14T22:18:"  # START + 5m + apply delay
    assert START == 1_700_000_000.0


def test_flux_controllers_run_in_flux_system(kit):
    """`flux install` brings its four controllers up with the CRDs; they are not Helm releases."""
    deployments = {
        d["metadata"]["name"]: d
        for d in kit.store.list("deployments.apps", "flux-system")[0]
        if "helm.toolkit.fluxcd.io/name" not in d["metadata"]["labels"]
    }
    assert sorted(deployments) == [
        "helm-controller",
        "kustomize-controller",
        "notification-controller",
        "source-controller",
    ]
    helm = deployments["helm-controller"]
    assert helm["metadata"]["labels"]["app.kubernetes.io/part-of"] == "flux"
    assert helm["metadata"]["labels"]["control-plane"] == "controller"
    assert helm["spec"]["selector"] == {"matchLabels": {"app": "helm-controller"}}
    [pod] = [
        p
        for p in kit.store.list("pods", "flux-system")[0]
        if p["metadata"]["labels"].get("app") == "helm-controller"
    ]
    assert pod["metadata"]["name"].startswith("helm-controller-")
    assert set(pod["metadata"]["labels"]) == {"app", "pod-template-hash"}
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert pod["spec"]["containers"][0]["image"] == "ghcr.io/fluxcd/helm-controller:v1.1.0"
    assert get_condition(pod, "Ready")["status"] == "True"
    created = [
        when
        for when, c in kit.changes
        if c.resource == "pods"
        and c.type == "ADDED"
        and c.obj["metadata"]["namespace"] == "flux-system"
        and "app" in c.obj["metadata"]["labels"]
    ]
    assert len(created) == 4
    assert 300.0 <= min(created) < 310.0  # with the Flux CRDs at minute 5
