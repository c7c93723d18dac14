"""Regenerate screenshots/report-light.png and report-dark.png: the post-mortem report of a recorded
`stuck` demo run, in headless Chromium (Debian's `chromium`), light and dark.

    PYTHONPATH=. .venv/bin/python scripts/report_screenshots.py
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.views.report import chromium

ROOT = Path(__file__).resolve().parents[1]
HEIGHT = 1300
"""CSS pixels from the top: the verdict, the timeline and the first failures."""


def _sovwatch(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "sovwatch", *args], check=False, cwd=ROOT)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        recording, page_file = Path(tmp) / "stuck.ndjson", Path(tmp) / "stuck.html"
        _sovwatch(
            "demo", "--scenario", "stuck", "-o", "plain", "--speed", "300", "--exit-on-done",
            "--record", str(recording),
        )  # fmt: skip
        _sovwatch("report", str(recording), "-o", str(page_file))
        async with chromium.open_page(Path(tmp) / "profile") as page:
            for scheme in ("light", "dark"):
                await page.load(page_file.as_uri(), dark=scheme == "dark")
                png = await page.screenshot(height=HEIGHT)
                (ROOT / "screenshots" / f"report-{scheme}.png").write_bytes(png)
            if page.problems:
                raise SystemExit(f"console errors: {page.problems}")


if __name__ == "__main__":
    asyncio.run(main())
