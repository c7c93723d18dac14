"""SVG snapshots of the main screen, the detail pane and the graph, in 16 colours and NO_COLOR.

Own comparison rather than pytest-textual-snapshot: Textual exports truecolor only, and the point
here is what a `TERM=xterm` (16-colour) terminal shows, so `screen.svg()` downgrades each cell the
way Rich does on output. The data is the `stuck` scenario at minute 10 with the clock pinned, so
the SVGs are byte-stable. Update with SOVWATCH_UPDATE_SNAPSHOTS=1; `bench/tui_screenshots.py`
renders them to screenshots/*.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.views.tui import screen
from tests.views.tui.conftest import settle

SNAPSHOTS = Path(__file__).parent / "snapshots"
VIEWS = {
    "main": ((80, 24), {"failed_first": True}, []),
    "detail": ((100, 40), {}, ["slash", *"loki", "enter", "enter"]),
    "graph": ((80, 24), {}, ["g"]),
}


@pytest.mark.parametrize("variant", ["16colour", "nocolour"])
@pytest.mark.parametrize("view", list(VIEWS))
async def test_snapshot(fed_app, monkeypatch, view, variant):
    if variant == "nocolour":
        monkeypatch.setenv("NO_COLOR", "1")
    size, settings, keys = VIEWS[view]
    app = fed_app(**settings)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        await pilot.press(*keys)
        await pilot.pause()
        svg = screen.svg(app, system="16", title=f"sovwatch: {view} ({variant})")
    check(svg, f"{view}-{variant}")


def check(svg: str, name: str) -> None:
    """`svg` is the stored snapshot `name` (written when missing or SOVWATCH_UPDATE_SNAPSHOTS=1)."""
    path = SNAPSHOTS / f"{name}.svg"
    if os.environ.get("SOVWATCH_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(svg)
        if os.environ.get("SOVWATCH_UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"{path.name} did not exist; written now, check it and run again")
    if path.read_text() != svg:
        actual = path.with_suffix(".actual.svg")
        actual.write_text(svg)
        pytest.fail(
            f"{path.name} differs; see {actual.name} (SOVWATCH_UPDATE_SNAPSHOTS=1 to accept)"
        )
