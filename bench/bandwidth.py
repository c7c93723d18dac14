"""Benchmark 4, terminal bandwidth: bytes written to a 120x40 pseudo-terminal per minute while the
default scenario plays at real speed, and while the cluster is idle, for the sovwatch TUI versus
`watch -n2 kubectl get hr -A` in a terminal of the same size.

Two emulators run side by side, each watched by both programs at the same time:
- rollout: `bootstrap-kit` from the moment Flux's CRDs are installed, at speed 1 for 3 minutes:
  the 38 HelmReleases appear, then install wave by wave (about 2,300 object changes; the busiest
  3 minutes of the story);
- idle: the same scenario played instantly to its end (every release Ready) and frozen there.
Both pairs are measured over the same window, so one run takes the window once. The first paint
after start-up is not counted.

`--stress` measures instead the whole story at 45x in 60 s (far more changes per minute than a
real rollout); it is not part of `python -m bench`, which must stay under 10 minutes.

    python -m bench.bandwidth [--smoke] [--json] [--stress]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench import procs, subjects
from bench.host import EmulatorHost
from bench.results import BenchResult, Measurement, Target, dump_json, table
from bench.run_one import as_list

WATCH = "watch -n2 kubectl get hr -A"
TUI = "sovwatch TUI"
SCENARIO = "bootstrap-kit"
HR_PATH = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases"
COLUMNS, ROWS = 120, 40
FIRST_PAINT = 3.0
"""Seconds after both clients reached the emulator before bytes count (the first full paint)."""
SETTLE = 2.0
"""Seconds after the played window for its last changes to reach the screens (not counted)."""


@dataclass(frozen=True)
class Plan:
    window: float
    """Seconds counted."""
    speed: float
    """Scenario seconds per real second during the window."""
    idle: bool
    """Also measure a frozen cluster at the scenario's end, in parallel."""


REAL = Plan(window=180.0, speed=1.0, idle=True)
STRESS = Plan(window=60.0, speed=45.0, idle=False)
SMOKE = Plan(window=4.0, speed=1.0, idle=True)


@dataclass
class Pair:
    """sovwatch and `watch` in same-size ptys against one emulator."""

    host: EmulatorHost
    runner: object
    """The `ScenarioRunner` playing into the host's store."""
    terms: dict[str, procs.PtyProcess]
    spawned: float


