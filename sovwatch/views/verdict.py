"""The verdict of a run from a snapshot: when the rollout counts as decided, the exit code
it ends `--exit-on-done` with, and the one line that says why.

The headless loop ends runs with it, and the post-mortem report states the same verdict.
"""

from __future__ import annotations

from sovwatch.exitcodes import ExitCode
from sovwatch.model.snapshot import ReleaseView, Snapshot
from sovwatch.views.transitions import BAD

OUTCOME_CODES = {
    "ready": ExitCode.READY,
    "failed": ExitCode.FAILED,
    "timeout": ExitCode.TIMEOUT,
    "flux-not-reconciling": ExitCode.FLUX_NOT_RECONCILING,
}
"""The model's decided outcomes and the exit code each one ends `--exit-on-done` with."""


def _names(releases: list[ReleaseView], limit: int = 5) -> str:
    shown = [f"{r.key[2]} {r.verdict.state} ({r.verdict.reason or '-'})" for r in releases[:limit]]
    more = f", +{len(releases) - limit} more" if len(releases) > limit else ""
    return ", ".join(shown) + more


def explain(snapshot: Snapshot, code: ExitCode) -> str:
    """One line saying why the run ended with `code` (the summary table has the root causes)."""
    releases = snapshot.releases
    if code is ExitCode.READY:
        return ""
    if code is ExitCode.FLUX_NOT_RECONCILING:
        return (
            "no HelmRelease is being reconciled; check the bootstrap Kustomization (flux get ks -A)"
        )
    bad = sorted(
        (r for r in releases if r.verdict.state in BAD),
        key=lambda r: r.verdict.state != "stalled",
    )
    pending = [r for r in releases if r.verdict.state != "ready"]
    if bad:
        blocked = len(pending) - len(bad)
        return f"{_names(bad)}" + (f"; {blocked} more not ready" if blocked else "")
    if pending:
        return "not ready: " + _names(pending)
    return "no HelmRelease seen" if not releases else ""


def decision(snapshot: Snapshot, *, fail_fast: bool = False) -> tuple[ExitCode, str] | None:
    """(exit code, outcome) once the rollout is decided, else None: the model's outcome is decided
    (a stalled release makes it `failed`: `model/outcome.py`), or with `fail_fast` any release
    fails."""
    outcome = snapshot.outcome
    code = OUTCOME_CODES.get(outcome)
    if code is not None:
        return code, outcome
    if fail_fast and any(r.verdict.state in BAD for r in snapshot.releases):
        return ExitCode.FAILED, "failed"
    return None
