"""The headless fleet from the command line, against real emulators over HTTP: a kubeconfig with
three contexts (two emulators playing scenarios, one pointing at a closed port) gives three entries
in `--once -o json`, plain lines prefixed by the context, NDJSON records carrying it, and the
documented exit code, the worst of the clusters', with `--exit-on-done`."""

from __future__ import annotations

import asyncio
import gzip
import json
import signal

import pytest

from sovsim.scenario import load_scenario
from sovsim.server import Emulator
from tests.cli.cli_helpers import sovwatch, spawn
from tests.fleet.fleet_helpers import (
    fleet_kubeconfig,
    played,
    ready_stuck_gone,
    refused_line,
    unverified_warning,
    with_unverified_member,
)


async def test_once_json_gives_one_entry_per_context_and_the_error_of_the_unreachable_one(
    tmp_path, refused
):
    port = refused
    async with Emulator() as ready, Emulator() as stuck:
        path = ready_stuck_gone(tmp_path / "fleet.yaml", ready, stuck, port)
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
    assert gone["error"] == refused_line(port, path)


async def test_exit_on_done_plain_prefixes_every_line_and_exits_with_the_worst(tmp_path, refused):
    port = refused
    async with Emulator() as ready, Emulator() as stuck:
        path = ready_stuck_gone(tmp_path / "fleet.yaml", ready, stuck, port)
        result = await sovwatch(
            "--kubeconfig", str(path), "--context", "sov-ready", "--context", "sov-stuck",
            "--context", "sov-gone", "-o", "plain", "--exit-on-done", "--timeout", "4s",
            "--record", str(tmp_path / "fleet.ndjson"),
        )  # fmt: skip
    # failed (1) is worse than an unreachable cluster (2), which is worse than ready (0)
    assert result.code == 1, result.err
    lines = result.out.splitlines()
    *members, last = lines
    assert last.split()[1:] == [
        "fleet", "(exit", "1):", "3", "clusters:", "1", "ready,", "1", "failed,", "1", "in",
        "trouble",
    ]  # fmt: skip
    assert all(line.split()[0] in ("sov-ready", "sov-stuck", "sov-gone") for line in members)
    tails = {name: [line for line in members if line.startswith(f"{name} ")][-1] for name in
             ("sov-ready", "sov-stuck", "sov-gone")}  # fmt: skip
    assert " outcome ready (exit 0): " in tails["sov-ready"]
    assert " outcome failed (exit 1): " in tails["sov-stuck"]
    assert tails["sov-gone"].endswith(f" outcome trouble (exit 2): {refused_line(port, path)}")
    assert any(
        line.startswith("sov-gone ") and line.endswith(f" trouble: {refused_line(port, path)}")
        for line in members
    )
    assert any(line.startswith("sov-ready ") and " watching " in line for line in members)


async def test_exit_on_done_json_records_carry_the_cluster(tmp_path, refused):
    port = refused
    async with Emulator() as ready:
        path = fleet_kubeconfig(
            tmp_path / "fleet.yaml",
            {"sov-ready": played(ready, "tiny"), "sov-gone": f"http://127.0.0.1:{port}"},
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
        {"cluster": "sov-gone", "outcome": "trouble", "exitCode": 2},
    ]
    assert {r["cluster"] for r in members} == {"sov-ready", "sov-gone"}
    ready_snapshots = [r for r in members if r["type"] == "snapshot"]
    assert {r["snapshot"]["cluster"]["context"] for r in ready_snapshots} == {"sov-ready"}
    outcomes = {r["cluster"]: r for r in members if r["type"] == "outcome"}
    assert outcomes["sov-ready"]["exitCode"] == 0
    assert outcomes["sov-gone"]["why"] == refused_line(port, path)
    trouble = [r for r in members if r["type"] == "cluster" and r["cluster"] == "sov-gone"]
    assert trouble[0]["trouble"] == refused_line(port, path)


async def test_all_contexts_of_a_one_context_kubeconfig_is_the_usual_watch(tmp_path):
    async with Emulator() as ready:
        path = fleet_kubeconfig(tmp_path / "one.yaml", {"sov-ready": played(ready, "tiny")})
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


