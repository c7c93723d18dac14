"""HelmRelease: identity, chart, dependencies, source, retries, and the classifier.

Works for helm.toolkit.fluxcd.io v2, v2beta2 and v2beta1 objects: all three keep the chart template
under `spec.chart.spec`, the failure counters in `status.installFailures`/`upgradeFailures`, and
`Ready`/`Released` conditions. v2beta1 has no `Stalled` condition: exhausted retries show as
Ready=False with the message "install retries exhausted" (or "upgrade ...").

Rules (a ladder of early returns in `classify_helmrelease`):
1. `spec.suspend` → suspended; `deletionTimestamp` → progressing (Terminating).
2. `Stalled=True` (v2 `RetriesExceeded`, `MissingRollbackTarget`, `AccessDenied`) → stalled.
3. No Ready condition yet → unknown ("NoStatus": helm-controller has not reconciled it).
4. Ready=True at the current generation → ready; Ready=True with `observedGeneration` behind
   `metadata.generation` → progressing (helm-controller has not acted on the new spec yet).
5. Ready=Unknown → progressing. helm-controller sets Ready=Unknown/Progressing ("Running 'upgrade'
   action with timeout of 5m0s", "reconciliation in progress") at the start of every release
   action, including the retry of a failed one. We show it as progressing (with the retry count),
   never as failed: the choice is "say what is happening now", not "keep the previous settled
   state", so a retry shows up as progress and its failure as failed again.
6. Ready=False with `DependencyNotReady` → waiting; with a source not ready (`SourceNotReady`,
   `ArtifactFailed`: the HelmChart or OCIRepository has no artifact yet, e.g. a chart pull failing
   for a missing `ghcr-pull` secret) → waiting; the root cause is found in the source. But an
   `ArtifactFailed` while the source is Ready ("failed to download artifact ... giving up after 10
   attempt(s) ... i/o timeout") is the release's own failure: the path from helm-controller to
   source-controller is broken, there is nothing to wait for (`judge_with_source`).
7. Any other Ready=False (InstallFailed, UpgradeFailed, TestFailed, RollbackSucceeded, ...) →
   stalled when retries are exhausted (v2beta1 "retries exhausted" message, or the failure counter
   of the last attempted action above `spec.<action>.remediation.retries`; negative = unlimited),
   else failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sovwatch.model import conditions
from sovwatch.model.states import State, Verdict

ObjectKey = tuple[str, str, str]

HELM_CHART = "HelmChart"
FMT_RETRY = "{message} (failed {failures} of {attempts} attempts)"
"""A failing release's message with how many attempts it has used."""


@dataclass(frozen=True, slots=True)
class RetryState:
    """Where the release stands against its remediation budget for the last attempted action."""

    action: str
    """"install" or "upgrade"."""
    failures: int
    retries: int
    """`spec.<action>.remediation.retries` (Flux default 0; negative means retry forever)."""

    @property
    def exhausted(self) -> bool:
        return self.retries >= 0 and self.failures > self.retries

    @property
    def attempts(self) -> str:
        return "∞" if self.retries < 0 else str(self.retries + 1)


def release_identity(hr: dict) -> tuple[str, str]:
    """(namespace the release is installed in, Helm release name), as helm-controller derives them.

    `spec.targetNamespace` defaults to the HelmRelease's namespace; `spec.releaseName` defaults to
    `[targetNamespace-]name`.
    """
    meta = hr.get("metadata") or {}
    spec = hr.get("spec") or {}
    target = spec.get("targetNamespace") or ""
    name = spec.get("releaseName") or (
        f"{target}-{meta.get('name', '')}" if target else meta.get("name", "")
    )
    return (target or meta.get("namespace", ""), name)


def chart_label(hr: dict) -> str:
    """ "chart@version": what is deployed (latest history entry), else what the spec asks for."""
    st = hr.get("status") or {}
    history = st.get("history") or []
    if history and history[0].get("chartName"):
        return f"{history[0]['chartName']}@{history[0].get('chartVersion', '')}".rstrip("@")
    spec = hr.get("spec") or {}
    template = ((spec.get("chart") or {}).get("spec")) or {}
    if template.get("chart"):
        return f"{template['chart']}@{template.get('version', '')}".rstrip("@")
    ref = spec.get("chartRef") or {}
    return str(ref.get("name") or "")


