"""`sovwatch` as a subprocess against the emulator: every output mode and every exit code, for its reason.

Scenarios play through `sovwatch demo` (emulator + scenario in the sovwatch process, watched over
HTTP) or into an in-process emulator that the subprocess connects to with a kubeconfig.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import signal
import stat
import sys
import time
from pathlib import Path

import pytest

from sovsim.scenario import ScenarioRunner, load_scenario, shipped_scenarios
from sovwatch.kube.resources import WATCHED
from sovwatch.model.snapshot import ClusterInfo, build_snapshot
from sovwatch.sources.events import EventType, WatchEvent
from sovwatch.sources.slimming import slim
from sovwatch.store.store import Store
from tests.cli.cli_helpers import ROOT, env, sovwatch

TINY = sorted(r.name for r in load_scenario("tiny").releases)
LINE = re.compile(r"^\d\d:\d\d:\d\d (\S+) ")
RECORD_FIELDS = {
    "snapshot": {"type", "ts", "snapshot"},
    "transition": {"type", "ts", "kind", "namespace", "name", "from", "to", "reason", "message"},
    "stream": {"type", "ts", "resource", "state", "since", "attempt", "detail"},
    "outcome": {"type", "ts", "outcome", "exitCode", "why", "progress", "logs"},
}


def _final_snapshot(records: list[dict]) -> dict:
    return [r for r in records if r["type"] == "snapshot"][-1]["snapshot"]


def _timeless(snapshot: dict, *, received: bool = True) -> dict:
    """The snapshot without what depends on when the model ran rather than on what the cluster
    holds: the observation time, stream health times, the ETA, and release timelines (keeping
    firstSeen, the receive time, when `received`: a recording preserves it)."""
    out = {k: v for k, v in snapshot.items() if k not in ("observedAt", "streams", "eta")}
    out["releases"] = [
        {**r, "timeline": (r.get("timeline") or {}).get("firstSeen") if received else None}
        for r in snapshot["releases"]
    ]
    return out


# -- demo: plain, json, record -> replay ----------------------------------------------------------


async def test_plain_demo_tells_the_scenario_and_exits_0():
    result = await sovwatch(
        "demo", "--scenario", "tiny", "--speed", "80", "-o", "plain", "--exit-on-done"
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "\x1b" not in result.out
    table_start = lines.index(next(line for line in lines if line.startswith("NAME ")))
    log, table, verdict = lines[:table_start], lines[table_start + 1 : -1], lines[-1]
    assert all(LINE.match(line) for line in log), [line for line in log if not LINE.match(line)]
    for name in TINY:
        mine = [line for line in log if LINE.match(line).group(1) == name]
        assert " new -> " in mine[0]
        assert mine[-1].split(" -> ")[1].startswith("ready (")
    assert sorted(row.split()[0] for row in table) == TINY
    assert all(row.split()[1] == "ready" for row in table)
    assert re.fullmatch(r"\d\d:\d\d:\d\d outcome ready \(exit 0\): 3/3 ready", verdict)


async def test_json_demo_records_and_replays_to_the_same_final_snapshot(tmp_path: Path):
    recording = tmp_path / "demo.ndjson.gz"
    live = await sovwatch(
        "demo", "--scenario", "tiny", "--speed", "80", "-o", "json", "--exit-on-done",
        "--record", str(recording),
    )  # fmt: skip
    assert live.code == 0, live.err
    records = live.records()
    for record in records:
        assert set(record) == RECORD_FIELDS[record["type"]]
    assert records[-1]["type"] == "outcome"
    assert (records[-1]["outcome"], records[-1]["exitCode"]) == ("ready", 0)
    final = _final_snapshot(records)
    assert final["schema"] == "sovwatch.snapshot/v1"
    assert sorted(r["name"] for r in final["releases"]) == TINY
    to_ready = {
        r["name"]
        for r in records
        if r["type"] == "transition" and r["kind"] == "HelmRelease" and r["to"] == "ready"
    }
    assert to_ready == set(TINY)

    assert stat.S_IMODE(recording.stat().st_mode) == 0o600
    with gzip.open(recording, "rt") as f:
        header = json.loads(f.readline())
    assert header["schema"] == "sovwatch.recording/v1"
    assert header["context"] == "sovwatch-demo"

    replayed = await sovwatch("replay", str(recording), "--speed", "instant", "-o", "json")
    assert replayed.code == 0, replayed.err
    assert _timeless(_final_snapshot(replayed.records())) == _timeless(final)


@pytest.mark.skipif("bootstrap-kit" not in shipped_scenarios(), reason="scenario not shipped yet")
async def test_default_demo_at_100x_exits_0_with_every_release_ready():
    """What the README promises: the default scenario, 38 releases, done in under half a minute."""
    result = await sovwatch("demo", "-o", "plain", "--speed", "100", "--exit-on-done", timeout=90)
    assert result.code == 0, result.err
    kit = sorted(r.name for r in load_scenario("bootstrap-kit").releases)
    rows = [line.split() for line in result.out.splitlines() if line.startswith("bp-")]
    assert sorted(row[0] for row in rows) == kit
    assert {row[1] for row in rows} == {"ready"}
    assert result.out.splitlines()[-1].endswith(
        f"outcome ready (exit 0): {len(kit)}/{len(kit)} ready"
    )


# -- exit codes ------------------------------------------------------------------------------------


async def test_stuck_demo_exits_1_naming_the_root_causes():
    result = await sovwatch(
        "demo", "--scenario", "stuck", "--speed", "300", "-o", "plain", "--exit-on-done", timeout=60
    )
    assert result.code == 1, result.err
    rows = {line.split()[0]: line for line in result.out.splitlines() if line.startswith("bp-")}
    # the three root causes the scenario plants, and releases blocked behind each of them
    assert rows["bp-spire"].split()[1:2] == ["stalled"]
    # the run ends on the first snapshot where bp-spire is stalled: its pods may or may not be
    # uninstalled yet (another stream), so the chain below bp-spire names either
    assert "<- bp-spire <- " in rows["bp-nats-jetstream"]
    assert (
        "<- pod loki/loki-0 ContainerCreating <- Multi-Attach error for volume" in rows["bp-loki"]
    )
    assert "<- bp-gitea <- bp-keycloak <- " in rows["bp-catalyst-platform"]
    assert "HelmChart" in rows["bp-catalyst-platform"]
    verdict = result.out.splitlines()[-1]
    assert " outcome failed (exit 1): " in verdict
    assert "bp-spire stalled (RetriesExceeded)" in verdict
    # the crash loop's reason, read from its log: only there, never in the pod's status
    assert "exited 1 (Error), restarted " in rows["bp-external-dns"]
    assert ' <- log: Get "http://powerdn' in rows["bp-external-dns"]  # cut at the table's width
    lines = result.out.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("log of pod/external-dns/")]
    assert lines[at].endswith(" container external-dns (previous run), bp-external-dns:")
    assert lines[at + 1] == (
        '  decisive: Get "http://powerdns-api.powerdns.svc:8081/api/v1/servers/localhost": '
        "dial tcp 10.43.112.7:8081: connect: connection refused"
    )
    assert lines[at + 5].startswith('  | time="')
    assert " level=fatal " in lines[at + 5]


async def test_stuck_demo_json_snapshot_carries_the_decisive_log_lines():
    # Log tails are read in real time (a few at once, a dozen a minute) while the scenario runs
    # 100x: 8 scenario minutes leave ~5 s for them, room on a loaded machine (at 300x, 1.6 s
    # was not always enough beside a CPU hog).
    result = await sovwatch(
        "demo", "--scenario", "stuck", "--speed", "100", "-o", "json", "--exit-on-done",
        "--timeout", "8m", timeout=90,
    )  # fmt: skip
    assert result.code == 3, result.err
    final = {r["name"]: r for r in _final_snapshot(result.records())["releases"]}
    outcome = result.records()[-1]
    (dns,) = [c for c in outcome["logs"] if c["container"] == "external-dns"]
    assert dns["releases"] == ["bp-external-dns"]
    assert dns["decisive"].endswith("connect: connection refused")
    excerpt = final["bp-external-dns"]["rootCause"]["logExcerpt"]
    assert excerpt["container"] == "external-dns"
    assert excerpt["run"] == "previous"
    assert excerpt["decisive"].endswith("dial tcp 10.43.112.7:8081: connect: connection refused")
    assert " level=fatal " in excerpt["lines"][-1]
    # behind bp-spire, the crash-looping spire-controller-manager's own words
    for name in ("bp-spire", "bp-nats-jetstream", "bp-openbao", "bp-external-secrets"):
        cause = final[name]["rootCause"]
        assert cause["logExcerpt"]["container"] == "spire-controller-manager", name
        assert cause["logExcerpt"]["decisive"] == (
            'unable to create controller: no matches for kind "ClusterSPIFFEID" in version '
            '"spire.spiffe.io/v1alpha1"'
        )
        assert cause["chain"].endswith(
            '← log: unable to create controller: no matches for kind "ClusterSPIFFEID" in '
            'version "spire.spiffe.io/v1alpha1"'
        )


async def test_fail_fast_exits_1_on_the_first_failure():
    result = await sovwatch(
        "demo", "--scenario", "stuck", "--speed", "300", "-o", "json", "--fail-fast", timeout=60
    )
    assert result.code == 1, result.err
    outcome = result.records()[-1]
    assert (outcome["outcome"], outcome["exitCode"]) == ("failed", 1)
    final = _final_snapshot(result.records())
    assert not any(r["state"] == "stalled" for r in final["releases"])  # it did not wait for one
    assert any(r["state"] == "failed" for r in final["releases"])


async def test_timeout_exits_3():
    """At 10x, five seconds is under a minute of a rollout that takes about six."""
    result = await sovwatch(
        "demo", "--scenario", "tiny", "--speed", "10", "-o", "json", "--exit-on-done", "--timeout", "5s"
    )  # fmt: skip
    assert result.code == 3, result.err
    outcome = result.records()[-1]
    assert (outcome["outcome"], outcome["exitCode"]) == ("timeout", 3)
    pending = [
        r["name"] for r in _final_snapshot(result.records())["releases"] if r["state"] != "ready"
    ]
    assert (
        outcome["why"]
        == (f"not ready: {pending[0]}" if pending else "no HelmRelease seen")[: len(outcome["why"])]
    )
    assert outcome["why"]


async def test_no_helmrelease_exits_4(emulator, kubeconfig_path):
    started = time.monotonic()
    result = await sovwatch(
        "--kubeconfig", str(kubeconfig_path(emulator)), "-o", "plain", "--exit-on-done",
        "--first-seen-timeout", "1s",
    )  # fmt: skip
    assert result.code == 4, result.err
    assert time.monotonic() - started < 20
    assert "outcome flux-not-reconciling (exit 4)" in result.out.splitlines()[-1]
    assert "Kustomization" in result.out.splitlines()[-1]


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["INT", "TERM", "HUP"]
)
async def test_signals_print_the_summary_and_exit_130(emulator, kubeconfig_path, signum):
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=1).run_until(120)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sovwatch", "--kubeconfig", str(kubeconfig_path(emulator)), "-o", "plain",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env(), cwd=ROOT,
    )  # fmt: skip
    try:
        seen = []
        while not any(" synced: " in line for line in seen):
            seen.append((await asyncio.wait_for(proc.stdout.readline(), 20)).decode())
        proc.send_signal(signum)
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 130, err.decode()
    tail = out.decode().splitlines()
    assert tail[-1].split()[1:4] == ["outcome", "in-progress", "(exit"]
    assert any(line.startswith("NAME ") for line in tail)


# -- --once ----------------------------------------------------------------------------------------


def _model_of(emulator) -> dict:
    """The snapshot the model computes from the emulator's objects as they are now."""
    store = Store()
    for resource in WATCHED:
        items, _ = emulator.store.list(resource.key)
        for obj in items:
            store.apply(WatchEvent(resource.key, EventType.ADDED, slim(obj), time.time()))
    snapshot = build_snapshot(store, now=time.time(), cluster=ClusterInfo("sim", emulator.url))
    return snapshot.to_dict()


async def test_once_json_is_the_models_snapshot_of_the_cluster(emulator, kubeconfig_path):
    ScenarioRunner(emulator.store, load_scenario("stuck"), seed=1).run_until(25 * 60)
    result = await sovwatch("--kubeconfig", str(kubeconfig_path(emulator)), "--once", "-o", "json")
    assert result.code == 0, result.err
    (document,) = result.records()
    expected = _model_of(emulator)
    assert len(expected["releases"]) > 10
    assert _timeless(document, received=False) == _timeless(expected, received=False)
    assert {s["state"] for s in document["streams"]} == {"live"}


async def test_once_plain_is_the_table(emulator, kubeconfig_path):
    ScenarioRunner(emulator.store, load_scenario("tiny"), seed=3).run_until(100)
    result = await sovwatch("--kubeconfig", str(kubeconfig_path(emulator)), "--once", "-o", "plain")
    assert result.code == 0, result.err
    expected = _model_of(emulator)
    lines = result.out.splitlines()
    assert lines[0].split() == ["NAME", "STATE", "PODS", "REASON", "DETAIL"]
    assert [line.split()[:2] for line in lines[1:]] == [
        [r["name"], r["state"]] for r in expected["releases"]
    ]
