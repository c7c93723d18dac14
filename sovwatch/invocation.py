"""What the command line asked for, validated: the value the CLI hands to the launcher.

Its own module so that the launcher and the demo can take an `Invocation` (and raise
`StartupError`) without importing the CLI that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT = 60 * 60.0
DEFAULT_FIRST_SEEN_TIMEOUT = 15 * 60.0
DEFAULT_EXEC_TIMEOUT = 2 * 60.0


class StartupError(Exception):
    """Found after parsing, before anything runs (a scenario that does not exist, a port in use);
    `str()` is the one line to print before exiting 2."""


@dataclass(frozen=True)
class Invocation:
    """Everything the command line asked for, validated."""

    command: str
    """`watch`, `demo`, `sim`, `replay` or `report`."""
    output: str = "plain"
    """`tui`, `plain` or `json`, after applying the TTY default."""
    kubeconfig: str | None = None
    context: str | None = None
    """The one context to watch (None: the current one, or several: `contexts`)."""
    contexts: tuple[str, ...] = ()
    """Every `--context` given, in order, when more than one: a fleet."""
    all_contexts: bool = False
    """`--all-contexts`: every context of the merged kubeconfig, a fleet if more than one."""
    kubeconfig_dir: Path | None = None
    """`--kubeconfig-dir`: a fleet, one cluster per kubeconfig file in it, followed live."""
    namespace: str | None = None
    once: bool = False
    exit_on_done: bool = False
    fail_fast: bool = False
    timeout: float = DEFAULT_TIMEOUT
    """Seconds until the outcome becomes `timeout`; 0 disables it."""
    first_seen_timeout: float = DEFAULT_FIRST_SEEN_TIMEOUT
    """Seconds without any HelmRelease before the outcome becomes `flux-not-reconciling`; 0 disables."""
    expect: int | None = None
    record: Path | None = None
    ascii: bool = False
    color: bool = False
    """Colour (ANSI) in plain output; the TUI decides its own colours."""
    file: Path | None = None
    """The recording to replay."""
    speed: float | None = 1.0
    """Playback or scenario speed factor; `math.inf` replays without waiting; None (demo only)
    plays the scenario in about two minutes."""
    scenario: str | None = None
    seed: int = 0
    port: int = 0
    tls: bool = False
    write_kubeconfig: Path | None = None
    fleet: int = 0
    """`demo`, `sim`: how many simulated Sovereigns (0: the one `--scenario`)."""
    watch_list: bool = True
    """`sim`: serve streamed lists (`--no-watch-list`: refuse them as an older server does)."""
    serialization_cache: bool = True
    """`sim`: keep each object's encoding (`--no-serialization-cache`: encode it every time)."""
    verbosity: int = 0
    log_file: Path | None = None
    reports: tuple[Path, ...] = ()
    """Report files to write at exit (`--report`, or `report -o`); the suffix picks HTML or
    Markdown."""
    exec_timeout: float = DEFAULT_EXEC_TIMEOUT
    """Seconds an exec credential plugin may take before it is killed."""
    real_gaps: bool = False
    """`replay`: play idle stretches and the lead-in as long as they were (no compression)."""
    cast: Path | None = None
    """`replay`: write the TUI's rendering as an asciicast v2 file instead of showing it."""
    cast_size: tuple[int, int] = (120, 40)
    """Columns and rows of the `--cast` terminal."""
    no_logs: bool = False
    """Never request `pods/log` (no excerpts in the root causes, none recorded)."""
    no_cache: bool = False
    """Neither show nor keep the last picture of the cluster on disk (`sources.disk_cache`)."""
