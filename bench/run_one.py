"""The command line shared by every benchmark module: `python -m bench.<name> [--smoke] [--json]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bench.results import BenchResult, dump_json, table


def main_for(run: Callable[..., BenchResult | list[BenchResult]]) -> None:
    parser = argparse.ArgumentParser(
        description=(sys.modules[run.__module__].__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="tiny size, for CI (seconds)")
    parser.add_argument("--json", action="store_true", help="also print the JSON document")
    args = parser.parse_args()
    results = as_list(run(smoke=args.smoke))
    print(table(results))
    if args.json:
        from bench.machine import machine

        print(dump_json(results, machine()))


def as_list(outcome: BenchResult | list[BenchResult]) -> list[BenchResult]:
    """A benchmark returns one result or several (one per metric)."""
    return outcome if isinstance(outcome, list) else [outcome]
