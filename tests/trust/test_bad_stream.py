"""Odd objects in the stream never stop the watch, and the output says the right thing.

The "stream" rows of the README's bad-input table: one emulator holds every odd object at once; `sovwatch
--once -o json` runs against it and each test reads its part of the snapshot. The malformed watch
line needs a running watch, so it has its own test with `sovwatch -o json` in the background.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest_asyncio

from sovsim.server import Emulator
from tests.cli.cli_helpers import sovwatch
from tests.emulator.helpers import install_flux_crds
from tests.trust.readme_section import bad_input_section
from tests.trust.trust_helpers import Running
from tests.trust.trust_objects import (
    HR,
    backoff_event,
    dependency_not_ready,
    helmrelease,
    pod,
    ready_condition,
)

TWO_MB = 2 * 1024 * 1024
EVENTS_FOR_ONE_POD = 10_000


def _populate(emu: Emulator) -> None:
    install_flux_crds(
        emu.store,
        served={
            # a Flux newer than this sovwatch: kustomizations only in a version it does not know
            "kustomizations.kustomize.toolkit.fluxcd.io": ["v2"],
            # an older Flux: HelmRepositories only in v1beta2, which sovwatch still reads
            "helmrepositories.source.toolkit.fluxcd.io": ["v1beta2"],
        },
    )
    put = emu.store.put
    put(helmrelease("bp-cilium"))
    put(helmrelease("bp-no-status", with_status=False))
    put(
        helmrelease(
            "bp-odd-conditions",
            conditions=[
                ready_condition("bp-odd-conditions"),
                {
                    "type": "QuantumEntangled",
                    "status": "True",
                    "reason": "SpookyAction",
                    "message": "a condition type no Flux release has ever set",
                },
            ],
        )
    )
    put(
        helmrelease(
            "bp-odd-reason",
            conditions=[
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "ChartPolicyViolation",
                    "message": "a reason this sovwatch has never seen",
                    "observedGeneration": 1,
                }
            ],
        )
    )
    put(helmrelease("bp-huge", values={"blob": "x" * TWO_MB}))
    for name, dependency in (("bp-ping", "bp-pong"), ("bp-pong", "bp-ping"), ("bp-narcissus",) * 2):
        put(
            helmrelease(
                name, depends_on=(dependency,), conditions=[dependency_not_ready(dependency)]
            )
        )
    put(
        helmrelease(
            "bp-orphan",
            depends_on=("bp-cilium", "bp-ghost"),
            conditions=[dependency_not_ready("bp-ghost", missing=True)],
        )
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def snapshot(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("bad-stream")
    async with Emulator() as emu:
        _populate(emu)
        path = emu.write_kubeconfig(tmp / "kubeconfig", context="sov")
        result = await sovwatch("--kubeconfig", str(path), "--once", "-o", "json", timeout=90)
    assert result.code == 0, result
    assert "Traceback" not in result.err, result.err
    (document,) = result.records()
    return document


def _release(snapshot: dict, name: str) -> dict:
    return next(r for r in snapshot["releases"] if r["name"] == name)


def _stream(snapshot: dict, key: str) -> dict:
    return next(s for s in snapshot["streams"] if s["resource"] == key)


def test_object_without_status_is_unknown_not_a_crash(snapshot):
    assert _release(snapshot, "bp-no-status")["state"] == "unknown"


def test_unknown_condition_types_are_ignored(snapshot):
    assert _release(snapshot, "bp-odd-conditions")["state"] == "ready"


def test_unknown_reason_is_passed_through(snapshot):
    release = _release(snapshot, "bp-odd-reason")
    assert release["state"] == "failed"
    assert (release["reason"], release["message"]) == (
        "ChartPolicyViolation",
        "a reason this sovwatch has never seen",
    )


def test_unknown_api_version_says_so(snapshot):
    stream = _stream(snapshot, "kustomizations.kustomize.toolkit.fluxcd.io")
    assert stream["state"] == "absent"
    assert "not served in v1 or v1beta2" in stream["detail"]
    assert "a newer version this sovwatch does not know" in stream["detail"]


def test_older_known_api_version_is_watched(snapshot):
    stream = _stream(snapshot, "helmrepositories.source.toolkit.fluxcd.io")
    assert (stream["state"], stream["detail"]) == ("live", "source.toolkit.fluxcd.io/v1beta2")


def test_two_megabyte_object_arrives_slimmed(snapshot):
    assert _release(snapshot, "bp-huge")["state"] == "ready"
    assert len(json.dumps(snapshot)) < TWO_MB / 4  # its values never reach the output


def test_dependency_cycle_and_self_dependency_are_reported(snapshot):
    cycles = sorted(sorted(cycle) for cycle in snapshot["graph"]["cycles"])
    assert cycles == [["flux-system/bp-narcissus"], ["flux-system/bp-ping", "flux-system/bp-pong"]]
    for name in ("bp-ping", "bp-pong", "bp-narcissus"):
        release = _release(snapshot, name)
        assert release["wave"] is None
        assert release["rootCause"]["reason"] == "DependencyCycle", release
        assert "dependency cycle" in release["rootCause"]["message"]


def test_missing_dependency_is_named(snapshot):
    missing = [(m["release"], m["dependency"]) for m in snapshot["graph"]["missing"]]
    assert missing == [("flux-system/bp-orphan", "flux-system/bp-ghost")]
    assert "bp-ghost (missing)" in _release(snapshot, "bp-orphan")["rootCause"]["chain"]


def test_every_other_stream_is_live(snapshot):
    troubled = {s["resource"]: s["state"] for s in snapshot["streams"] if s["state"] != "live"}
    assert troubled == {"kustomizations.kustomize.toolkit.fluxcd.io": "absent"}


async def test_ten_thousand_events_for_one_pod_while_watching(emulator: Emulator, tmp_path: Path):
    """An event storm about one crash-looping pod, arriving on a running watch: sovwatch keeps up
    and shows one row with the summed count."""
    install_flux_crds(emulator.store)
    emulator.store.put(pod("loki-0", "loki"))
    path = emulator.write_kubeconfig(tmp_path / "kubeconfig", context="sov")
    recording = tmp_path / "storm.ndjson"
    run = await Running.start("--kubeconfig", str(path), "-o", "json", "--record", str(recording))
    try:
        await run.until(lambda line: json.loads(line)["type"] == "snapshot")
        for i in range(EVENTS_FOR_ONE_POD):
            emulator.store.put(backoff_event(i, "loki-0", "loki"))
            if i % 500 == 0:
                await asyncio.sleep(0)  # let the emulator stream as a real apiserver would
        for _ in range(300):  # the recording holds every item the run applied, as it goes
            if recording.read_text().count('"reason":"BackOff"') == EVENTS_FOR_ONE_POD:
                break
            await asyncio.sleep(0.2)
    finally:
        code, out, err = await run.stop()
    assert code == 130, err
    assert "Traceback" not in err
    final = [json.loads(line) for line in out.splitlines() if '"type":"snapshot"' in line][-1]
    rows = [e for e in final["snapshot"]["events"] if e["involvedObject"]["name"] == "loki-0"]
    assert [(r["reason"], r["count"]) for r in rows] == [("BackOff", EVENTS_FOR_ONE_POD)]


async def test_malformed_watch_line_recovers_without_loss(emulator: Emulator, tmp_path: Path):
    install_flux_crds(emulator.store)
    emulator.store.put(helmrelease("bp-cilium"))
    path = emulator.write_kubeconfig(tmp_path / "kubeconfig", context="sov")
    run = await Running.start("--kubeconfig", str(path), "-o", "json")
    try:
        await run.until(lambda line: json.loads(line)["type"] == "snapshot")
        assert emulator.faults.malformed_line(HR) == 1
        emulator.store.put(helmrelease("bp-cert-manager", depends_on=("bp-cilium",)))

        def is_record(type_: str, **fields: str):
            def check(line: str) -> bool:
                record = json.loads(line)
                return record["type"] == type_ and all(
                    str(record.get(k)) == v or v in str(record.get(k)) for k, v in fields.items()
                )

            return check

        await run.until(is_record("stream", resource=HR, state="reconnecting", detail="malformed"))
        await run.until(is_record("stream", resource=HR, state="live"))
        await run.until(is_record("transition", name="bp-cert-manager"))
    finally:
        code, out, err = await run.stop()
    assert code == 130, err
    assert "Traceback" not in err
    assert err == ""


def test_docs_list_the_stream_cases():
    text = bad_input_section()
    for row in (
        "objects without `status`",
        "unknown condition types and reasons",
        "an API version this sovwatch does not know",
        "a 2 MB object",
        "a watch line that is not JSON",
        "a `dependsOn` cycle or a self-dependency",
        "`dependsOn` naming a missing release",
        "10,000 events for one object",
    ):
        assert f"| {row}" in text, row
