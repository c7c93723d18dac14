"""The model's vocabulary: one state for every object, and the verdict that carries it.

Words follow the Kubernetes and Flux APIs: a verdict's `reason` is the API's own reason string
(`DependencyNotReady`, `InstallFailed`, `CrashLoopBackOff`, `FailedAttachVolume`) where one exists.
"""

from __future__ import annotations

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
