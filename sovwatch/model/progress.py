"""Progress: ready / total / expected, and how many are in each state.

`expected` comes from, in order: an explicit `--expect N`; the bootstrap Kustomization's
`status.inventory` (how many HelmReleases it applied); else what has been seen. The rollout is never
done while fewer releases than expected have appeared: that is the bug the Go watcher had (an empty
cache counted as "all done" one second after flux-bootstrap).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sovwatch.model.states import State

EXPLICIT = "explicit"
INVENTORY = "inventory"
SEEN = "seen"


@dataclass(frozen=True, slots=True)
class Progress:
    ready: int
    total: int
    """Releases seen."""
    expected: int
    expected_source: str
    """"explicit", "inventory" or "seen"."""
    failed: int
    """Failed or stalled (stalled also counted on its own)."""
    stalled: int
    waiting: int
    progressing: int
    suspended: int
    unknown: int

    @property
    def done(self) -> bool:
        """Every expected release has appeared and every release seen is ready."""
        return self.total > 0 and self.total >= self.expected and self.ready == self.total

    def to_dict(self) -> dict:
        return {
            "ready": self.ready,
            "total": self.total,
            "expected": self.expected,
            "expectedSource": self.expected_source,
            "failed": self.failed,
            "stalled": self.stalled,
            "waiting": self.waiting,
            "progressing": self.progressing,
            "suspended": self.suspended,
            "unknown": self.unknown,
        }


def expected_releases(*, explicit: int | None, inventory: int | None, seen: int) -> tuple[int, str]:
    """How many releases the rollout must reach, and where that number came from."""
    if explicit is not None:
        return explicit, EXPLICIT
    if inventory:
        return inventory, INVENTORY
    return seen, SEEN


def summarize(counts: Mapping[State, int], *, expected: int, expected_source: str) -> Progress:
    """Progress from per-state release counts."""
    total = sum(counts.values())
    return Progress(
        ready=counts.get(State.READY, 0),
        total=total,
        expected=expected,
        expected_source=expected_source,
        failed=counts.get(State.FAILED, 0) + counts.get(State.STALLED, 0),
        stalled=counts.get(State.STALLED, 0),
        waiting=counts.get(State.WAITING, 0),
        progressing=counts.get(State.PROGRESSING, 0),
        suspended=counts.get(State.SUSPENDED, 0),
        unknown=counts.get(State.UNKNOWN, 0),
    )
