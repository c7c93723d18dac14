"""Which container log `l` opens for a release: a pure choice from the snapshot's release document.

Every container of the release's pods can be shown (`c` walks through them, troubled pods first).
The one opened first is the root cause's pod when it is a pod, else the most troubled pod (the most
restarted among equals); in it, the container whose log excerpt explains the cause, else the first
that restarted or is not ready, else the first. The run is the excerpt's (the previous one for a
crashed run), else the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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


def choose(release: dict) -> LogChoice | None:
    """The log to open for `release`; None when it has no pod."""
    cause = release.get("rootCause") or {}
    culprit = (cause.get("namespace"), cause.get("name")) if cause.get("kind") == "Pod" else None
    pods = sorted(
        release.get("pods") or [],
        key=lambda p: (
            (p.get("namespace"), p.get("name")) != culprit,
            TROUBLE.get(str(p.get("state")), 2),
            -(p.get("restarts") or 0),
        ),
    )
    if culprit and not any((p.get("namespace"), p.get("name")) == culprit for p in pods):
        pods.insert(0, {"namespace": culprit[0], "name": culprit[1]})
    if not pods:
        return None
    refs = [ref for pod in pods for ref in _refs(pod)]
    first = pods[0]
    excerpt = (
        cause.get("logExcerpt") if (first.get("namespace"), first.get("name")) == culprit else None
    )
    statuses = [c for c in first.get("containerStatuses") or [] if not c.get("init")]
    container = (
        (excerpt or {}).get("container")
        or next((c["name"] for c in statuses if c.get("restarts") or not c.get("ready")), "")
        or next((c["name"] for c in statuses), "")
    )
    at = next(
        (i for i, r in enumerate(refs) if r.pod == first["name"] and r.container == container), 0
    )
    return LogChoice(tuple(refs), at, previous=(excerpt or {}).get("run") == "previous")


def _refs(pod: dict) -> list[ContainerRef]:
    """The pod's containers, init containers included; one unnamed when none is known yet."""
    namespace, name = str(pod.get("namespace", "")), str(pod.get("name", ""))
    names = [str(c.get("name", "")) for c in pod.get("containerStatuses") or []]
    return [ContainerRef(namespace, name, n) for n in names or [""]]
