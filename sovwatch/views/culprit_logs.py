"""The culprit containers of a finished run: each one's log excerpt once, with the releases it
holds back (for the plain failure summary and the JSON outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sovwatch.model.log_excerpts import LogExcerpt
from sovwatch.model.rootcause import Cause
from sovwatch.model.snapshot import Snapshot
from sovwatch.model.states import State


@dataclass
class CulpritLog:
    """One culprit container's log excerpt and the releases (names) it holds back."""

    cause: Cause
    excerpt: LogExcerpt
    releases: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON outcome's entry: `{kind, namespace, name, container, run, decisive, releases}`
        (the lines stay in the snapshot's `rootCause.logExcerpt`)."""
        excerpt = self.excerpt.to_dict()
        return {
            "kind": self.cause.kind,
            "namespace": self.cause.namespace,
            "name": self.cause.name,
            "container": excerpt["container"],
            "run": excerpt["run"],
            "decisive": excerpt["decisive"],
            "releases": list(self.releases),
        }


def culprit_logs(snapshot: Snapshot) -> list[CulpritLog]:
    """One per culprit container, in release order, for releases that are not ready."""
    found: dict[tuple[str, str, str], CulpritLog] = {}
    for release in snapshot.releases:
        root = release.root_cause
        if root is None or root.log_excerpt is None or release.verdict.state is State.READY:
            continue
        cause, excerpt = root.cause, root.log_excerpt
        key = (cause.namespace, cause.name, excerpt.container)
        found.setdefault(key, CulpritLog(cause, excerpt)).releases.append(release.key[2])
    return list(found.values())