def _pair(stack: ExitStack, tmpdir: Path, label: str, *, at: float, speed: float = 1.0) -> Pair:
    """An emulator playing the scenario instantly to `at` (its clock so that `at` is now), and
    both programs started against it."""
    from sovsim.scenario import ScenarioRunner, load_scenario

    host = stack.enter_context(EmulatorHost())
    scenario = load_scenario(SCENARIO)
    runner = host.call(
        lambda: ScenarioRunner(host.store, scenario, seed=0, speed=speed, start=time.time() - at)
    )
    host.call(runner.run_until, at)
    kubeconfig = host.kubeconfig(tmpdir / f"kubeconfig-{label}")
    terms = {
        WATCH: procs.PtyProcess(
            [
                "watch",
                "-n2",
                *procs.kubectl(kubeconfig, tmpdir / f"cache-{label}", "get", "hr", "-A"),
            ],
            COLUMNS,
            ROWS,
        )
    }
    if subjects.missing_tui() is None:
        env = {**procs.python_env(), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        terms[TUI] = procs.PtyProcess(subjects.sovwatch(kubeconfig), COLUMNS, ROWS, env=env)
    pair = Pair(host, runner, terms, spawned=time.time())
    for term in terms.values():
        term.start()
        stack.callback(term.close)
    return pair


def measure(plan: Plan) -> dict[str, dict[str, int]]:
    """Bytes each program wrote during the window: {"rollout"|"idle": {subject: bytes}}."""
    from sovsim.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    crds_at = scenario.cluster.flux_crds_at + 1.0
    with ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-tty-")))
        pairs = {"rollout": _pair(stack, tmpdir, "rollout", at=crds_at, speed=plan.speed)}
        if plan.idle:
            pairs["idle"] = _pair(stack, tmpdir, "idle", at=scenario.duration)
        terms = {
            (label, name): term for label, p in pairs.items() for name, term in p.terms.items()
        }
        for pair in pairs.values():
            _wait_for_clients(pair, terms)
        _pump_all(terms, FIRST_PAINT)
        rollout = pairs["rollout"]
        until = crds_at + plan.window * plan.speed
        playing = asyncio.run_coroutine_threadsafe(
            rollout.runner.run(until=until), rollout.host.loop
        )
        counted = _pump_all(terms, plan.window)
        with contextlib.suppress(Exception):
            playing.result(5)
        playing.cancel()
        _pump_all(terms, SETTLE)
    out: dict[str, dict[str, int]] = {label: {} for label in pairs}
    for (label, name), n in counted.items():
        out[label][name] = n
    return out


def run(*, smoke: bool = False, stress: bool = False) -> list[BenchResult]:
    plan = SMOKE if smoke else STRESS if stress else REAL
    counted = measure(plan)
    missing = subjects.missing_tui() or ""
    played = f"{SCENARIO} from Flux CRDs installed, at {plan.speed:g}x for {plan.window:.0f} s"
    results = [
        _result(
            "bandwidth-stress" if stress else "bandwidth",
            counted["rollout"],
            plan,
            title=f"Terminal bytes at {COLUMNS}x{ROWS} during a rollout",
            note=played,
            missing=missing,
        )
    ]
    if "idle" in counted:
        results.append(
            _result(
                "bandwidth-idle",
                counted["idle"],
                plan,
                title=f"Terminal bytes at {COLUMNS}x{ROWS} on an idle cluster",
                note=f"{SCENARIO} played to its end and frozen, {plan.window:.0f} s",
                missing=missing,
            )
        )
    return results


def _result(
    name: str, counted: dict[str, int], plan: Plan, *, title: str, note: str, missing: str
) -> BenchResult:
    measurements = []
    for subject in (TUI, WATCH):
        if subject not in counted:
            measurements.append(Measurement(subject, None, missing))
            continue
        per_min = counted[subject] * 60 / plan.window
        measurements.append(
            Measurement(
                subject,
                per_min,
                f"{per_min / 1024:.1f} KiB/min",
                extra={"bytes": counted[subject], "seconds": plan.window},
            )
        )
    return BenchResult(
        name=name,
        title=title,
        unit="bytes / min",
        peer=WATCH,
        measurements=tuple(measurements),
        targets=(Target("below watch", TUI, ratio=1.0),),
        notes=(note,),
    )


def _wait_for_clients(pair: Pair, terms: dict) -> None:
    """Until `watch` has listed HelmReleases and sovwatch is watching pods (terminals drained)."""

    def ready() -> bool:
        _pump_all(terms, 0.05)
        requests = pair.host.requests_between(pair.spawned, time.time())
        listed = any(r.path == HR_PATH and not r.watch for r in requests)
        watching = TUI not in pair.terms or any(
            r.path == "/api/v1/pods" and r.watch for r in requests
        )
        return listed and watching

    procs.wait_until(ready, timeout=60, what="both clients to reach the emulator")


def _pump_all(terms: dict, seconds: float) -> dict:
    """Drain every terminal for `seconds`; bytes each one wrote meanwhile."""
    before = {key: term.drain() for key, term in terms.items()}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)
        for term in terms.values():
            term.drain()
    return {key: term.drain() - before[key] for key, term in terms.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny window, for CI (seconds)")
    parser.add_argument("--json", action="store_true", help="also print the JSON document")
    parser.add_argument("--stress", action="store_true", help="the whole story at 45x in 60 s")
    args = parser.parse_args(argv)
    results = as_list(run(smoke=args.smoke, stress=args.stress))
    print(table(results))
    if args.json:
        from bench.machine import machine

        print(dump_json(results, machine()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