async def test_a_fleet_recording_tags_every_item_and_replays_as_the_fleet(tmp_path, refused):
    port = refused
    recording = tmp_path / "fleet.ndjson.gz"
    async with Emulator() as ready, Emulator() as stuck:
        path = ready_stuck_gone(tmp_path / "fleet.yaml", ready, stuck, port)
        live = await sovwatch(
            "--all-contexts", "-o", "json", "--exit-on-done", "--timeout", "4s",
            "--record", str(recording), KUBECONFIG=str(path),
        )  # fmt: skip
    assert live.code == 1, live.err
    with gzip.open(recording, "rt") as file:
        header, *lines = [json.loads(line) for line in file]
    assert header["fleet"] is True
    assert {line["cluster"] for line in lines} == {"sov-ready", "sov-stuck", "sov-gone"}
    assert {line["cluster"] for line in lines if "object" in line} == {"sov-ready", "sov-stuck"}
    notes = [line for line in lines if "trouble" in line and line["cluster"] == "sov-gone"]
    assert [n["trouble"] for n in notes] == [None, refused_line(port, path)]  # joined, then trouble
    joined = [line["cluster"] for line in lines if line.get("trouble", 0) is None][:3]
    assert joined == ["sov-ready", "sov-stuck", "sov-gone"]

    replayed = await sovwatch(
        "replay", str(recording), "--speed", "instant", "-o", "json", "--exit-on-done"
    )
    assert replayed.code == 1, replayed.err
    *members, fleet = replayed.records()
    assert fleet["clusters"] == [
        {"cluster": "sov-ready", "outcome": "ready", "exitCode": 0},
        {"cluster": "sov-stuck", "outcome": "failed", "exitCode": 1},
        {"cluster": "sov-gone", "outcome": "trouble", "exitCode": 2},
    ]
    live_outcomes = {r["cluster"]: r for r in live.records() if r["type"] == "outcome"}
    replayed_outcomes = {r["cluster"]: r for r in members if r["type"] == "outcome"}
    assert replayed_outcomes["sov-gone"]["why"] == refused_line(port, path)
    for name in ("sov-ready", "sov-stuck"):
        assert replayed_outcomes[name]["progress"] == live_outcomes[name]["progress"]
        assert replayed_outcomes[name]["outcome"] == live_outcomes[name]["outcome"]


async def test_interrupting_a_fleet_prints_every_summary_and_exits_130(tmp_path):
    async with Emulator() as a, Emulator() as b:
        path = fleet_kubeconfig(
            tmp_path / "fleet.yaml", {"sov-a": played(a, "tiny"), "sov-b": played(b, "tiny")}
        )
        proc = await spawn("--all-contexts", "-o", "plain", KUBECONFIG=str(path))
        try:
            synced: set[str] = set()
            while synced != {"sov-a", "sov-b"}:
                line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
                assert line, "sovwatch ended early"
                if " synced: " in line:
                    synced.add(line.split()[0])
            proc.send_signal(signal.SIGINT)
            out, err = await asyncio.wait_for(proc.communicate(), 20)
        finally:
            if proc.returncode is None:
                proc.kill()
    assert proc.returncode == 130, err.decode()
    lines = out.decode().splitlines()
    assert lines[-1].split()[1:4] == ["fleet", "(exit", "130):"]
    for name in ("sov-a", "sov-b"):
        tail = [line for line in lines if line.startswith(f"{name} ")][-1]
        assert tail.split()[2:5] == ["outcome", "ready", "(exit"], tail
        assert " (exit 130): " in tail
        assert any(line.startswith(f"{name} NAME ") for line in lines)


async def test_once_plain_prints_each_table_prefixed_and_the_trouble_line(tmp_path, refused):
    async with Emulator() as ready:
        path = fleet_kubeconfig(
            tmp_path / "fleet.yaml",
            {"sov-ready": played(ready, "tiny"), "sov-gone": f"http://127.0.0.1:{refused}"},
        )
        result = await sovwatch("--all-contexts", "--once", "-o", "plain", KUBECONFIG=str(path))
    assert result.code == 2, result.err
    lines = result.out.splitlines()
    tiny = sorted(r.name for r in load_scenario("tiny").releases)
    table = [line.removeprefix("sov-ready ") for line in lines if line.startswith("sov-ready ")]
    assert table[0].split()[:3] == ["NAME", "STATE", "PODS"]
    assert sorted(row.split()[0] for row in table[1:]) == tiny
    assert all(row.split()[1] == "ready" for row in table[1:])
    assert lines[-1] == f"sov-gone trouble: {refused_line(refused, path)}"


@pytest.mark.parametrize("output", ["plain", "json"])
async def test_a_member_s_connection_warning_is_said_once_on_stderr_after_its_name(
    tmp_path, output
):
    """As one cluster's are (tests/cli/test_warnings.py), gated: the member's name and its
    cluster's hold a bidi override. Before: not said at all."""
    name = "sov-\u202einsecure"
    async with Emulator(tls=True) as insecure, Emulator() as plain:
        kubeconfig = with_unverified_member(
            tmp_path / "fleet.yaml", name, played(insecure, "tiny"),
            {"sov-plain": played(plain, "tiny")},
        )  # fmt: skip
        result = await sovwatch(
            "--kubeconfig", str(kubeconfig), "--all-contexts", "-o", output, "--exit-on-done",
            "--no-logs",
        )  # fmt: skip
    assert result.code == 0, result.err
    shown = "sov-\\u202einsecure"
    assert result.err.splitlines() == [
        f"sovwatch: {shown}: warning: {unverified_warning(name, kubeconfig)}"
    ]
