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

from typing import TYPE_CHECKING

from sovsim.controllers.common import (
    delete_condition,
    get_condition,
    go_duration,
    is_ready,
    set_condition,
)
from sovsim.controllers.controller_logs import HelmControllerLog
from sovsim.controllers.helm_objects import (
    HR,
    Mutate,
    ReleaseState,
    config_digest,
    helmrelease,
    helmrelease_spec,
    snapshot,
)
from sovsim.controllers.helm_upgrade import HelmUpgrades
from sovsim.controllers.source import HELMCHART, chart_name
from sovsim.scenario_schema import Release

if TYPE_CHECKING:
    from sovsim.controllers.events import EventRecorder
    from sovsim.controllers.sim import Sim
    from sovsim.controllers.source import SourceController
    from sovsim.controllers.workloads import Workloads

COMPONENT = "helm-controller"
REQUEUE_DEPENDENCY = 30.0
WAIT_POLL = 5.0
FINALIZER = "finalizers.fluxcd.io"


class HelmController:
    def __init__(
        self, sim: Sim, events: EventRecorder, source: SourceController, workloads: Workloads
    ) -> None:
        self.sim = sim
        self.events = events
        self.source = source
        self.workloads = workloads
        self._states: dict[tuple[str, str], ReleaseState] = {}
        self.upgrades = HelmUpgrades(sim, self)
        self.log = HelmControllerLog(sim, workloads.kubelet)

    def state(self, release: Release) -> ReleaseState:
        return self._states[release.key]

    def snapshot(self, release: Release, status: str, *, version: int = 1) -> dict:
        """A history entry for the attempt under way (deployed at its start)."""
        state = self._states[release.key]
        started = state.attempt_started
        first = state.first_deployed if version > 1 else started
        return snapshot(
            release,
            status,
            started,
            self.sim.timestamp(first - self.sim.now),
            version=version,
            last=self.sim.timestamp(started - self.sim.now),
        )

    # -- entry points --------------------------------------------------------------------------------

    def apply_release(self, release: Release) -> None:
        """The kustomize-controller applied this HelmRelease: created, or a new spec for an
        installed one (generation + 1), which the HelmRelease watch turns into a reconcile."""
        state = self._states.get(release.key)
        if state is None:
            kustomization = self.sim.scenario.cluster.kustomization_name
            self.sim.apply(helmrelease(release, kustomization))
            self._states[release.key] = ReleaseState(release)
            self.requeue(release, self.sim.jitter(1.5, 0.5))
            return
        spec = helmrelease_spec(release)
        self.sim.update(HR, release.namespace, release.name, lambda o: o.update(spec=spec))
        state.release = release
        state.attempts = 0
        self.source.update_chart(release)
        if state.phase in ("ready", "stalled"):
            state.phase = "waiting"
        self.requeue(release, self.sim.jitter(1.0))

    def chart_ready(self, release: Release) -> None:
        """The source-controller made the chart artifact; the HelmChart watch triggers a reconcile."""
        state = self._states.get(release.key)
        if state is not None and state.phase in ("new", "waiting"):
            self.requeue(release, 0.5)

    # -- the reconcile loop ------------------------------------------------------------------------

    def requeue(self, release: Release, delay: float) -> None:
        state = self._states[release.key]
        when = self.sim.now + delay
        if state.next_at is not None and state.next_at <= when:
            return
        state.next_at = when
        self.sim.at(when, self._queued, release, when)

    def _queued(self, release: Release, when: float) -> None:
        if self._states[release.key].next_at == when:
            self._reconcile(release)

    def status(self, release: Release, mutate: Mutate) -> dict | None:
        def change(obj: dict) -> None:
            mutate(obj, obj.setdefault("status", {}), self.sim.timestamp())

        return self.sim.update(HR, release.namespace, release.name, change)

    def conclude(
        self, release: Release, reason: str, msg: str, *, succeeded: bool, then: Mutate
    ) -> None:
        """End a Helm action (install or upgrade) as helm-controller does: Released and Ready both
        say `reason`, the attempt's duration is recorded, and an event annotated with the chart
        revision is emitted. `then(obj, status, now)` adds the action's own status changes."""
        state = self._states[release.key]
        status = "True" if succeeded else "False"

        def outcome(obj: dict, st: dict, now: str) -> None:
            gen = obj["metadata"]["generation"]
            for type_ in ("Released", "Ready"):
                set_condition(st, type_, status, reason, msg, now, observed_generation=gen)
            then(obj, st, now)
            st["lastAttemptedReleaseActionDuration"] = go_duration(
                self.sim.now - state.attempt_started
            )

        hr = self.status(release, outcome)
        if succeeded:
            self.log.write(release, "release in-sync with desired state", attempt=state.attempts)
        else:
            self.log.write(release, "Reconciler error", error=msg, attempt=state.attempts)
        self.events.record(
            hr,
            "Normal" if succeeded else "Warning",
            reason,
            msg,
            component=COMPONENT,
            annotations={"helm.toolkit.fluxcd.io/revision": release.version},
        )

    def remediated(
        self, release: Release, reason: str, msg: str, *, then: Mutate, revision: str | None = None
    ) -> None:
        """Record a successful remediation (uninstall or rollback): Remediated=True and Ready=False
        say `reason`, `then(obj, status, now)` adds the rest, and a Normal event follows (annotated
        with the chart `revision` when given)."""

        def outcome(obj: dict, st: dict, now: str) -> None:
            gen = obj["metadata"]["generation"]
            set_condition(st, "Remediated", "True", reason, msg, now, observed_generation=gen)
            set_condition(st, "Ready", "False", reason, msg, now, observed_generation=gen)
            then(obj, st, now)

        hr = self.status(release, outcome)
        self.log.write(release, msg, attempt=self._states[release.key].attempts)
        annotations = None if revision is None else {"helm.toolkit.fluxcd.io/revision": revision}
        self.events.record(hr, "Normal", reason, msg, component=COMPONENT, annotations=annotations)

    def _reconcile(self, release: Release) -> None:
        state = self._states[release.key]
        release = state.release  # the spec may have changed since this was queued
        state.next_at = None
        if state.phase in ("installing", "upgrading", "remediating", "stalled"):
            return
        if state.phase == "ready":
            self._periodic(release)
            return
        if state.phase == "new":
            self.source.ensure_chart(release)

        def prerequisites(obj: dict, st: dict, now: str) -> None:
            if FINALIZER not in obj["metadata"].setdefault("finalizers", []):
                obj["metadata"]["finalizers"].append(FINALIZER)
            set_condition(st, "Reconciling", "True", "Progressing", "Fulfilling prerequisites", now)

        hr = self.status(release, prerequisites)
        state.phase = "waiting"
        for ns, name in release.depends_on:
            if not is_ready(self.sim.get(HR, ns, name)):
                msg = f"dependency '{ns}/{name}' is not ready"
                hr = self.status(
                    release,
                    lambda o, st, now, m=msg: set_condition(
                        st, "Ready", "False", "DependencyNotReady", m, now
                    ),
                )
                self.events.record(hr, "Normal", "DependencyNotReady", msg, component=COMPONENT)
                self.log.write(
                    release,
                    f"dependencies do not meet ready condition ({msg}): retrying in "
                    f"{go_duration(REQUEUE_DEPENDENCY)}",
                )
                self.requeue(release, REQUEUE_DEPENDENCY)
                return
        ready = get_condition(hr, "Ready")
        if ready is not None and ready["reason"] == "DependencyNotReady":
            self.status(
                release,
                lambda o, st, now: set_condition(
                    st, "Ready", "Unknown", "Progressing", "reconciliation in progress", now
                ),
            )
        chart = chart_name(release)
        chart_obj = self.sim.get(HELMCHART, release.repository.namespace, chart)
        if not is_ready(chart_obj):
            msg = f"HelmChart '{release.repository.namespace}/{chart}' is not ready"
            why = (get_condition(chart_obj, "Ready") or {}).get("message") if chart_obj else ""
            why = why or "latest generation of object has not been reconciled"
            self.log.write(release, f"{msg}: {why}")
            self.status(
                release,
                lambda o, st, now: set_condition(
                    st, "Ready", "False", "HelmChartNotReady", msg, now
                ),
            )
            self.requeue(release, release.interval)
            return
        if state.revision:
            self.upgrades.upgrade(release)
        else:
            self._install(release)

    def _periodic(self, release: Release) -> None:
        """An in-sync reconcile at spec.interval: Reconciling flickers, nothing else changes."""
        self.status(
            release,
            lambda o, st, now: set_condition(
                st, "Reconciling", "True", "Progressing", "Fulfilling prerequisites", now
            ),
        )
        self.sim.after(
            0.5, self.status, release, lambda o, st, now: delete_condition(st, "Reconciling")
        )
        self.requeue(release, self.sim.jitter(release.interval, 0.05))

    # -- install -------------------------------------------------------------------------------------

    def _install(self, release: Release) -> None:
        state = self._states[release.key]
        state.phase = "installing"
        state.attempts += 1
        state.attempt_started = self.sim.now
        msg = f"Running 'install' action with timeout of {go_duration(release.timeout)}"
        self.log.write(release, "release not installed: no release in storage for object")
        self.log.write(release, msg[0].lower() + msg[1:], attempt=state.attempts)

        def start(obj: dict, st: dict, now: str) -> None:
            set_condition(st, "Reconciling", "True", "Progressing", msg, now)
            set_condition(st, "Ready", "Unknown", "Progressing", msg, now)
            delete_condition(st, "Remediated")
            st.update(
                helmChart=f"{release.repository.namespace}/{chart_name(release)}",
                storageNamespace=release.namespace,
                lastAttemptedGeneration=obj["metadata"]["generation"],
                lastAttemptedRevision=release.version,
                lastAttemptedConfigDigest=config_digest(release),
                lastAttemptedReleaseAction="install",
                history=[],
            )

        self.status(release, start)
        self.sim.after(self.sim.jitter(2.0), self.workloads.install, release)
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
        deadline = state.attempt_started + release.timeout
        if self.workloads.release_ready(release):
            self._install_succeeded(release)
        elif self.sim.now >= deadline:
            self._install_failed(release, "context deadline exceeded")
        else:
            # At the deadline exactly: `now + remaining` can round back to `now` and spin.
            self.sim.at(min(self.sim.now + WAIT_POLL, deadline), self._wait, release)

    def _install_succeeded(self, release: Release) -> None:
        state = self._states[release.key]
        if state.phase != "installing":
            return
        state.phase = "ready"
        state.revision, state.first_deployed = 1, state.attempt_started
        msg = f"Helm install succeeded for release {release.target_namespace}/{release.release_name}.v1 with chart {release.chart}@{release.version}"

        def done(obj: dict, st: dict, now: str) -> None:
            delete_condition(st, "Reconciling")
            delete_condition(st, "Stalled")
            st["history"] = [self.snapshot(release, "deployed")]
            st["observedGeneration"] = obj["metadata"]["generation"]

        self.conclude(release, "InstallSucceeded", msg, succeeded=True, then=done)
        self.requeue(release, self.sim.jitter(release.interval, 0.05))

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
            set_condition(
                st,
                "Reconciling",
                "True",
                "Progressing",
                f"Running 'uninstall' action with timeout of {go_duration(release.timeout)}",
                now,
            )
            st["history"] = [self.snapshot(release, "failed")]
            st["failures"] = st.get("failures", 0) + 1
            st["installFailures"] = st.get("installFailures", 0) + 1

        self.conclude(release, "InstallFailed", msg, succeeded=False, then=failed)
        if release.retries == 0:
            # No retries: the last failure is not remediated, the release stalls as it is.
            self.stall(release)
            return
        self.sim.after(self.sim.jitter(3.0), self._uninstalled, release)

    def _uninstalled(self, release: Release) -> None:
        state = self._states[release.key]
        self.workloads.uninstall(release)
        msg = (
            f"Helm uninstall remediation for release {release.target_namespace}/{release.release_name}.v1 "
            f"with chart {release.chart}@{release.version} succeeded"
        )
        exhausted = 0 <= release.retries < state.attempts

        def uninstalled(obj: dict, st: dict, now: str) -> None:
            if st.get("history"):
                st["history"][0]["status"] = "uninstalled"
                st["history"][0]["deleted"] = now
            if not exhausted:
                set_condition(st, "Reconciling", "True", "ProgressingWithRetry", msg, now)

        self.remediated(release, "UninstallSucceeded", msg, then=uninstalled)
        if exhausted:
            self.stall(release)
            return
        state.phase = "waiting"
        self.requeue(release, self.sim.jitter(2.0))

    def stall(self, release: Release) -> None:
        state = self._states[release.key]
        state.phase = "stalled"
        action, attempts = (
            ("upgrade", state.upgrade_failures) if state.revision else ("install", state.attempts)
        )
        msg = f"Failed to {action} after {attempts} attempt(s)"
        self.log.write(release, "Reconciler error", error=msg, attempt=attempts)

        def stalled(obj: dict, st: dict, now: str) -> None:
            gen = obj["metadata"]["generation"]
            set_condition(
                st, "Stalled", "True", "RetriesExceeded", msg, now, observed_generation=gen
            )
            delete_condition(st, "Reconciling")
            st["observedGeneration"] = gen

        self.status(release, stalled)
