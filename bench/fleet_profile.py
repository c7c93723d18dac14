"""The fleet bench's terminal bytes, profiled: the fleet screen's output captured during the
window and charged to what it changed (`bench.terminal_profile`), next to one `watch`.

    python -m bench.fleet_profile [--members 50] [--window 120] [--capture FILE]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import fleet
from bench.terminal_profile import profile, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=fleet.FULL.members)
    parser.add_argument("--window", type=float, default=fleet.FULL.window)
    parser.add_argument("--capture", type=Path, help="keep the capture here")
    args = parser.parse_args(argv)
    plan = fleet.Plan(args.members, fleet.FULL.warmup, args.window, fleet.FULL.speed)
    with tempfile.TemporaryDirectory(prefix="fleet-profile-") as tmp:
        capture = args.capture or Path(tmp) / "fleet.out"
        capture.unlink(missing_ok=True)
        figures = fleet.measure(plan, capture=capture)
        per_minute = 60.0 / figures["seconds"]
        print(
            f"{plan.members} Sovereigns, {figures['seconds']:.0f} s window: fleet screen "
            f"{figures['fleet_bytes'] * per_minute:,.0f} B/min, one watch "
            f"{figures['watch_bytes'] * per_minute:,.0f} B/min "
            f"({figures['fleet_bytes'] / max(figures['watch_bytes'], 1):.2f}x); "
            f"fleet CPU {figures['fleet_cores']:.2f} cores"
        )
        found = profile(
            capture.read_bytes(),
            start=figures["fleet_window_at"],
            columns=fleet.COLUMNS,
            rows=fleet.ROWS,
        )
        print(report(found, seconds=figures["seconds"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
