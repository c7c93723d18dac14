"""Render the TUI's SVG snapshots (tests/views/tui/snapshots/*.svg) to screenshots/*.png.

Needs rsvg-convert (Debian: librsvg2-bin). librsvg drops a leading non-breaking space inside a
<text> run unless whitespace is preserved, which glues words together ("sov-omantelhttps://"),
so the SVG gets xml:space="preserve" on its way to the renderer.

    python bench/tui_screenshots.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "views" / "tui" / "snapshots"
OUT = ROOT / "screenshots"


def main() -> int:
    if shutil.which("rsvg-convert") is None:
        print("rsvg-convert not found: apt-get install -y librsvg2-bin", file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
    for svg in sorted(SNAPSHOTS.glob("*.svg")):
        if svg.name.endswith(".actual.svg"):
            continue
        text = svg.read_text().replace("<svg ", '<svg xml:space="preserve" ', 1)
        png = OUT / svg.with_suffix(".png").name
        subprocess.run(["rsvg-convert", "-o", str(png)], input=text.encode(), check=True)
        print(png.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
