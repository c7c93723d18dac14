"""Flux itself: cloud-init's install and the kustomize-controller (the source-controller is in
`source.py`).

The story of a real bootstrap's first minutes: no Flux API groups at all, then the Flux CRDs appear
(`flux install`) with Flux's four controller Deployments in flux-system (pods labelled
`app=helm-controller` and so on), cloud-init applies the GitRepository `openova` and the Kustomization
`bootstrap-kit`, the source-controller fetches the repository, and the kustomize-controller applies
the kit in one go (Namespaces, HelmRepositories, HelmReleases), records them in
`status.inventory` and, because the kit has `wait: true`, health-checks the HelmReleases until all
are Ready or its timeout passes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sovsim.controllers.common import (
    FLUX_NS,
    delete_condition,
    go_duration,
    is_ready,
    set_condition,
)
from sovsim.controllers.helm_objects import HR
from sovsim.controllers.source import GIT
from sovsim.objects import CATALOGUE, crd_object
from sovsim.scenario_schema import Container, Probe, Release, Repository, Workload

if TYPE_CHECKING:
    from sovsim.controllers.events import EventRecorder
    from sovsim.controllers.helm import HelmController
    from sovsim.controllers.sim import Sim
    from sovsim.controllers.source import SourceController
    from sovsim.controllers.workloads import Workloads

KS = "kustomizations.kustomize.toolkit.fluxcd.io"
KUSTOMIZE_CONTROLLER = "kustomize-controller"
HEALTH_POLL = 5.0
FLUX_VERSION = "v2.4.0"


def _controller(name: str, version: str) -> Release:
    """One of `flux install`'s controller Deployments, as a Release the workload controllers run."""
    container = Container(
        name="manager",
        image=f"ghcr.io/fluxcd/{name}:{version}",
        ready_after=8.0,
        readiness=Probe(path="/readyz", port=9440),
        liveness=Probe(path="/healthz", port=9440),
    )
    return Release(
        name=name,
        namespace=FLUX_NS,
        target_namespace=FLUX_NS,
        release_name=name,
        chart="",
        version=FLUX_VERSION,
        repository=Repository(name=""),
        workloads=(Workload(kind="Deployment", name=name, containers=(container,)),),
        flux_component=True,
    )


FLUX_CONTROLLERS = (
    _controller("helm-controller", "v1.1.0"),
    _controller("kustomize-controller", "v1.4.0"),
    _controller("notification-controller", "v1.4.0"),
    _controller("source-controller", "v1.4.1"),
)
"""Flux's own controllers in flux-system (pods labelled app=helm-controller and so on)."""


class Flux:
    def __init__(
        self,
        sim: Sim,
        events: EventRecorder,
        source: SourceController,
        helm: HelmController,
        workloads: Workloads,
    ) -> None:
        self.sim = sim
        self.events = events
        self.source = source
        self.helm = helm
        self.workloads = workloads
        self._health_started = 0.0
        self._applied: set[tuple[str, str]] = set()

    @property
    def revision(self) -> str:
        return self.source.revision

    def start(self) -> None:
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.sim.at(0.0, self._namespace, ns, False)
        self.sim.at(self.sim.scenario.cluster.flux_crds_at, self._install_flux)
        for release in self.sim.scenario.releases:
            for upgrade in release.upgrades:
                self.sim.at(
                    upgrade.at, self._apply_upgrade, replace(release, version=upgrade.version)
                )

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
        for component in FLUX_CONTROLLERS:
            self.sim.after(self.sim.jitter(1.0), self.workloads.install, component)
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
        self.source.reconcile_git()
        self.sim.after(self.sim.scenario.cluster.kustomization_apply_after, self._apply_kit)

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
            self.helm.apply_release(release)
            self._applied.add(release.key)
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
            self.events.record(
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
        self.events.record(ks, "Warning", "HealthCheckFailed", msg, component=KUSTOMIZE_CONTROLLER)
        self.sim.after(scenario.cluster.kustomization_interval, self._recheck)

    def _recheck(self) -> None:
        self._health_started = self.sim.now
        timeout = go_duration(self.sim.scenario.cluster.kustomization_timeout)

        def health(st: dict, now: str) -> None:
            msg = f"Running health checks for revision {self.revision} with a timeout of {timeout}"
            set_condition(st, "Reconciling", "True", "Progressing", msg, now)

        self._update_ks(health)
        self._health_check()

    def _apply_upgrade(self, release: Release) -> None:
        """A new chart version reached Git: the kit's next apply carries the new spec."""
        if release.key in self._applied:
            self.helm.apply_release(release)

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
        self.source.repository_applied(repo)
