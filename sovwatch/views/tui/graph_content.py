"""The dependency view: releases grouped by the model's waves, each with its dependencies' states.

A wave per block and one line per release keeps it within 80 columns however wide the kit gets
(waves of 10+ releases do not fit side by side). Releases on the critical path are marked; cycles
and missing dependencies, which the model reports instead of looping on, are listed at the end.
"""

from __future__ import annotations

from textual.content import Content

from sovwatch.model.snapshot import Key, ReleaseView, Snapshot
from sovwatch.model.states import State
from sovwatch.views.tui.cause_text import shared_prefix
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import STATE_STYLE


def render(snapshot: Snapshot, *, width: int, glyphs: Glyphs) -> Content:
    releases = {r.key: r for r in snapshot.releases}
    critical = set(snapshot.critical_path)
    waves = [list(w) for w in snapshot.waves]
    placed = {k for wave in waves for k in wave}
    unplaced = [k for k in releases if k not in placed]
    name_width = min(max((len(k[2]) for k in releases), default=8), 28)
    prefix = shared_prefix(sorted(k[2] for k in releases))
    lines: list[Content] = []
    for label, members in [*((f"wave {i}", w) for i, w in enumerate(waves)), ("no wave", unplaced)]:
        members = [k for k in members if k in releases]
        if not members:
            continue
        ready = sum(1 for k in members if releases[k].verdict.state is State.READY)
        lines.append(Content.assemble((label, "bold"), (f"  {ready}/{len(members)} ready", "dim")))
        for key in members:
            lines.append(
                _line(releases[key], releases, key in critical, name_width, width, glyphs, prefix)
            )
    for cycle in snapshot.cycles:
        chain = glyphs.then.join(k[2] for k in [*cycle, cycle[0]])
        lines.append(Content.assemble(("cycle: ", "bold $state-failed"), chain))
    for release, dependency in snapshot.missing:
        lines.append(
            Content.assemble(
                ("missing: ", "bold $state-failed"),
                f"{release[2]} needs {dependency[1]}/{dependency[2]}",
            )
        )
    if critical:
        lines.append(Content.assemble((f"{glyphs.critical} critical path", "dim")))
    return Content("\n").join(lines)


def _line(
    release: ReleaseView,
    releases: dict[Key, ReleaseView],
    critical: bool,
    name_width: int,
    width: int,
    glyphs: Glyphs,
    prefix: str,
) -> Content:
    """One release and its dependencies' states (their names without the shared prefix)."""
    state = release.verdict.state
    parts: list[str | tuple[str, str]] = [
        f" {glyphs.critical if critical else ' '} ",
        (glyphs.state[state], STATE_STYLE[state]),
        " " + release.key[2].ljust(name_width),
    ]
    deps = release.core.depends_on
    if deps:
        parts.append(f" {glyphs.blocked_by}")
    for dep in deps:
        found = releases.get(dep)
        dep_state = found.verdict.state if found else None
        parts += [
            " ",
            (glyphs.state[dep_state], STATE_STYLE[dep_state]) if dep_state else ("?", "bold"),
            dep[2].removeprefix(prefix),
        ]
    line = Content.assemble(*parts)
    return line.truncate(width, ellipsis=True) if line.cell_length > width else line
