"""Condition getters and the generic Flux classification ladder.

Mirrors fluxcd/pkg runtime/conditions: a missing condition is Unknown, `reason` and `message` of a
missing condition are "", `Stalled` and `Reconciling` are abnormal-true (present only when True).
`classify_flux_object` is the ladder every Flux object shares (Kustomization, HelmChart and the
sources); HelmRelease adds its own rules on top in `helmrelease.py`.
"""

from __future__ import annotations

import re

from sovwatch.model.states import State, Verdict

READY = "Ready"
STALLED = "Stalled"
RECONCILING = "Reconciling"

DEPENDENCY_NOT_READY = "DependencyNotReady"
"""Flux: a `spec.dependsOn` entry is not Ready (message "dependency 'ns/name' is not ready")."""
DEPENDENCY_MESSAGE = re.compile(r"dependency '(?:([^'/]+)/)?([^']+)' is not ready")
"""helm-controller's `DependencyNotReady` message, naming (namespace and name) the first dependency
it found not ready."""
SOURCE_NOT_READY_REASONS = frozenset(
    {
        "SourceNotReady",  # helm-controller v1: "HelmChart 'ns/name' is not ready: ..."
        "HelmChartNotReady",  # helm-controller v0.37 (v2beta2): "HelmChart 'ns/name' is not ready"
        "ArtifactFailed",  # helm-controller v2beta1 / kustomize-controller: source has no artifact yet
        "SourceUnavailable",  # source-controller HelmChart: "failed to get source: ..."
        "NoSourceArtifact",  # source-controller HelmChart: "no artifact available for HelmRepository source 'x'"
    }
)
"""Ready=False reasons that mean "my source has no usable artifact yet": waiting, not failed."""
_WAITING_MESSAGE = re.compile(
    r"^(?:dependency '[^']+' is not ready"
    r"|(?:HelmChart|OCIRepository|HelmRepository|GitRepository|Bucket) '[^']+' is not ready)"
)
"""Messages that say "waiting on something else" whatever the reason (helmwatch matched these too)."""


def find(obj: dict, type_: str) -> dict | None:
    """The condition of this type in `status.conditions`, None when absent."""
    for cond in (obj.get("status") or {}).get("conditions") or ():
        if cond.get("type") == type_:
            return cond
    return None


def status(obj: dict, type_: str) -> str:
    """ "True", "False" or "Unknown"; an absent condition is "Unknown"."""
    cond = find(obj, type_)
    return str(cond.get("status", "Unknown")) if cond else "Unknown"


def is_true(obj: dict, type_: str) -> bool:
    return status(obj, type_) == "True"


def is_false(obj: dict, type_: str) -> bool:
    return status(obj, type_) == "False"


def reason(obj: dict, type_: str) -> str:
    cond = find(obj, type_)
    return str(cond.get("reason") or "") if cond else ""


def message(obj: dict, type_: str) -> str:
    cond = find(obj, type_)
    return str(cond.get("message") or "") if cond else ""


def generation_lag(obj: dict) -> tuple[int, int] | None:
    """(generation, observed) when the controller has not yet observed the latest spec, else None.

    Uses `status.observedGeneration` and, when present, the Ready condition's own
    observedGeneration (Flux writes both); an object without a generation never lags.
    """
    generation = (obj.get("metadata") or {}).get("generation")
    if not isinstance(generation, int):
        return None
    st = obj.get("status") or {}
    observed = st.get("observedGeneration")
    ready = find(obj, READY)
    if ready is not None and isinstance(ready.get("observedGeneration"), int):
        cond_observed = ready["observedGeneration"]
        observed = min(observed, cond_observed) if isinstance(observed, int) else cond_observed
    if not isinstance(observed, int):
        return None
    return (generation, observed) if observed < generation else None


def one_line(text: str) -> str:
    """The first line of a (possibly multi-line) API message, trimmed."""
    return text.strip().splitlines()[0].strip() if text.strip() else ""


TEXT_LIMIT = 2048
"""Characters kept of a multi-line text kept whole (a container's termination message: the kubelet
allows 4096 bytes per container, 12 KiB per pod)."""


def bounded_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """A multi-line API text kept whole, trimmed, and cut at `limit` characters with "…"."""
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def classify_flux_object(obj: dict) -> Verdict:
    """The ladder shared by every Flux object, most decisive rule first.

    suspended → terminating → stalled (Stalled=True) → no Ready yet (unknown) → Ready=True at the
    current generation (ready) or lagging (progressing) → Ready=Unknown (progressing: a reconcile
    is running) → Ready=False because of a dependency or a missing source artifact (waiting) →
    any other Ready=False (failed: Flux retries sources and Kustomizations forever, so only
    Stalled=True makes them stalled).
    """
    meta = obj.get("metadata") or {}
    if (obj.get("spec") or {}).get("suspend") is True:
        return Verdict(State.SUSPENDED, "Suspended", "reconciliation suspended (spec.suspend)")
    if meta.get("deletionTimestamp"):
        return Verdict(State.PROGRESSING, "Terminating", "being deleted")
    if is_true(obj, STALLED):
        msg = message(obj, STALLED) or message(obj, READY)
        return Verdict(State.STALLED, reason(obj, STALLED) or "Stalled", one_line(msg))
    ready = find(obj, READY)
    if ready is None:
        return Verdict(State.UNKNOWN, "NoStatus", "not reconciled yet")
    ready_status = ready.get("status")
    ready_reason = str(ready.get("reason") or "")
    ready_message = one_line(str(ready.get("message") or ""))
    if ready_status == "True":
        lag = generation_lag(obj)
        if lag is not None:
            return Verdict(
                State.PROGRESSING,
                "LatestGenerationNotObserved",
                f"generation {lag[0]} not reconciled yet (observed {lag[1]})",
            )
        return Verdict(State.READY, ready_reason or "Ready", ready_message)
    if ready_status != "False":
        msg = message(obj, RECONCILING) or ready_message or "reconciliation in progress"
        return Verdict(State.PROGRESSING, ready_reason or "Progressing", one_line(msg))
    if ready_reason == DEPENDENCY_NOT_READY:
        return Verdict(State.WAITING, ready_reason, ready_message)
    if ready_reason in SOURCE_NOT_READY_REASONS or _WAITING_MESSAGE.match(ready_message):
        return Verdict(State.WAITING, ready_reason, ready_message)
    return Verdict(State.FAILED, ready_reason or "NotReady", ready_message)