def dependencies(hr: dict) -> list[tuple[str, str]]:
    """`spec.dependsOn` as (namespace, name), accepting `{name, namespace}` and "ns/name" forms."""
    namespace = (hr.get("metadata") or {}).get("namespace", "")
    out: list[tuple[str, str]] = []
    for dep in (hr.get("spec") or {}).get("dependsOn") or ():
        if isinstance(dep, str):
            ns, _, name = dep.rpartition("/")
            out.append((ns or namespace, name))
        elif isinstance(dep, dict) and dep.get("name"):
            out.append((dep.get("namespace") or namespace, dep["name"]))
    return out


def source_of(hr: dict) -> ObjectKey | None:
    """The source object the release waits on: its HelmChart, or the `spec.chartRef` object."""
    meta = hr.get("metadata") or {}
    spec = hr.get("spec") or {}
    ref = spec.get("chartRef")
    if ref and ref.get("name"):
        return (
            ref.get("kind") or "OCIRepository",
            ref.get("namespace") or meta.get("namespace", ""),
            ref["name"],
        )
    chart = (hr.get("status") or {}).get("helmChart")
    if chart and "/" in chart:
        ns, _, name = chart.partition("/")
        return (HELM_CHART, ns, name)
    template = (spec.get("chart") or {}).get("spec")
    if not template:
        return None
    ns = (template.get("sourceRef") or {}).get("namespace") or meta.get("namespace", "")
    return (HELM_CHART, ns, f"{meta.get('namespace', '')}-{meta.get('name', '')}")


def retry_state(hr: dict) -> RetryState:
    """The remediation budget of the action helm-controller attempted last."""
    spec = hr.get("spec") or {}
    st = hr.get("status") or {}
    action = st.get("lastAttemptedReleaseAction")
    if action not in ("install", "upgrade"):
        released = conditions.reason(hr, "Released")
        if released.startswith("Upgrade") or st.get("history") or st.get("lastReleaseRevision"):
            action = "upgrade"
        else:
            action = "install"
    retries = ((spec.get(action) or {}).get("remediation") or {}).get("retries", 0)
    failures = st.get(f"{action}Failures") or 0
    return RetryState(action, int(failures), int(retries) if isinstance(retries, int) else 0)


ARTIFACT_FAILED = "ArtifactFailed"


def judge_with_source(helm: Verdict, source: Verdict | None) -> Verdict:
    """The release's verdict once its source's state is known: an artifact fetch that fails while
    the source is Ready is failed, not waiting (rule 6)."""
    if (
        helm.state is State.WAITING
        and helm.reason == ARTIFACT_FAILED
        and source is not None
        and source.state is State.READY
    ):
        return Verdict(State.FAILED, helm.reason, helm.message)
    return helm


def classify_helmrelease(hr: dict) -> Verdict:
    """The release's own state as helm-controller reports it (see the module docstring)."""
    base = conditions.classify_flux_object(hr)
    if base.state is State.STALLED and conditions.is_false(hr, conditions.READY):
        ready_message = conditions.one_line(conditions.message(hr, conditions.READY))
        if ready_message and ready_message not in base.message:
            return Verdict(base.state, base.reason, f"{base.message}: {ready_message}")
        return base
    if base.state is not State.FAILED:
        if base.state is State.PROGRESSING and conditions.status(hr, conditions.READY) == "Unknown":
            retry = retry_state(hr)
            if retry.failures:
                return Verdict(
                    base.state,
                    base.reason,
                    f"retry after {retry.failures} failed {retry.action} attempt(s): {base.message}",
                )
        return base
    ready_message = base.message
    if "retries exhausted" in ready_message:
        return Verdict(State.STALLED, "RetriesExceeded", ready_message)
    retry = retry_state(hr)
    if retry.exhausted:
        return Verdict(
            State.STALLED,
            "RetriesExceeded",
            f"Failed to {retry.action} after {retry.failures} attempt(s): {ready_message}",
        )
    if retry.failures:
        return Verdict(
            State.FAILED,
            base.reason,
            FMT_RETRY.format(
                message=ready_message, failures=retry.failures, attempts=retry.attempts
            ),
        )
    return base
