"""Flux itself: cloud-init's install, the kustomize-controller and the source-controller.

The story of a real bootstrap's first minutes: no Flux API groups at all, then the Flux CRDs appear
(`flux install`), cloud-init applies the GitRepository `openova` and the Kustomization
`bootstrap-kit`, the source-controller fetches the repository, and the kustomize-controller applies
the kit in one go (Namespaces, HelmRepositories, HelmReleases), records them in
`status.inventory` and, because the kit has `wait: true`, health-checks the HelmReleases until all
are Ready or its timeout passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sovwatch.emulator.controllers.common import (
    delete_condition,
    digest,
    go_duration,
    is_ready,
    set_condition,
)
from sovwatch.emulator.objects import CATALOGUE, crd_object
from sovwatch.emulator.scenario_schema import Release, Repository

if TYPE_CHECKING:
    from sovwatch.emulator.controllers.sim import Sim

KS = "kustomizations.kustomize.toolkit.fluxcd.io"
GIT = "gitrepositories.source.toolkit.fluxcd.io"
HELMREPO = "helmrepositories.source.toolkit.fluxcd.io"
HELMCHART = "helmcharts.source.toolkit.fluxcd.io"
HR = "helmreleases.helm.toolkit.fluxcd.io"
FLUX_NS = "flux-system"
SOURCE_CONTROLLER = "source-controller"
KUSTOMIZE_CONTROLLER = "kustomize-controller"
HEALTH_POLL = 5.0


def chart_name(release: Release) -> str:
    """The HelmChart helm-controller creates for a release: `<namespace>-<name>`."""
    return f"{release.namespace}-{release.name}"


class Flux:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        cluster = sim.scenario.cluster
        self.revision = f"main@sha1:{digest(cluster.git_url, sim.scenario.name)[:40]}"
        self._health_started = 0.0
        self._chart_attempts: dict[str, int] = {}

    def start(self) -> None:
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.sim.at(0.0, self._namespace, ns, False)
        self.sim.at(self.sim.scenario.cluster.flux_crds_at, self._install_flux)

    def _namespace(self, name: str, labelled: bool) -> None:
        labels = {"kubernetes.io/metadata.name": name}
        if labelled:
            labels["kustomize.toolkit.fluxcd.io/name"] = (
                self.sim.scenario.cluster.kustomization_name
            )
            labels["kustomize.toolkit.fluxcd.io/namespace"] = FLUX_NS
        self.sim.apply(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "labels": labels},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
        )

    # -- cloud-init: flux install, then the GitRepository and the Kustomization ---------------------

    def _install_flux(self) -> None:
        self._namespace(FLUX_NS, False)
        for rt in CATALOGUE:
            if rt.crd:
                self.sim.apply(crd_object(rt, rt.versions))
        cluster = self.sim.scenario.cluster
        self.sim.after(2.0, self._apply_sync_objects)
        self.sim.after(2.0 + cluster.git_ready_after, self._git_ready)

    def _apply_sync_objects(self) -> None:
        cluster = self.sim.scenario.cluster
        self.sim.apply(
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "GitRepository",
                "metadata": {"name": cluster.git_name, "namespace": FLUX_NS},
                "spec": {
                    "interval": "1m0s",
                    "url": cluster.git_url,
                    "ref": {"branch": "main"},
                    "ignore": "/*\n!/clusters/_template\n!/platform\n!/products\n",
                    "timeout": "60s",
                },
            }
        )
        self.sim.apply(
            {
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
                "kind": "Kustomization",
                "metadata": {"name": cluster.kustomization_name, "namespace": FLUX_NS},
                "spec": {
                    "interval": go_duration(cluster.kustomization_interval),
                    "path": cluster.kustomization_path,
                    "prune": True,
                    "wait": True,
                    "timeout": go_duration(cluster.kustomization_timeout),
                    "sourceRef": {"kind": "GitRepository", "name": cluster.git_name},
                    "postBuild": {"substitute": {"SOVEREIGN_FQDN": "omantel.omani.works"}},
                },
            }
        )
        self.sim.after(1.0, self._kustomization_waiting_for_source)

    def _kustomization_waiting_for_source(self) -> None:
        git = self.sim.get(GIT, FLUX_NS, self.sim.scenario.cluster.git_name)
        if is_ready(git):
            return
        self._update_ks(
            lambda st, now: set_condition(
                st,
                "Ready",
                "False",
                "ArtifactFailed",
                "Source artifact not found, retrying in 30s",
                now,
            )
        )

    def _git_ready(self) -> None:
        cluster = self.sim.scenario.cluster
        sha = self.revision.rpartition(":")[2]

        def ready(obj: dict) -> None:
            now = self.sim.timestamp()
            st = obj.setdefault("status", {})
            msg = f"stored artifact for revision '{self.revision}'"
            set_condition(st, "Ready", "True", "Succeeded", msg, now, observed_generation=1)
            set_condition(
                st, "ArtifactInStorage", "True", "Succeeded", msg, now, observed_generation=1
            )
            st["observedGeneration"] = obj["metadata"]["generation"]
            st["artifact"] = {
                "digest": f"sha256:{digest(sha)}",
                "lastUpdateTime": now,
                "path": f"gitrepository/{FLUX_NS}/{cluster.git_name}/{sha}.tar.gz",
                "revision": self.revision,
                "size": 1482911,
                "url": f"http://source-controller.{FLUX_NS}.svc.cluster.local./gitrepository/{FLUX_NS}/{cluster.git_name}/{sha}.tar.gz",
            }

        self.sim.update(GIT, FLUX_NS, cluster.git_name, ready)
        self.sim.after(cluster.kustomization_apply_after, self._apply_kit)

    # -- kustomize-controller ----------------------------------------------------------------------

    def _update_ks(self, mutate) -> None:
        def change(obj: dict) -> None:
            mutate(obj.setdefault("status", {}), self.sim.timestamp())

        self.sim.update(KS, FLUX_NS, self.sim.scenario.cluster.kustomization_name, change)

    def _apply_kit(self) -> None:
        scenario = self.sim.scenario
        timeout = go_duration(scenario.cluster.kustomization_timeout)

        def progressing(st: dict, now: str) -> None:
            msg = f"Fetching manifests for revision {self.revision} with a timeout of {timeout}"
            set_condition(st, "Reconciling", "True", "Progressing", msg, now)
            set_condition(st, "Ready", "Unknown", "Progressing", "Reconciliation in progress", now)
            st["lastAttemptedRevision"] = self.revision

        self._update_ks(progressing)
        entries = []
        namespaces = sorted(
            {r.target_namespace for r in scenario.releases} - {"kube-system", FLUX_NS}
        )
        for ns in namespaces:
            self._namespace(ns, True)
            entries.append({"id": f"_{ns}__Namespace", "v": "v1"})
        for repo in scenario.repositories:
            self._apply_repository(repo)
            entries.append(
                {
                    "id": f"{repo.namespace}_{repo.name}_source.toolkit.fluxcd.io_HelmRepository",
                    "v": "v1beta2",
                }
            )
        for release in scenario.releases:
            self.sim.helm.apply_release(release)
            entries.append(
                {
                    "id": f"{release.namespace}_{release.name}_helm.toolkit.fluxcd.io_HelmRelease",
                    "v": "v2",
                }
            )
        self._health_started = self.sim.now

        def health(st: dict, now: str) -> None:
            msg = f"Running health checks for revision {self.revision} with a timeout of {timeout}"
            set_condition(st, "Reconciling", "True", "Progressing", msg, now)
            set_condition(st, "Ready", "Unknown", "Progressing", msg, now)
            st["inventory"] = {"entries": sorted(entries, key=lambda e: e["id"])}

        self.sim.after(3.0, self._update_ks, health)
        self.sim.after(3.0 + HEALTH_POLL, self._health_check)

    def _health_check(self) -> None:
        scenario = self.sim.scenario
        pending = [
            r for r in scenario.releases if not is_ready(self.sim.get(HR, r.namespace, r.name))
        ]
        elapsed = self.sim.now - self._health_started
        ks = self.sim.get(KS, FLUX_NS, scenario.cluster.kustomization_name)
        if not pending:

            def done(st: dict, now: str) -> None:
                msg = f"Applied revision: {self.revision}"
                gen = ks["metadata"]["generation"]
                set_condition(
                    st,
                    "Ready",
                    "True",
                    "ReconciliationSucceeded",
                    msg,
                    now,
                    observed_generation=gen,
                )
                set_condition(
                    st,
                    "Healthy",
                    "True",
                    "Succeeded",
                    "Health check passed",
                    now,
                    observed_generation=gen,
                )
                delete_condition(st, "Reconciling")
                st["observedGeneration"] = gen
                st["lastAppliedRevision"] = self.revision

            self._update_ks(done)
            self.sim.events.record(
                ks,
                "Normal",
                "ReconciliationSucceeded",
                f"Reconciliation finished in {go_duration(elapsed)}, next run in "
                f"{go_duration(scenario.cluster.kustomization_interval)}",
                component=KUSTOMIZE_CONTROLLER,
                annotations={"kustomize.toolkit.fluxcd.io/revision": self.revision},
            )
            return
        if elapsed < scenario.cluster.kustomization_timeout:
            self.sim.after(HEALTH_POLL, self._health_check)
            return
        waiting = ", ".join(
            f"HelmRelease/{r.namespace}/{r.name} status: 'InProgress'" for r in pending
        )
        msg = f"health check failed after {go_duration(elapsed)}: timeout waiting for: [{waiting}]"

        def failed(st: dict, now: str) -> None:
            gen = ks["metadata"]["generation"]
            set_condition(
                st, "Ready", "False", "HealthCheckFailed", msg, now, observed_generation=gen
            )
            set_condition(
                st, "Healthy", "False", "HealthCheckFailed", msg, now, observed_generation=gen
            )
            delete_condition(st, "Reconciling")
            st["observedGeneration"] = gen

        self._update_ks(failed)
        self.sim.events.record(
            ks, "Warning", "HealthCheckFailed", msg, component=KUSTOMIZE_CONTROLLER
        )
        self.sim.after(scenario.cluster.kustomization_interval, self._recheck)

    def _recheck(self) -> None:
        self._health_started = self.sim.now
        timeout = go_duration(self.sim.scenario.cluster.kustomization_timeout)

        def health(st: dict, now: str) -> None:
            msg = f"Running health checks for revision {self.revision} with a timeout of {timeout}"
            set_condition(st, "Reconciling", "True", "Progressing", msg, now)

        self._update_ks(health)
        self._health_check()

    # -- source-controller -------------------------------------------------------------------------

    def _apply_repository(self, repo: Repository) -> None:
        spec: dict = {"interval": "15m0s", "type": repo.type, "url": repo.url}
        if repo.secret_ref:
            spec["secretRef"] = {"name": repo.secret_ref}
        self.sim.apply(
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1beta2",
                "kind": "HelmRepository",
                "metadata": {
                    "name": repo.name,
                    "namespace": repo.namespace,
                    "labels": {
                        "kustomize.toolkit.fluxcd.io/name": self.sim.scenario.cluster.kustomization_name,
                        "kustomize.toolkit.fluxcd.io/namespace": FLUX_NS,
                    },
                },
                "spec": spec,
            }
        )
        # An OCI HelmRepository is a static object since source-controller v1.2: it gets no status.
        if repo.type != "oci":
            self.sim.after(self.sim.jitter(2.0), self._reconcile_repository, repo)

    def _auth_error(self, repo: Repository) -> str | None:
        if repo.secret_ref and not self.sim.secret_exists(repo.namespace, repo.secret_ref):
            return (
                f"failed to get authentication secret '{repo.namespace}/{repo.secret_ref}': "
                f'secrets "{repo.secret_ref}" not found'
            )
        return None

    def _reconcile_repository(self, repo: Repository) -> None:
        error = self._auth_error(repo)

        def status(obj: dict) -> None:
            st = obj.setdefault("status", {})
            now = self.sim.timestamp()
            if error:
                set_condition(st, "Ready", "False", "AuthenticationFailed", error, now)
                set_condition(st, "FetchFailed", "True", "AuthenticationFailed", error, now)
                return
            rev = f"sha256:{digest(repo.url)}"
            msg = f"stored artifact: revision '{rev}'"
            delete_condition(st, "FetchFailed")
            set_condition(st, "Ready", "True", "Succeeded", msg, now, observed_generation=1)
            set_condition(
                st, "ArtifactInStorage", "True", "Succeeded", msg, now, observed_generation=1
            )
            st["observedGeneration"] = obj["metadata"]["generation"]

        obj = self.sim.update(HELMREPO, repo.namespace, repo.name, status)
        if error and obj is not None:
            self.sim.events.record(
                obj, "Warning", "AuthenticationFailed", error, component=SOURCE_CONTROLLER
            )
            self.sim.after(60.0, self._reconcile_repository, repo)

    def ensure_chart(self, release: Release) -> None:
        """helm-controller's HelmChart template for `release`, reconciled by the source-controller."""
        name = chart_name(release)
        if self.sim.get(HELMCHART, release.repository.namespace, name) is not None:
            return
        self.sim.apply(
            {
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "HelmChart",
                "metadata": {
                    "name": name,
                    "namespace": release.repository.namespace,
                    "labels": {
                        "helm.toolkit.fluxcd.io/name": release.name,
                        "helm.toolkit.fluxcd.io/namespace": release.namespace,
                    },
                },
                "spec": {
                    "chart": release.chart,
                    "version": release.version,
                    "sourceRef": {"kind": "HelmRepository", "name": release.repository.name},
                    "interval": "15m0s",
                    "reconcileStrategy": "ChartVersion",
                },
            }
        )
        self.sim.after(self.sim.jitter(1.0), self._reconcile_chart, release)

    def _reconcile_chart(self, release: Release) -> None:
        name = chart_name(release)
        ns = release.repository.namespace
        error = self._auth_error(release.repository)
        attempt = self._chart_attempts.get(name, 0) + 1
        self._chart_attempts[name] = attempt

        def status(obj: dict) -> None:
            st = obj.setdefault("status", {})
            now = self.sim.timestamp()
            if error:
                set_condition(st, "Reconciling", "True", "ProgressingWithRetry", error, now)
                set_condition(st, "Ready", "False", "AuthenticationFailed", error, now)
                set_condition(st, "FetchFailed", "True", "AuthenticationFailed", error, now)
                return
            gen = obj["metadata"]["generation"]
            msg = f"pulled '{release.chart}' chart with version '{release.version}'"
            delete_condition(st, "FetchFailed")
            delete_condition(st, "Reconciling")
            set_condition(
                st, "Ready", "True", "ChartPullSucceeded", msg, now, observed_generation=gen
            )
            set_condition(
                st,
                "ArtifactInStorage",
                "True",
                "ChartPullSucceeded",
                msg,
                now,
                observed_generation=gen,
            )
            path = f"helmchart/{ns}/{name}/{release.chart}-{release.version}.tgz"
            st.update(
                observedGeneration=gen,
                observedChartName=release.chart,
                url=f"http://source-controller.{FLUX_NS}.svc.cluster.local./helmchart/{ns}/{name}/latest.tar.gz",
                artifact={
                    "digest": f"sha256:{digest(release.chart, release.version)}",
                    "lastUpdateTime": now,
                    "path": path,
                    "revision": release.version,
                    "size": 20000 + int(digest(name)[:4], 16),
                    "url": f"http://source-controller.{FLUX_NS}.svc.cluster.local./{path}",
                },
            )

        obj = self.sim.update(HELMCHART, ns, name, status)
        if obj is None:
            return
        if error:
            self.sim.events.record(
                obj, "Warning", "AuthenticationFailed", error, component=SOURCE_CONTROLLER
            )
            # controller-runtime's exponential backoff, capped so a stuck chart keeps retrying visibly.
            self.sim.after(min(5.0 * 2 ** (attempt - 1), 600.0), self._reconcile_chart, release)
            return
        self.sim.events.record(
            obj,
            "Normal",
            "ChartPullSucceeded",
            f"pulled '{release.chart}' chart with version '{release.version}'",
            component=SOURCE_CONTROLLER,
        )
        self.sim.helm.chart_ready(release)
