"""The rollout's outcome: in-progress | ready | failed | timeout | flux-not-reconciling.

Rules, first match wins:
1. ready: every expected release has appeared and all releases are ready (`Progress.done`).
2. flux-not-reconciling: `first_seen_timeout` has passed since the watch started and no HelmRelease
   exists, or HelmReleases exist since at least that long but helm-controller has written a status on
   none of them (Flux is not materialising or not reconciling the kit).
3. failed, as soon as either holds:
   a. a release is stalled: failed with no retries left (`RetriesExceeded`), or stuck in a way only a
      spec change fixes. It blocks the rollout until a person acts, so the rollout cannot finish on
      its own however much else is still moving;
   b. nothing can move on its own any more and something is broken: no release is progressing,
      unknown or failed-with-retries-left, every waiting release is blocked for good (its root cause
      is stalled or suspended, a dependency cycle or a missing dependency), and at least one is.
   Suspended releases alone never make a failure (suspension is a choice).
4. timeout: `timeout` has passed since the watch started.
5. in-progress otherwise.
A failed release that still has retries (or a crash-looping pod the kubelet keeps restarting) keeps
the rollout in progress: it may still recover, until it stalls or the timeout ends it.

This is the one verdict: the snapshot's `outcome`, the TUI header, the plain and JSON outputs and
`--exit-on-done`'s exit code (`views.verdict.OUTCOME_CODES`) all read it; nothing decides on its own.
"""

from __future__ import annotations

from enum import StrEnum

from sovwatch.model.progress import Progress
from sovwatch.model.settings import ModelSettings


class Outcome(StrEnum):
    IN_PROGRESS = "in-progress"
    READY = "ready"
    FAILED = "failed"
    TIMEOUT = "timeout"
    FLUX_NOT_RECONCILING = "flux-not-reconciling"


def decide_outcome(
    progress: Progress,
    *,
    blocked_for_good: int,
    reconciled_any: bool,
    now: float,
    started_at: float,
    first_release_at: float | None,
    settings: ModelSettings,
) -> Outcome:
    """Apply the rules of the module docstring.

    Args:
        progress: current counts.
        blocked_for_good: waiting releases whose root cause cannot resolve by itself.
        reconciled_any: whether helm-controller has written a status on any release.
        now, started_at: wall-clock seconds; started_at is when the watch began.
        first_release_at: when the first HelmRelease was seen, None if never.
    """
    if progress.done:
        return Outcome.READY
    if progress.total == 0:
        if now - started_at >= settings.first_seen_timeout:
            return Outcome.FLUX_NOT_RECONCILING
    elif (
        not reconciled_any
        and first_release_at is not None
        and now - first_release_at >= settings.first_seen_timeout
    ):
        return Outcome.FLUX_NOT_RECONCILING
    if progress.stalled:
        return Outcome.FAILED
    moving = progress.progressing + progress.unknown + (progress.failed - progress.stalled)
    if moving == 0 and progress.waiting == blocked_for_good and blocked_for_good > 0:
        return Outcome.FAILED
    if now - started_at >= settings.timeout:
        return Outcome.TIMEOUT
    return Outcome.IN_PROGRESS
