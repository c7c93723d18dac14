"""The model's knobs, in one frozen record passed as `settings=` (no module globals)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ModelSettings:
    expect: int | None = None
    """`--expect N`: how many HelmReleases the rollout must reach; overrides the inventory."""
    bootstrap_kustomization: str | None = None
    """"namespace/name" of the Kustomization whose inventory says how many releases to expect;
    None uses the union of every Kustomization's inventory."""
    timeout: float = 3600.0
    """Seconds after the watch started before an unfinished rollout is a `timeout` (helmwatch: 60m)."""
    first_seen_timeout: float = 900.0
    """Seconds without any HelmRelease (or without any reconciled one) before the outcome is
    `flux-not-reconciling` (helmwatch's first-seen timer: 15m)."""
    stuck_detach_after: float = 120.0
    """A VolumeAttachment still attached this long after its deletion is stuck detaching."""
    eta_min_finished: int = 3
    """How many releases must have finished before an ETA is given."""
    recent_events: int = 50
    """How many recent warning events the snapshot carries."""
