"""The model's vocabulary: one state for every object, and the verdict that carries it.

Words follow the Kubernetes and Flux APIs: a verdict's `reason` is the API's own reason string
(`DependencyNotReady`, `InstallFailed`, `CrashLoopBackOff`, `FailedAttachVolume`) where one exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """What an operator needs to know about any object, most settled first."""

    READY = "ready"
    """Doing its job: Ready=True at the current generation, a pod Running and ready, a PVC Bound."""
    PROGRESSING = "progressing"
    """Moving forward on its own: installing, pulling, starting, provisioning."""
    WAITING = "waiting"
    """Cannot start until something else is ready: a dependency, a source artifact, a consumer."""
    FAILED = "failed"
    """Failing, but retries remain (Flux will try again, the kubelet will restart it)."""
    STALLED = "stalled"
    """Failed with no retries left, or stuck in a way that needs a human."""
    SUSPENDED = "suspended"
    """Reconciliation suspended (`spec.suspend: true`)."""
    UNKNOWN = "unknown"
    """Not enough information yet (no status, first reconcile not started)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """A classification: the state, the reason for it, and one line to show."""

    state: State
    reason: str
    message: str = ""


_SEVERITY = {
    State.READY: 0,
    State.SUSPENDED: 1,
    State.UNKNOWN: 2,
    State.WAITING: 3,
    State.PROGRESSING: 4,
    State.FAILED: 5,
    State.STALLED: 6,
}


def severity(state: State) -> int:
    """How much a state needs attention: ready lowest, stalled highest.

    Progressing ranks above waiting because a waiting object is explained by something else, while
    a progressing one is the thing to watch.
    """
    return _SEVERITY[state]


def worst(verdicts: Iterable[Verdict]) -> Verdict | None:
    """The verdict that needs most attention (the first one among equals), None for no verdicts."""
    found: Verdict | None = None
    for verdict in verdicts:
        if found is None or severity(verdict.state) > severity(found.state):
            found = verdict
    return found


BAD_STATES = frozenset({State.FAILED, State.STALLED})
"""States that are a problem in themselves (not just not finished)."""
