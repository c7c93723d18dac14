"""The headless fleet from the command line, against real emulators over HTTP: a kubeconfig with
three contexts (two emulators playing scenarios, one pointing at a closed port) gives three entries
in `--once -o json`, plain lines prefixed by the context, NDJSON records carrying it, and the
documented exit code, the worst of the clusters', with `--exit-on-done`."""

from __future__ import annotations

import json

from sovsim.scenario import ScenarioRunner, load_scenario
from sovsim.server import Emulator
from tests.cli.cli_helpers import sovwatch
from tests.fleet.fleet_helpers import closed_port, fleet_kubeconfig


def _played(emulator: Emulator, scenario: str) -> Emulator:
    """The emulator with `scenario` played to its end (nothing moves any more)."""
    ScenarioRunner(emulator.store, load_scenario(scenario), seed=1).run_until(3600)
    return emulator


def _refused(port: int, kubeconfig) -> str:
    return (
        f"cannot connect to 127.0.0.1:{port}: connection refused (server http://127.0.0.1:{port}, "
        f"context 'sov-gone' in {kubeconfig}): is the API server running and reachable from here "
        "(VPN, firewall, port)?"
    )


async def test_once_json_gives_one_entry_per_context_and_the_error_of_the_unreachable_one(
    tmp_path,
):
    port = closed_port()
    async with Emulator() as ready, Emulator() as stuck:
        path = fleet_kubeconfig(
            tmp_path / "fleet.yaml",
            {
                "sov-ready": _played(ready, "tiny"),
                "sov-stuck": _played(stuck, "stuck"),
                "sov-gone": f"http://127.0.0.1:{port}",
            },
        )
        result = await sovwatch("--all-contexts", "--once", "-o", "json", KUBECONFIG=str(path))
    assert result.code == 2, result.err  # one cluster gave an error instead of a snapshot
    [document] = result.records()
    assert document["schema"] == "sovwatch.fleet/v1"
    clusters = document["clusters"]
    assert [c["context"] for c in clusters] == ["sov-ready", "sov-stuck", "sov-gone"]
    assert [c["server"] for c in clusters] == [ready.url, stuck.url, f"http://127.0.0.1:{port}"]
    first, second, gone = clusters
    assert first["snapshot"]["schema"] == "sovwatch.snapshot/v1"
    assert first["snapshot"]["cluster"]["context"] == "sov-ready"
    assert first["snapshot"]["outcome"] == "ready"
    assert second["snapshot"]["outcome"] == "failed"
    assert "error" not in first
    assert "snapshot" not in gone
    assert gone["error"] == _refused(port, path)


async def test_exit_on_done_plain_prefixes_every_line_and_exits_with_the_worst(tmp_path):
    port = closed_port()
    async with Emulator() as ready, Emulator() as stuck:
        path = fleet_kubeconfig(
            tmp_path / "fleet.yaml",
            {
                "sov-ready": _played(ready, "tiny"),
                "sov-stuck": _played(stuck, "stuck"),
                "sov-gone": f"http://127.0.0.1:{port}",
            },
        )
        result = await sovwatch(
            "--kubeconfig", str(path), "--context", "sov-ready", "--context", "sov-stuck",
            "--context", "sov-gone", "-o", "plain", "--exit-on-done", "--timeout", "4s",
        )  # fmt: skip
    # failed (1) is worse than an unreachable cluster (2), which is worse than ready (0)
    assert result.code == 1, result.err
    lines = result.out.splitlines()
    *members, last = lines
    assert last.split()[1:] == [
        "fleet", "(exit", "1):", "3", "clusters:", "1", "error,", "1", "failed,", "1", "ready"
    ]  # fmt: skip
    assert all(line.split()[0] in ("sov-ready", "sov-stuck", "sov-gone") for line in members)
    tails = {name: [line for line in members if line.startswith(f"{name} ")][-1] for name in
             ("sov-ready", "sov-stuck", "sov-gone")}  # fmt: skip
    assert " outcome ready (exit 0): " in tails["sov-ready"]
    assert " outcome failed (exit 1): " in tails["sov-stuck"]
    assert tails["sov-gone"].endswith(f" outcome error (exit 2): {_refused(port, path)}")
    assert any(
        line.startswith("sov-gone ") and line.endswith(f" trouble: {_refused(port, path)}")
        for line in members
    )
    assert any(line.startswith("sov-ready ") and " watching " in line for line in members)


async def test_exit_on_done_json_records_carry_the_cluster(tmp_path):
    port = closed_port()
    async with Emulator() as ready:
        path = fleet_kubeconfig(
            tmp_path / "fleet.yaml",
            {"sov-ready": _played(ready, "tiny"), "sov-gone": f"http://127.0.0.1:{port}"},
        )
        result = await sovwatch(
            "--all-contexts", "-o", "json", "--exit-on-done", "--timeout", "3s",
            KUBECONFIG=str(path),
        )  # fmt: skip
    assert result.code == 2, result.err  # an unreachable cluster is worse than a ready one
    records = result.records()
    *members, fleet = records
    assert fleet["type"] == "fleet"
    assert fleet["exitCode"] == 2
    assert fleet["clusters"] == [
        {"cluster": "sov-ready", "outcome": "ready", "exitCode": 0},
        {"cluster": "sov-gone", "outcome": "error", "exitCode": 2},
    ]
    assert {r["cluster"] for r in members} == {"sov-ready", "sov-gone"}
    ready_snapshots = [r for r in members if r["type"] == "snapshot"]
    assert {r["snapshot"]["cluster"]["context"] for r in ready_snapshots} == {"sov-ready"}
    outcomes = {r["cluster"]: r for r in members if r["type"] == "outcome"}
    assert outcomes["sov-ready"]["exitCode"] == 0
    assert outcomes["sov-gone"]["why"] == _refused(port, path)
    trouble = [r for r in members if r["type"] == "cluster" and r["cluster"] == "sov-gone"]
    assert trouble[0]["trouble"] == _refused(port, path)


async def test_all_contexts_of_a_one_context_kubeconfig_is_the_usual_watch(tmp_path):
    async with Emulator() as ready:
        path = fleet_kubeconfig(tmp_path / "one.yaml", {"sov-ready": _played(ready, "tiny")})
        fleet = await sovwatch("--all-contexts", "--once", "-o", "json", KUBECONFIG=str(path))
        single = await sovwatch("--once", "-o", "json", KUBECONFIG=str(path))
    assert (fleet.code, single.code) == (0, 0)
    [document] = fleet.records()
    assert document["schema"] == "sovwatch.snapshot/v1"
    assert document.keys() == json.loads(single.out).keys()


async def test_all_contexts_and_context_together_is_a_usage_error():
    result = await sovwatch("--all-contexts", "--context", "a", "--once")
    assert result.code == 2
    assert result.err.splitlines()[-1].endswith(
        "error: --all-contexts watches every context; leave out --context"
    )
