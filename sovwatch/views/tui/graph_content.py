"""The dependency view: releases grouped by the model's waves, each with its dependencies' states.

A wave per block and one line per release keeps it within 80 columns however wide the kit gets
(waves of 10+ releases do not fit side by side). Releases on the critical path are marked; cycles
and missing dependencies, which the model reports instead of looping on, are listed at the end.
"""

from __future__ import annotations

from textual.content import Content

from sovwatch.model.states import State
from sovwatch.views.tui.cause_text import shared_prefix, short, state_of
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import STATE_STYLE
from sovwatch.views.tui.viewmodel import release_key


def render(snapshot: dict, *, width: int, glyphs: Glyphs) -> Content:
    releases = {release_key(r): r for r in snapshot.get("releases") or []}
    graph = snapshot.get("graph") or {}
    critical = set(graph.get("criticalPath") or [])
    waves = [list(w) for w in graph.get("waves") or []]
    placed = {k for wave in waves for k in wave}
    unplaced = [k for k in releases if k not in placed]
    name_width = min(max((len(short(k)) for k in releases), default=8), 28)
    prefix = shared_prefix(sorted(short(k) for k in releases))
    lines: list[Content] = []
    for label, members in [*((f"wave {i}", w) for i, w in enumerate(waves)), ("no wave", unplaced)]:
        members = [k for k in members if k in releases]
        if not members:
            continue
        ready = sum(1 for k in members if state_of(releases[k]) is State.READY)
        lines.append(Content.assemble((label, "bold"), (f"  {ready}/{len(members)} ready", "dim")))
        for key in members:
            lines.append(
                _line(releases[key], releases, key in critical, name_width, width, glyphs, prefix)
            )
    for cycle in graph.get("cycles") or []:
        chain = glyphs.then.join(short(k) for k in [*cycle, cycle[0]])
        lines.append(Content.assemble(("cycle: ", "bold $state-failed"), chain))
    for gap in graph.get("missing") or []:
        lines.append(
            Content.assemble(
                ("missing: ", "bold $state-failed"),
                f"{short(gap.get('release', ''))} needs {gap.get('dependency', '')}",
            )
        )
    if critical:
        lines.append(Content.assemble((f"{glyphs.critical} critical path", "dim")))
    return Content("\n").join(lines)


def _line(
    release: dict,
    releases: dict,
    critical: bool,
    name_width: int,
    width: int,
    glyphs: Glyphs,
    prefix: str,
) -> Content:
    """One release and its dependencies' states (their names without the shared prefix)."""
    state = state_of(release)
    parts: list[str | tuple[str, str]] = [
        f" {glyphs.critical if critical else ' '} ",
        (glyphs.state[state], STATE_STYLE[state]),
        " " + release.get("name", "").ljust(name_width),
    ]
    deps = release.get("dependsOn") or []
    if deps:
        parts.append(f" {glyphs.blocked_by}")
    for dep in deps:
        found = releases.get(dep)
        dep_state = state_of(found) if found else None
        parts += [
            " ",
            (glyphs.state[dep_state], STATE_STYLE[dep_state]) if dep_state else ("?", "bold"),
            short(dep).removeprefix(prefix),
        ]
    line = Content.assemble(*parts)
    return line.truncate(width, ellipsis=True) if line.cell_length > width else line
