"""Transitions: what changed state between two snapshots, as records the headless views print.

Both headless views report changes, not states, so they share one definition of a change: an object
whose state differs between two snapshots (or that appeared or went away). HelmReleases are read
from `releases` (the rollout's own view of them), every other kind from `objects`. Events are not objects with a state and never make transitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import compress, count
from operator import is_not

from sovwatch.model.intake import ObjectRow
from sovwatch.model.snapshot import Snapshot
from sovwatch.model.states import Verdict

HELMRELEASE = "HelmRelease"
FLUX_KINDS = frozenset(
    {HELMRELEASE, "Kustomization", "HelmChart", "HelmRepository", "OCIRepository", "GitRepository"}
)
BAD = frozenset({"failed", "stalled"})
"""States that are a problem in themselves (the model's `BAD_STATES`, as snapshot words)."""


@dataclass(frozen=True)
class Transition:
    """One object moving from one state to another."""

    kind: str
    namespace: str
    name: str
    before: str | None
    """The previous state; None when the object is new."""
    after: str | None
    """The new state; None when the object is gone."""
    reason: str
    message: str
    ts: float
    """When the change was seen (epoch seconds, in the source's time)."""


Key = tuple[str, str, str]


def states_of(snapshot: Snapshot) -> dict[Key, Verdict]:
    """The verdict of every object with a state in a snapshot, keyed by (kind, namespace, name)."""
    found = _release_states(snapshot)
    found.update(_object_states(snapshot.objects))
    return found


def _release_states(snapshot: Snapshot) -> dict[Key, Verdict]:
    return {(HELMRELEASE, *r.key[1:]): r.verdict for r in snapshot.releases}


def _object_states(rows: Iterable[ObjectRow]) -> dict[Key, Verdict]:
    return {
        (o.kind, o.namespace, o.name): o.verdict
        for o in rows
        if o.kind not in (HELMRELEASE, "Event")
    }


def _row_key(row: ObjectRow) -> Key:
    return (row.kind, row.namespace, row.name)


def diff(before: Snapshot | None, after: Snapshot, *, ts: float) -> list[Transition]:
    """State changes from `before` (None: nothing seen yet) to `after`, in `after`'s order.

    Two snapshots of one rollout usually hold the same objects in the same (key) order, most of
    them the very same rows (a row is replaced when its object is re-judged): then only the
    replaced rows are compared, not every object (a large cluster has thousands)."""
    replaced = _replaced_rows(before, after)
    if replaced is not None:
        old = _release_states(before) | _object_states(a for a, _ in replaced)
        new = _release_states(after) | _object_states(b for _, b in replaced)
    else:
        old = states_of(before) if before is not None else {}
        new = states_of(after)
    changes = [
        Transition(
            kind=key[0],
            namespace=key[1],
            name=key[2],
            before=str(old[key].state) if key in old else None,
            after=str(verdict.state),
            reason=verdict.reason or "",
            message=verdict.message or "",
            ts=ts,
        )
        for key, verdict in new.items()
        if key not in old or old[key].state != verdict.state
    ]
    changes.extend(
        Transition(key[0], key[1], key[2], str(verdict.state), None, "Deleted", "", ts)
        for key, verdict in old.items()
        if key not in new
    )
    return changes


def _replaced_rows(
    before: Snapshot | None, after: Snapshot
) -> list[tuple[ObjectRow, ObjectRow]] | None:
    """The rows `after` replaced, each with the row it replaced, when both snapshots hold the same
    objects in the same order (None otherwise); the scan for them runs in C (`map`, `compress`)."""
    if before is None or len(before.objects) != len(after.objects):
        return None
    old, new = before.objects, after.objects
    replaced = [(old[i], new[i]) for i in compress(count(), map(is_not, old, new))]
    if all(_row_key(a) == _row_key(b) for a, b in replaced):
        return replaced
    return None


def is_rollout_level(transition: Transition) -> bool:
    """Whether a line-per-change log should show it: every Flux object's change, and any other
    object going into or out of a failure (a pod starting to crash-loop, a PVC failing to bind)."""
    if transition.kind in FLUX_KINDS:
        return True
    return transition.before in BAD or transition.after in BAD
