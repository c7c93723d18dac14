"""The dependsOn graph: waves, cycles, missing dependencies, critical path.

Built from live `spec.dependsOn` (see `helmrelease.dependencies`), never from documentation. Every
walk is iterative and bounded by the node count, so cycles and self-dependencies are reported, not
looped on. A release in a cycle, or depending on one, has no wave (None): it can never start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class GraphReport:
    waves: dict[Key, int | None]
    """Wave n = 1 + the highest wave of the node's (existing) dependencies; roots are wave 0."""
    cycles: tuple[tuple[Key, ...], ...]
    """Strongly connected groups of two or more nodes, and self-dependencies."""
    missing: tuple[tuple[Key, Key], ...]
    """(release, dependency) pairs whose dependency does not exist."""

    def by_wave(self) -> list[list[Key]]:
        """Nodes grouped by wave, each group sorted; nodes without a wave are left out."""
        top = max((w for w in self.waves.values() if w is not None), default=-1)
        groups: list[list[Key]] = [[] for _ in range(top + 1)]
        for key, wave in self.waves.items():
            if wave is not None:
                groups[wave].append(key)
        return [sorted(g) for g in groups]


def analyse(deps: Mapping[Key, Sequence[Key]]) -> GraphReport:
    """Waves, cycles and missing dependencies of a dependency map (node → what it depends on)."""
    missing = tuple(sorted((node, d) for node, ds in deps.items() for d in ds if d not in deps))
    cycles = _cycles(deps)
    in_cycle = {k for c in cycles for k in c}
    waves: dict[Key, int | None] = {}
    # Kahn's algorithm over existing edges: a node is placed once all its dependencies are.
    pending = {n: {d for d in ds if d in deps} for n, ds in deps.items()}
    dependants: dict[Key, list[Key]] = {}
    for n, ds in pending.items():
        for d in ds:
            dependants.setdefault(d, []).append(n)
    ready = [n for n, ds in pending.items() if not ds]
    while ready:
        node = ready.pop()
        waves[node] = 1 + max(
            (waves[d] for d in deps[node] if waves.get(d) is not None), default=-1
        )
        for child in dependants.get(node, ()):
            pending[child].discard(node)
            if not pending[child]:
                ready.append(child)
    for node in deps:
        if node not in waves or node in in_cycle:
            waves[node] = None
    return GraphReport(waves, cycles, missing)


def _cycles(deps: Mapping[Key, Sequence[Key]]) -> tuple[tuple[Key, ...], ...]:
    """Tarjan's strongly connected components, iterative; keeps groups > 1 and self-loops."""
    index: dict[Key, int] = {}
    low: dict[Key, int] = {}
    on_stack: set[Key] = set()
    stack: list[Key] = []
    found: list[tuple[Key, ...]] = []
    counter = 0
    for root in sorted(deps):
        if root in index:
            continue
        work: list[tuple[Key, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = [d for d in deps[node] if d in deps]
            if i < len(edges):
                work.append((node, i + 1))
                child = edges[i]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in deps[node]:
                    found.append(tuple(sorted(group)))
    return tuple(sorted(found))


def critical_path(
    deps: Mapping[Key, Sequence[Key]],
    weight: Callable[[Key], float],
    *,
    report: GraphReport | None = None,
) -> tuple[Key, ...]:
    """The dependency chain with the largest total weight (root first), over nodes that have a wave.

    With weight = remaining time per release this is what the rollout is waiting on; nodes with
    weight 0 (ready) still link chains together but add nothing.
    """
    report = report or analyse(deps)
    order = sorted(
        (k for k, w in report.waves.items() if w is not None), key=lambda k: (report.waves[k], k)
    )
    best: dict[Key, float] = {}
    prev: dict[Key, Key | None] = {}
    for node in order:
        options = [(best[d], d) for d in deps[node] if d in best]
        top = max(options, default=(0.0, None), key=lambda o: (o[0], o[1] is not None))
        best[node] = top[0] + weight(node)
        prev[node] = top[1]
    if not best:
        return ()
    end = max(best, key=lambda k: (best[k], k))
    if best[end] <= 0:
        return ()
    path: list[Key] = []
    node: Key | None = end
    while node is not None:
        path.append(node)
        node = prev[node]
    return tuple(reversed(path))
