"""Which container log `l` opens for a release: a pure choice from the snapshot's `ReleaseView`.

Every container of the release's pods can be shown (`c` walks through them, troubled pods first).
The one opened first is the root cause's pod when it is a pod, else the most troubled pod (the most
restarted among equals); in it, the container whose log excerpt explains the cause, else the first
that restarted or is not ready, else the first. The run is the excerpt's (the previous one for a
crashed run), else the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sovwatch.model.pod import ContainerHealth
from sovwatch.model.snapshot import ReleaseView

TROUBLE = {"failed": 0, "stalled": 0, "waiting": 1, "progressing": 1}
"""Pod states by how much they need a look (anything else, ready included, comes last)."""


@dataclass(frozen=True, slots=True)
class ContainerRef:
    namespace: str
    pod: str
    container: str
    """Empty when the pod's containers are not known yet (the server picks a lone one)."""


@dataclass(frozen=True, slots=True)
class LogChoice:
    """The containers of a release's pods, which one's log is shown, and of which run."""

    containers: tuple[ContainerRef, ...]
    at: int = 0
    previous: bool = False

    @property
    def current(self) -> ContainerRef:
        return self.containers[self.at]

    def next_container(self) -> LogChoice:
        """The following container (wrapping), for `c`."""
        return replace(self, at=(self.at + 1) % len(self.containers))

    def other_run(self) -> LogChoice:
        return replace(self, previous=not self.previous)


def choose(release: ReleaseView) -> LogChoice | None:
    """The log to open for `release`; None when it has no pod."""
    root = release.root_cause
    cause = root.cause if root is not None else None
    culprit = (cause.namespace, cause.name) if cause is not None and cause.kind == "Pod" else None
    pods = sorted(
        release.core.pods,
        key=lambda p: (p.key[1:] != culprit, TROUBLE.get(str(p.verdict.state), 2), -p.restarts),
    )
    shown = [(p.key[1], p.key[2], p.containers) for p in pods]
    if culprit and not any(p.key[1:] == culprit for p in pods):
        shown.insert(0, (*culprit, ()))
    if not shown:
        return None
    refs = [
        ref for namespace, name, containers in shown for ref in _refs(namespace, name, containers)
    ]
    namespace, name, containers = shown[0]
    excerpt = root.log_excerpt if root is not None and (namespace, name) == culprit else None
    statuses = [c for c in containers if not c.init]
    container = (
        (excerpt.container if excerpt is not None else "")
        or next((c.name for c in statuses if c.restarts or not c.ready), "")
        or next((c.name for c in statuses), "")
    )
    at = next((i for i, r in enumerate(refs) if r.pod == name and r.container == container), 0)
    return LogChoice(tuple(refs), at, previous=excerpt is not None and excerpt.previous)


def _refs(namespace: str, name: str, containers: tuple[ContainerHealth, ...]) -> list[ContainerRef]:
    """The pod's containers, init containers included; one unnamed when none is known yet."""
    return [ContainerRef(namespace, name, c.name) for c in containers] or [
        ContainerRef(namespace, name, "")
    ]
