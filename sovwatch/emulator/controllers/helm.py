"""helm-controller: HelmRelease reconciliation with helm-controller v1's conditions, history and events.

Per reconcile, as in `internal/controller/helmrelease_controller.go` and `internal/reconcile`:
Reconciling=True "Fulfilling prerequisites"; each dependsOn must be Ready=True at its current
generation, else Ready=False `DependencyNotReady` "dependency 'ns/name' is not ready" and a requeue
after 30s; the HelmChart must be ready, else Ready=False `HelmChartNotReady`; then the atomic release
runs "Running 'install' action with timeout of 5m0s" (Ready=Unknown Progressing with the same text).
A failed install is recorded in history and counters, remediated by uninstall and retried until the
failures exceed `install.remediation.retries`, then Stalled=True `RetriesExceeded`.
With `disableWait` the install ends when the manifests are applied; without it Helm waits for the
release's workloads to be ready and fails with "context deadline exceeded" after the timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sovwatch.emulator.controllers.common import (
    delete_condition,
    digest,
    get_condition,
    go_duration,
    is_ready,
    set_condition,
)
from sovwatch.emulator.controllers.flux import FLUX_NS, HELMCHART, HR, chart_name
from sovwatch.emulator.scenario_schema import Release

if TYPE_CHECKING:
    from sovwatch.emulator.controllers.sim import Sim

COMPONENT = "helm-controller"
REQUEUE_DEPENDENCY = 30.0
WAIT_POLL = 5.0
FINALIZER = "finalizers.fluxcd.io"


@dataclass
class _State:
    release: Release
    phase: str = "new"
    """new, waiting, installing, remediating, ready or stalled."""
    attempts: int = 0
    attempt_started: float = 0.0
    next_at: float | None = None
    """When the next reconcile is queued (an earlier trigger replaces it)."""


class HelmController:
    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self._states: dict[tuple[str, str], _State] = {}

    # -- entry points --------------------------------------------------------------------------------

    def apply_release(self, release: Release) -> None:
        """The kustomize-controller applied this HelmRelease."""
        spec: dict = {
            "interval": go_duration(release.interval),
            "releaseName": release.release_name,
            "targetNamespace": release.target_namespace,
            "chart": {
                "spec": {
                    "chart": release.chart,
                    "version": release.version,
                    "sourceRef": {
                        "kind": "HelmRepository",
                        "name": release.repository.name,
                        "namespace": release.repository.namespace,
                    },
                }
            },
            "install": {"remediation": {"retries": release.retries}},
            "upgrade": {"remediation": {"retries": release.retries}},
        }
        if release.disable_wait:
            spec["install"]["disableWait"] = True
            spec["upgrade"]["disableWait"] = True
        if release.timeout != 300.0:
            spec["timeout"] = go_duration(release.timeout)
        if release.depends_on:
            spec["dependsOn"] = [
                {"name": name, **({"namespace": ns} if ns != release.namespace else {})}
                for ns, name in release.depends_on
            ]
        cluster = self.sim.scenario.cluster
        self.sim.apply(
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "kind": "HelmRelease",
                "metadata": {
                    "name": release.name,
                    "namespace": release.namespace,
                    "labels": {
                        "kustomize.toolkit.fluxcd.io/name": cluster.kustomization_name,
                        "kustomize.toolkit.fluxcd.io/namespace": FLUX_NS,
                    },
                },
                "spec": spec,
            }
        )
        self._states[release.key] = _State(release)
        self._requeue(release, self.sim.jitter(1.5, 0.5))

    def chart_ready(self, release: Release) -> None:
        """The source-controller made the chart artifact; the HelmChart watch triggers a reconcile."""
        state = self._states.get(release.key)
        if state is not None and state.phase in ("new", "waiting"):
            self._requeue(release, 0.5)

    # -- the reconcile loop ------------------------------------------------------------------------

    def _requeue(self, release: Release, delay: float) -> None:
        state = self._states[release.key]
        when = self.sim.now + delay
        if state.next_at is not None and state.next_at <= when:
            return
        state.next_at = when
        self.sim.at(when, self._queued, release, when)

    def _queued(self, release: Release, when: float) -> None:
        if self._states[release.key].next_at == when:
            self._reconcile(release)

    def _status(self, release: Release, mutate) -> dict | None:
        def change(obj: dict) -> None:
            mutate(obj, obj.setdefault("status", {}), self.sim.timestamp())

        return self.sim.update(HR, release.namespace, release.name, change)

    def _reconcile(self, release: Release) -> None:
        state = self._states[release.key]
        state.next_at = None
        if state.phase in ("installing", "remediating", "stalled"):
            return
        if state.phase == "ready":
            self._periodic(release)
            return
        if state.phase == "new":
            self.sim.flux.ensure_chart(release)

        def prerequisites(obj: dict, st: dict, now: str) -> None:
            if FINALIZER not in obj["metadata"].setdefault("finalizers", []):
                obj["metadata"]["finalizers"].append(FINALIZER)
            set_condition(st, "Reconciling", "True", "Progressing", "Fulfilling prerequisites", now)

        hr = self._status(release, prerequisites)
        state.phase = "waiting"
        for ns, name in release.depends_on:
            if not is_ready(self.sim.get(HR, ns, name)):
                msg = f"dependency '{ns}/{name}' is not ready"
                hr = self._status(
                    release,
                    lambda o, st, now, m=msg: set_condition(
                        st, "Ready", "False", "DependencyNotReady", m, now
                    ),
                )
                self.sim.events.record(hr, "Normal", "DependencyNotReady", msg, component=COMPONENT)
                self._requeue(release, REQUEUE_DEPENDENCY)
                return
        ready = get_condition(hr, "Ready")
        if ready is not None and ready["reason"] == "DependencyNotReady":
            self._status(
                release,
                lambda o, st, now: set_condition(
                    st, "Ready", "Unknown", "Progressing", "reconciliation in progress", now
                ),
            )
        chart = chart_name(release)
        if not is_ready(self.sim.get(HELMCHART, release.repository.namespace, chart)):
            msg = f"HelmChart '{release.repository.namespace}/{chart}' is not ready"
            self._status(
                release,
                lambda o, st, now: set_condition(
                    st, "Ready", "False", "HelmChartNotReady", msg, now
                ),
            )
            self._requeue(release, release.interval)
            return
        self._install(release)

    def _periodic(self, release: Release) -> None:
        """An in-sync reconcile at spec.interval: Reconciling flickers, nothing else changes."""
        self._status(
            release,
            lambda o, st, now: set_condition(
                st, "Reconciling", "True", "Progressing", "Fulfilling prerequisites", now
            ),
        )
        self.sim.after(
            0.5, self._status, release, lambda o, st, now: delete_condition(st, "Reconciling")
        )
        self._requeue(release, self.sim.jitter(release.interval, 0.05))

    # -- install -------------------------------------------------------------------------------------

    def _install(self, release: Release) -> None:
        state = self._states[release.key]
        state.phase = "installing"
        state.attempts += 1
        state.attempt_started = self.sim.now
        msg = f"Running 'install' action with timeout of {go_duration(release.timeout)}"

        def start(obj: dict, st: dict, now: str) -> None:
            set_condition(st, "Reconciling", "True", "Progressing", msg, now)
            set_condition(st, "Ready", "Unknown", "Progressing", msg, now)
            delete_condition(st, "Remediated")
            st.update(
                helmChart=f"{release.repository.namespace}/{chart_name(release)}",
                storageNamespace=release.namespace,
                lastAttemptedGeneration=obj["metadata"]["generation"],
                lastAttemptedRevision=release.version,
                lastAttemptedConfigDigest=self._config_digest(release),
                lastAttemptedReleaseAction="install",
                history=[],
            )

        self._status(release, start)
        self.sim.after(self.sim.jitter(2.0), self.sim.workloads.install, release)
        failures = release.install_failures
        if failures is not None and state.attempts <= failures.attempts:
            fail_after = failures.after if failures.after is not None else release.timeout
            self.sim.after(fail_after, self._install_failed, release, failures.error)
        elif release.disable_wait:
            self.sim.after(
                self.sim.jitter(release.install_duration), self._install_succeeded, release
            )
        else:
            self.sim.after(max(release.install_duration, WAIT_POLL), self._wait, release)

    def _wait(self, release: Release) -> None:
        """Helm --wait: poll the release's workloads until ready or the timeout passes."""
        state = self._states[release.key]
        if state.phase != "installing":
            return
        if self.sim.workloads.release_ready(release):
            self._install_succeeded(release)
        elif self.sim.now - state.attempt_started >= release.timeout:
            self._install_failed(release, "context deadline exceeded")
        else:
            remaining = release.timeout - (self.sim.now - state.attempt_started)
            self.sim.after(min(WAIT_POLL, remaining), self._wait, release)

    def _config_digest(self, release: Release) -> str:
        return f"sha256:{digest(release.name, 'values')}"

    def _snapshot(self, release: Release, status: str, started: float) -> dict:
        first = self.sim.timestamp(started - self.sim.now)
        return {
            "name": release.release_name,
            "namespace": release.target_namespace,
            "version": 1,
            "status": status,
            "chartName": release.chart,
            "chartVersion": release.version,
            "appVersion": release.version,
            "configDigest": self._config_digest(release),
            "digest": f"sha256:{digest(release.name, status, started)}",
            "firstDeployed": first,
            "lastDeployed": first,
            "ociDigest": f"sha256:{digest(release.chart, release.version, 'oci')}",
        }

    def _install_succeeded(self, release: Release) -> None:
        state = self._states[release.key]
        if state.phase != "installing":
            return
        state.phase = "ready"
        msg = f"Helm install succeeded for release {release.target_namespace}/{release.release_name}.v1 with chart {release.chart}@{release.version}"

        def done(obj: dict, st: dict, now: str) -> None:
            gen = obj["metadata"]["generation"]
            set_condition(
                st, "Released", "True", "InstallSucceeded", msg, now, observed_generation=gen
            )
            set_condition(
                st, "Ready", "True", "InstallSucceeded", msg, now, observed_generation=gen
            )
            delete_condition(st, "Reconciling")
            delete_condition(st, "Stalled")
            st["history"] = [self._snapshot(release, "deployed", state.attempt_started)]
            st["observedGeneration"] = gen
            st["lastAttemptedReleaseActionDuration"] = go_duration(
                self.sim.now - state.attempt_started
            )

        hr = self._status(release, done)
        self.sim.events.record(
            hr,
            "Normal",
            "InstallSucceeded",
            msg,
            component=COMPONENT,
            annotations={"helm.toolkit.fluxcd.io/revision": release.version},
        )
        self._requeue(release, self.sim.jitter(release.interval, 0.05))

    def _install_failed(self, release: Release, error: str) -> None:
        state = self._states[release.key]
        if state.phase != "installing":
            return
        state.phase = "remediating"
        msg = (
            f"Helm install failed for release {release.target_namespace}/{release.release_name} "
            f"with chart {release.chart}@{release.version}: {error}"
        )

        def failed(obj: dict, st: dict, now: str) -> None:
            gen = obj["metadata"]["generation"]
            set_condition(
                st, "Released", "False", "InstallFailed", msg, now, observed_generation=gen
            )
            set_condition(st, "Ready", "False", "InstallFailed", msg, now, observed_generation=gen)
            set_condition(
                st,
                "Reconciling",
                "True",
                "Progressing",
                f"Running 'uninstall' action with timeout of {go_duration(release.timeout)}",
                now,
            )
            st["history"] = [self._snapshot(release, "failed", state.attempt_started)]
            st["failures"] = st.get("failures", 0) + 1
            st["installFailures"] = st.get("installFailures", 0) + 1
            st["lastAttemptedReleaseActionDuration"] = go_duration(
                self.sim.now - state.attempt_started
            )

        hr = self._status(release, failed)
        self.sim.events.record(
            hr,
            "Warning",
            "InstallFailed",
            msg,
            component=COMPONENT,
            annotations={"helm.toolkit.fluxcd.io/revision": release.version},
        )
        if release.retries == 0:
            # No retries: the last failure is not remediated, the release stalls as it is.
            self._stall(release)
            return
        self.sim.after(self.sim.jitter(3.0), self._uninstalled, release)

    def _uninstalled(self, release: Release) -> None:
        state = self._states[release.key]
        self.sim.workloads.uninstall(release)
        msg = (
            f"Helm uninstall remediation for release {release.target_namespace}/{release.release_name}.v1 "
            f"with chart {release.chart}@{release.version} succeeded"
        )
        exhausted = state.attempts > release.retries

        def remediated(obj: dict, st: dict, now: str) -> None:
            gen = obj["metadata"]["generation"]
            set_condition(
                st, "Remediated", "True", "UninstallSucceeded", msg, now, observed_generation=gen
            )
            set_condition(
                st, "Ready", "False", "UninstallSucceeded", msg, now, observed_generation=gen
            )
            if st.get("history"):
                st["history"][0]["status"] = "uninstalled"
                st["history"][0]["deleted"] = now
            if not exhausted:
                set_condition(st, "Reconciling", "True", "ProgressingWithRetry", msg, now)

        hr = self._status(release, remediated)
        self.sim.events.record(hr, "Normal", "UninstallSucceeded", msg, component=COMPONENT)
        if exhausted:
            self._stall(release)
            return
        state.phase = "waiting"
        self._requeue(release, self.sim.jitter(2.0))

    def _stall(self, release: Release) -> None:
        state = self._states[release.key]
        state.phase = "stalled"
        msg = f"Failed to install after {state.attempts} attempt(s)"

        def stalled(obj: dict, st: dict, now: str) -> None:
            gen = obj["metadata"]["generation"]
            set_condition(
                st, "Stalled", "True", "RetriesExceeded", msg, now, observed_generation=gen
            )
            delete_condition(st, "Reconciling")
            st["observedGeneration"] = gen

        self._status(release, stalled)
