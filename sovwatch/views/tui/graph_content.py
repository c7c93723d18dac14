"""The dependency view: releases grouped by wave, each with its dependencies and their states.

A wave per block and one line per release keeps it within 80 columns however wide the kit gets
(waves of 10+ releases do not fit side by side). Releases on the critical path are marked.
"""

from __future__ import annotations

from itertools import groupby

from textual.content import Content

from sovwatch.views.tui.detail_content import STATE_STYLE
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.viewmodel import release_key, state_of


def render(snapshot: dict, *, width: int, glyphs: Glyphs) -> Content:
    releases = snapshot.get("releases") or []
    by_key = {release_key(r): r for r in releases}
    critical = set(snapshot.get("criticalPath") or [])
    name_width = min(max((len(r.get("name", "")) for r in releases), default=8), 28)
    lines: list[Content] = []
    ordered = sorted(releases, key=lambda r: int(r.get("wave") or 0))
    for wave, members in groupby(ordered, key=lambda r: int(r.get("wave") or 0)):
        members = list(members)
        ready = sum(1 for r in members if state_of(r).value == "ready")
        lines.append(
            Content.assemble((f"wave {wave}", "bold"), (f"  {ready}/{len(members)} ready", "dim"))
        )
        for r in members:
            state = state_of(r)
            mark = glyphs.critical if release_key(r) in critical else " "
            parts: list[str | tuple[str, str]] = [
                f" {mark} ",
                (glyphs.state[state], STATE_STYLE[state]),
                " " + r.get("name", "").ljust(name_width),
            ]
            deps = r.get("dependsOn") or []
            if deps:
                parts.append(f" {glyphs.blocked_by}")
            for dep in deps:
                key = dep if "/" in dep else f"{r.get('namespace', '')}/{dep}"
                dep_state = state_of(by_key[key]) if key in by_key else None
                glyph = glyphs.state[dep_state] if dep_state else "?"
                style = STATE_STYLE[dep_state] if dep_state else "bold $text-error"
                parts += [" ", (glyph, style), dep.rsplit("/", 1)[-1].removeprefix("bp-")]
            line = Content.assemble(*parts)
            if line.cell_length > width:
                line = line.truncate(width, ellipsis=True)
            lines.append(line)
    if critical:
        lines.append(Content.assemble((f"{glyphs.critical} critical path", "dim")))
    return Content("\n").join(lines)
