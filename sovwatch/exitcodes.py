"""Exit codes: the contract with CI jobs and scripts (documented in the README)."""

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
