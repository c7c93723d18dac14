"""source-controller: the GitRepository, HelmRepositories and the HelmCharts helm-controller asks for.

The GitRepository becomes Ready once its first fetch is stored. HTTP HelmRepositories are fetched
and become Ready; OCI HelmRepositories are static objects since source-controller v1.2 and get no
status at all, so a missing pull secret shows on the HelmChart (`AuthenticationFailed`, retried with
controller-runtime's exponential back-off) rather than on the repository. An HTTP HelmRepository that
cannot fetch its index (`AuthenticationFailed`) has no artifact, so its HelmCharts say
`NoSourceArtifact` ("no artifact available for HelmRepository source 'x'"). A pulled chart is
`ChartPullSucceeded` and triggers the HelmRelease's reconcile, as the HelmChart watch does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sovsim.controllers.common import FLUX_NS, delete_condition, digest, set_condition
from sovsim.scenario_schema import Release, Repository

if TYPE_CHECKING:
    from sovsim.controllers.events import EventRecorder
    from sovsim.controllers.sim import Sim

GIT = "gitrepositories.source.toolkit.fluxcd.io"
HELMREPO = "helmrepositories.source.toolkit.fluxcd.io"
HELMCHART = "helmcharts.source.toolkit.fluxcd.io"
SOURCE_CONTROLLER = "source-controller"


def chart_name(release: Release) -> str:
    """The HelmChart helm-controller creates for a release: `<namespace>-<name>`."""
    return f"{release.namespace}-{release.name}"


class ChartWatcher(Protocol):
    """Who watches HelmCharts (helm-controller): told when a release's chart is ready."""

    def chart_ready(self, release: Release) -> None: ...


class SourceController:
    def __init__(self, sim: Sim, events: EventRecorder) -> None:
        self.sim = sim
        self.events = events
        self.helm: ChartWatcher
        """Wired by the runner once helm-controller exists (it needs this controller first)."""
        cluster = sim.scenario.cluster
        self.revision = f"main@sha1:{digest(cluster.git_url, sim.scenario.name)[:40]}"
        """The GitRepository's artifact revision, which the Kustomization reports."""
        self._chart_attempts: dict[str, int] = {}

    def reconcile_git(self) -> None:
        """The GitRepository's first fetch succeeded: Ready with the stored artifact."""
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

    def repository_applied(self, repo: Repository) -> None:
        """A HelmRepository was applied; an OCI one is static and never reconciled."""
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
            self.events.record(
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

    def update_chart(self, release: Release) -> None:
        """helm-controller updates the HelmChart template for a new chart version."""
        ns, name = release.repository.namespace, chart_name(release)

        def version(obj: dict) -> None:
            obj["spec"]["version"] = release.version

        if self.sim.update(HELMCHART, ns, name, version) is not None:
            self.sim.after(self.sim.jitter(1.0), self._reconcile_chart, release)

    def _reconcile_chart(self, release: Release) -> None:
        name = chart_name(release)
        ns = release.repository.namespace
        repo = release.repository
        error = self._auth_error(repo)
        reason = "AuthenticationFailed"
        if error and repo.type != "oci":
            reason = "NoSourceArtifact"
            error = f"no artifact available for HelmRepository source '{repo.name}'"
        attempt = self._chart_attempts.get(name, 0) + 1
        self._chart_attempts[name] = attempt

        def status(obj: dict) -> None:
            st = obj.setdefault("status", {})
            now = self.sim.timestamp()
            if error:
                set_condition(st, "Reconciling", "True", "ProgressingWithRetry", error, now)
                set_condition(st, "Ready", "False", reason, error, now)
                if reason == "AuthenticationFailed":
                    set_condition(st, "FetchFailed", "True", reason, error, now)
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
            self.events.record(obj, "Warning", reason, error, component=SOURCE_CONTROLLER)
            # controller-runtime's exponential backoff, capped so a stuck chart keeps retrying visibly.
            self.sim.after(min(5.0 * 2 ** (attempt - 1), 600.0), self._reconcile_chart, release)
            return
        self.events.record(
            obj,
            "Normal",
            "ChartPullSucceeded",
            f"pulled '{release.chart}' chart with version '{release.version}'",
            component=SOURCE_CONTROLLER,
        )
        self.helm.chart_ready(release)
