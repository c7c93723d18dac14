"""CPU cost of playing the shipped scenarios instantly, and the `large` scenario's end state.

The benchmarks and `sovwatch demo` play `large` (300 releases, 5,100 pods) and `bootstrap-kit`
(38 releases), so the scenario engine's own cost decides how fast they can start. For each scenario
this plays to sim minute 6 and then to the end in a fresh store, printing CPU seconds (process time)
and the number of changes written, then checks that `large` reached 300 Ready releases and 5,100
pods by minute 6 (the full-size check, too slow for the test suite). Not a test: timings are
machine-dependent.

Run: PYTHONPATH=. python bench/scenario_cost.py [scenario ...]
"""

from __future__ import annotations

import sys
import time

from sovsim.controllers.common import is_ready
from sovsim.objects import ObjectStore
from sovsim.scenario import ScenarioRunner, load_scenario

HR = "helmreleases.helm.toolkit.fluxcd.io"
START = 1_700_000_000.0


def play(name: str) -> None:
    store = ObjectStore()
    runner = ScenarioRunner(store, load_scenario(name), seed=0, start=START)
    began = time.process_time()
    runner.run_until(6 * 60)
    at_six, changes_six = time.process_time() - began, store.resource_version
    if name == "large":
        check_large(store)  # not timed
    began = time.process_time()
    runner.run_to_end()
    total = at_six + time.process_time() - began
    print(
        f"{name:14} run_until(6m): {at_six:6.2f} s CPU, {changes_six - 1:7,} changes   "
        f"run_to_end ({runner.scenario.duration / 60:.0f}m): {total:6.2f} s CPU, "
        f"{store.resource_version - 1:7,} changes"
    )


def check_large(store: ObjectStore) -> None:
    hrs, _ = store.list(HR)
    pods = [
        p
        for p in store.list("pods")[0]
        if p["metadata"]["labels"].get("app.kubernetes.io/managed-by") == "Helm"
    ]
    ready = sum(is_ready(h) for h in hrs)
    print(f"large at minute 6: {ready}/{len(hrs)} releases Ready, {len(pods):,} release pods")
    assert (len(hrs), ready, len(pods)) == (300, 300, 5100)


def main(names: list[str]) -> None:
    for name in names or ["bootstrap-kit", "large"]:
        play(name)


if __name__ == "__main__":
    main(sys.argv[1:])
