"""Container log excerpts in the root cause: which log to read, and what a fetched one says.

A root cause that is a pod whose container crashed, restarted or runs without becoming ready is
explained best by that container's log. `log_target` names the one container run of such a pod
worth reading (`previous=true` for a run that crashed); the source side fetches it once and feeds
it back as a `LogExcerpt` object (`sources.events.EXCERPT_KIND`, named `POD/CONTAINER` in the
pod's namespace), which the model reads like any other object (`root_cause_logs` joins it to the
root cause). Pods waiting for an image, a volume, a Secret or the scheduler have no log worth
reading, and a ready or finished container is never asked about.

A LogExcerpt object:

    {"kind": "LogExcerpt", "apiVersion": "sovwatch.io/v1",
     "metadata": {"namespace": "loki", "name": "loki-0/loki"},
     "pod": {"name": "loki-0", "uid": "..."}, "container": "loki", "previous": true,
     "restartCount": 12, "lines": ["level=info ...", "level=error ..."]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sovwatch.model.decisive_line import decisive_line
from sovwatch.model.pod import ContainerHealth, PodHealth
from sovwatch.model.probes import FAILING
from sovwatch.model.states import State
from sovwatch.sources.events import LogTarget

Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class LogExcerpt:
    container: str
    previous: bool
    restarts: int
    lines: tuple[str, ...]
    decisive: str

    @property
    def run(self) -> str:
        """Which run of the container the lines are from: `previous` (the crashed one) or
        `current`."""
        return "previous" if self.previous else "current"

    def to_dict(self) -> dict:
        return {
            "container": self.container,
            "run": self.run,
            "restartCount": self.restarts,
            "lines": list(self.lines),
            "decisive": self.decisive,
        }


def read_excerpt(obj: dict) -> tuple[str, str, LogExcerpt] | None:
    """(pod name, pod uid, excerpt) of a LogExcerpt object; None when it is not one."""
    pod = obj.get("pod") or {}
    lines = obj.get("lines")
    if not pod.get("name") or not obj.get("container") or not isinstance(lines, list):
        return None
    lines = tuple(str(line) for line in lines)
    excerpt = LogExcerpt(
        container=str(obj["container"]),
        previous=bool(obj.get("previous")),
        restarts=int(obj.get("restartCount") or 0),
        lines=lines,
        decisive=decisive_line(lines),
    )
    return str(pod["name"]), str(pod.get("uid") or ""), excerpt


def _run_of(c: ContainerHealth) -> bool | None:
    """previous (True), current (False) or no log worth reading (None) for one container."""
    if c.ready or c.status == "Completed":
        return None
    if c.last_termination is not None and c.state in ("waiting", "running"):
        return True  # crashed (waiting to restart, or restarted and not ready): why it ended
    if c.state == "terminated":
        return False
    if c.state == "running" and not c.init:
        return False if any(p.state == FAILING for p in c.probes.values()) else None
    return None


def _pick(pod: PodHealth) -> tuple[ContainerHealth, bool] | None:
    """The container to read and whether its previous run: init containers first (they hold the
    others back), a crashed run before a running one that is not ready."""
    if pod.verdict.state in (State.READY, State.UNKNOWN):
        return None
    found: list[tuple[ContainerHealth, bool]] = []
    for c in pod.containers:
        previous = _run_of(c)
        if previous is not None:
            found.append((c, previous))
            if c.init:
                break
    return min(found, key=lambda f: not f[1], default=None)


def log_target(pod: PodHealth, uid: str) -> LogTarget | None:
    """The container run to read for a pod that is a root cause (see `_pick`)."""
    picked = _pick(pod)
    if picked is None or not uid:
        return None
    c, previous = picked
    return LogTarget(pod.key[1], pod.key[2], uid, c.name, previous, c.restarts)


def excerpt_for(pod: PodHealth, excerpts: Mapping[str, LogExcerpt]) -> LogExcerpt | None:
    """The fetched excerpt (any run) of the container a pod's log target names, if any."""
    picked = _pick(pod)
    return excerpts.get(picked[0].name) if picked is not None else None
