"""Run every benchmark and print one table with ratios against the peers, plus JSON.

    python -m bench [--smoke] [--only ingest,latency] [--json-out bench.json]
    python bench/run.py ...          # the same

The full run takes about 7-9 minutes on a 2-core machine; `--smoke` runs every harness at a tiny
size in well under a minute (CI uses it so the benchmarks don't rot; its figures mean nothing).
A benchmark that fails is reported as failed and the others still run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `sovwatch` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)

from bench import apiload, bandwidth, fleet, foreign, ingest, latency, memory, startup  # noqa: E402
from bench.machine import machine  # noqa: E402
from bench.results import BenchResult, Measurement, dump_json, table  # noqa: E402
from bench.run_one import as_list  # noqa: E402

BENCHMARKS = {
    "ingest": ingest.run,
    "startup": startup.run,
    "foreign": foreign.run,
    "apiload": apiload.run,
    "bandwidth": bandwidth.run,
    "memory": memory.run,
    "latency": latency.run,
    "fleet": fleet.run,
}


OTHER_SCRIPTS = ("model_cost.py", "scenario_cost.py")
"""Per-stage cost scripts (the model's update, the scenario engine), run as they are and appended.
`tui_bandwidth.py` (bytes and CPU of the TUI on `stuck`) runs alone; `tui_demo.py` and
`tui_screenshots.py` are tools, not benchmarks."""
OTHER_TIMEOUT = 180.0


def _other_scripts() -> dict[str, str]:
    """The last lines each per-stage script printed (or why it failed)."""
    here = Path(__file__).resolve().parent
    outputs = {}
    for name in OTHER_SCRIPTS:
        script = here / name
        print(f"[bench] {script.name} ...", file=sys.stderr, flush=True)
        try:
            done = subprocess.run(
                [sys.executable, str(script)],
                capture_output=True,
                text=True,
                timeout=OTHER_TIMEOUT,
                env={**os.environ, "PYTHONPATH": str(here.parent)},
                cwd=here.parent,
            )
            text = done.stdout if done.returncode == 0 else f"exit {done.returncode}: {done.stderr}"
        except subprocess.TimeoutExpired:
            text = f"timed out after {OTHER_TIMEOUT:.0f} s"
        outputs[script.name] = "\n".join(text.strip().splitlines()[-25:])
    return outputs


def _failed(name: str, exc: BaseException) -> BenchResult:
    line = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return BenchResult(
        name=name,
        title=f"{name} (failed)",
        unit="",
        peer="",
        measurements=(Measurement("(benchmark failed)", None, line),),
        notes=(traceback.format_exc(limit=4),),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="sovwatch benchmarks against real peers")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of {','.join(BENCHMARKS)}"
    )
    parser.add_argument("--json-out", type=Path, help="also write the JSON document to this file")
    parser.add_argument(
        "--no-others",
        action="store_true",
        help=f"skip the per-stage scripts ({', '.join(OTHER_SCRIPTS)}); --smoke skips them too",
    )
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
    info = machine()
    results, failures = [], 0
    started = time.monotonic()
    for name in names:
        began = time.monotonic()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            got = as_list(BENCHMARKS[name](smoke=args.smoke))
        except Exception as exc:  # report it, keep going: one broken harness hides nothing else
            failures += 1
            got = [_failed(name, exc)]
        results += got
        print(table(got), file=sys.stderr, flush=True)
        print(
            f"[bench] {name} done in {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True
        )
    others = {} if args.smoke or args.no_others or args.only else _other_scripts()
    info["total_seconds"] = round(time.monotonic() - started, 1)
    info["loadavg_at_end"] = os.getloadavg()
    document = dump_json(results, info, others)
    print(table(results))
    for name, text in others.items():
        print(f"\n{name}:\n{text}")
    print()
    print(
        f"machine: {info['nproc']} x {info['cpu']}, Python {info['python']}, kubectl "
        f"{info['kubectl']}; load {info['loadavg_at_start'][0]:.1f} -> "
        f"{info['loadavg_at_end'][0]:.1f}; {info['total_seconds']:.0f} s"
    )
    print(document)
    if args.json_out:
        args.json_out.write_text(document + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
