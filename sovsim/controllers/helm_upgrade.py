"""helm-controller's upgrade action and its rollback remediation (`internal/reconcile/upgrade.go`,
`rollback_remediation.go`, `atomic_release.go`).

A new generation of an installed HelmRelease (the kit bumped the chart version) is upgraded:
Reconciling and Ready=Unknown "Running 'upgrade' action with timeout of 5m0s", then
`UpgradeSucceeded` "Helm upgrade succeeded for release ns/name.v2 with chart chart@1.2.0", or
`UpgradeFailed` "Helm upgrade failed for release ns/name with chart chart@1.2.0: <error>" with
`failures` and `upgradeFailures` counted. While `upgrade.remediation.retries` allows (negative:
for ever) the failure is rolled back ("Running 'rollback' action ...", `RollbackSucceeded` "Helm
rollback to previous release ns/name.v1 with chart chart@1.0.0 succeeded", Reconciling
`ProgressingWithRetry`) and the upgrade retried; once the failures exceed the retries the release is
Stalled `RetriesExceeded` "Failed to upgrade after N attempt(s)", without a rollback. Upgrades
change the release record only; the workloads keep their pods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sovsim.controllers.common import delete_condition, go_duration, set_condition
from sovsim.controllers.helm_objects import HR, Mutate, ReleaseState, config_digest
from sovsim.scenario_schema import Release

if TYPE_CHECKING:
    from sovsim.controllers.sim import Sim

HISTORY_KEPT = 3


class UpgradeHost(Protocol):
    """What an upgrade needs of helm-controller: its bookkeeping and how it ends an action."""

    def state(self, release: Release) -> ReleaseState: ...

    def snapshot(self, release: Release, status: str, *, version: int = 1) -> dict: ...

    def status(self, release: Release, mutate: Mutate) -> dict | None: ...

    def conclude(
        self, release: Release, reason: str, msg: str, *, succeeded: bool, then: Mutate
    ) -> None: ...

    def remediated(
        self, release: Release, reason: str, msg: str, *, then: Mutate, revision: str | None = None
    ) -> None: ...

    def requeue(self, release: Release, delay: float) -> None: ...

    def stall(self, release: Release) -> None: ...


class HelmUpgrades:
    def __init__(self, sim: Sim, helm: UpgradeHost) -> None:
        self.sim = sim
        self.helm = helm
        self._failures: dict[tuple[str, str], tuple[str, int]] = {}
        """Per release: the failing version and how many of its attempts have been made."""

    def upgrade(self, release: Release) -> None:
        state = self.helm.state(release)
        state.phase = "upgrading"
        state.attempt_started = self.sim.now
        msg = f"Running 'upgrade' action with timeout of {go_duration(release.timeout)}"

        def start(obj: dict, st: dict, now: str) -> None:
            gen = obj["metadata"]["generation"]
            if st.get("lastAttemptedGeneration") != gen:
                # A new generation: failures of the previous spec no longer count.
                for counter in ("failures", "installFailures", "upgradeFailures"):
                    st.pop(counter, None)
                state.upgrade_failures = 0
            set_condition(st, "Reconciling", "True", "Progressing", msg, now)
            set_condition(st, "Ready", "Unknown", "Progressing", msg, now)
            delete_condition(st, "Remediated")
            st.update(
                lastAttemptedGeneration=gen,
                lastAttemptedRevision=release.version,
                lastAttemptedConfigDigest=config_digest(release),
                lastAttemptedReleaseAction="upgrade",
            )

        self.helm.status(release, start)
        failing = self._failing_upgrade(release)
        if failing is not None:
            error, after = failing
            self.sim.after(after, self._failed, release, error)
        else:
            self.sim.after(self.sim.jitter(release.install_duration), self._succeeded, release)

    def _failing_upgrade(self, release: Release) -> tuple[str, float] | None:
        """The error and time into the attempt if the scenario says this attempt fails."""
        upgrade = next((u for u in release.upgrades if u.version == release.version), None)
        if upgrade is None or upgrade.failures is None:
            return None
        version, attempts = self._failures.get(release.key, (release.version, 0))
        attempts = attempts + 1 if version == release.version else 1
        self._failures[release.key] = (release.version, attempts)
        if attempts > upgrade.failures.attempts:
            return None
        after = upgrade.failures.after
        return upgrade.failures.error, release.timeout if after is None else after

    def _history(self, st: dict, entry: dict) -> None:
        older = [dict(s, status="superseded") for s in st.get("history", [])]
        st["history"] = [entry, *older][:HISTORY_KEPT]

    def _succeeded(self, release: Release) -> None:
        state = self.helm.state(release)
        if state.phase != "upgrading":
            return
        state.phase = "ready"
        state.revision += 1
        msg = (
            f"Helm upgrade succeeded for release {release.target_namespace}/"
            f"{release.release_name}.v{state.revision} with chart {release.chart}@{release.version}"
        )

        def done(obj: dict, st: dict, now: str) -> None:
            delete_condition(st, "Reconciling")
            delete_condition(st, "Stalled")
            self._history(st, self.helm.snapshot(release, "deployed", version=state.revision))
            st["observedGeneration"] = obj["metadata"]["generation"]

        self.helm.conclude(release, "UpgradeSucceeded", msg, succeeded=True, then=done)
        self.helm.requeue(release, self.sim.jitter(release.interval, 0.05))

    def _failed(self, release: Release, error: str) -> None:
        state = self.helm.state(release)
        if state.phase != "upgrading":
            return
        state.phase = "remediating"
        state.revision += 1
        state.upgrade_failures += 1
        exhausted = 0 <= release.retries < state.upgrade_failures
        msg = (
            f"Helm upgrade failed for release {release.target_namespace}/{release.release_name} "
            f"with chart {release.chart}@{release.version}: {error}"
        )

        def failed(obj: dict, st: dict, now: str) -> None:
            self._history(st, self.helm.snapshot(release, "failed", version=state.revision))
            st["failures"] = st.get("failures", 0) + 1
            st["upgradeFailures"] = state.upgrade_failures
            if not exhausted:
                timeout = go_duration(release.timeout)
                rollback = f"Running 'rollback' action with timeout of {timeout}"
                set_condition(st, "Reconciling", "True", "Progressing", rollback, now)

        self.helm.conclude(release, "UpgradeFailed", msg, succeeded=False, then=failed)
        if exhausted:
            self.helm.stall(release)
            return
        self.sim.after(self.sim.jitter(3.0), self._rolled_back, release)

    def _rolled_back(self, release: Release) -> None:
        state = self.helm.state(release)
        hr = self.sim.get(HR, release.namespace, release.name)
        previous = next(
            (s for s in hr["status"].get("history", [])[1:] if s["status"] != "failed"), None
        )
        if previous is None:
            return
        state.revision += 1
        msg = (
            f"Helm rollback to previous release {previous['namespace']}/{previous['name']}."
            f"v{previous['version']} with chart {previous['chartName']}@"
            f"{previous['chartVersion']} succeeded"
        )
        now_ts = self.sim.timestamp()
        rolled = dict(previous, version=state.revision, status="deployed", lastDeployed=now_ts)

        def rolled_back(obj: dict, st: dict, now: str) -> None:
            set_condition(st, "Reconciling", "True", "ProgressingWithRetry", msg, now)
            self._history(st, rolled)

        self.helm.remediated(
            release, "RollbackSucceeded", msg, then=rolled_back, revision=previous["chartVersion"]
        )
        state.phase = "waiting"
        self.helm.requeue(release, self.sim.jitter(2.0))
