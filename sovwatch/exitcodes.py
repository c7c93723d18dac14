"""Exit codes: the contract with CI jobs and scripts (documented in the README)."""

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """Why sovwatch ended; like `kubectl wait`, a script can branch on it."""

    READY = 0
    """Every expected release is ready (or `--once` printed its snapshot)."""
    FAILED = 1
    """The model's outcome is failed: a release is stalled (no retries left), or nothing can move
    and a release is blocked for good (`model/outcome.py`); with `--fail-fast`, any failure."""
    USAGE = 2
    """Bad flags, configuration or credentials, or a server that cannot be used at all."""
    TIMEOUT = 3
    """`--timeout` passed before the rollout finished."""
    FLUX_NOT_RECONCILING = 4
    """No HelmRelease appeared within `--first-seen-timeout`."""
    INTERRUPTED = 130
    """Ctrl-C, SIGTERM or SIGHUP."""


WORST_FIRST = (
    ExitCode.INTERRUPTED,
    ExitCode.FAILED,
    ExitCode.USAGE,
    ExitCode.FLUX_NOT_RECONCILING,
    ExitCode.TIMEOUT,
    ExitCode.READY,
)
"""A fleet's exit code is its members' worst, in this order: a proven failure first, then a
cluster that could not be watched at all (its rollout is unknown), then the model's other verdicts."""


def worst(codes: Iterable[int]) -> ExitCode:
    """The worst of a fleet's exit codes (`WORST_FIRST`); ready for none."""
    return min((ExitCode(c) for c in codes), key=WORST_FIRST.index, default=ExitCode.READY)
