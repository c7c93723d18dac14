"""The benchmarks at their smoke size, so the harness keeps working as the code under it changes.

No timing assertions (machines are noisy): each benchmark must run, measure its peer, and measure
every sovwatch subject this tree can run, with plausible (positive) figures and serialisable output.
"""

from __future__ import annotations

import json
import math
import shutil

import pytest

from bench import (
    apiload,
    bandwidth,
    fleet,
    foreign,
    ingest,
    latency,
    log_requests,
    memory,
    startup,
    subjects,
)
from bench.results import BenchResult, Measurement, Target
from bench.run import main
from bench.run_one import as_list

NEEDS = {
    "ingest": ("kubectl",),
    "startup": ("kubectl",),
    "foreign": ("kubectl",),
    "apiload": ("kubectl", "watch"),
    "bandwidth": ("kubectl", "watch"),
    "memory": (),
    "latency": (),
    "log_requests": (),
    "fleet": ("kubectl", "watch"),
}
MODULES = {
    "ingest": ingest,
    "startup": startup,
    "foreign": foreign,
    "apiload": apiload,
    "bandwidth": bandwidth,
    "memory": memory,
    "latency": latency,
    "log_requests": log_requests,
    "fleet": fleet,
}


def _runnable(subject: str) -> bool:
    """Whether this tree can run `subject` (sovwatch pieces merge over time)."""
    if "TUI" in subject:
        return subjects.missing_tui() is None
    if "sovwatch" in subject:
        return subjects.missing_headless() is None
    return True


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODULES))
def test_smoke(name: str) -> None:
    absent = [tool for tool in NEEDS[name] if shutil.which(tool) is None]
    if absent:
        pytest.skip(f"needs {', '.join(absent)}")
    results = as_list(MODULES[name].run(smoke=True))
    assert results[0].name.startswith(name)
    for result in results:
        _check(result)


def _check(result: BenchResult) -> None:
    assert result.measurements
    for m in result.measurements:
        if _runnable(m.subject):
            assert m.value is not None, f"{m.subject}: {m.note}"
            assert m.value >= 0
            assert math.isfinite(m.value)
        else:
            assert m.value is None
            assert m.note.startswith("not available yet")
    if result.peer:
        assert result.value(result.peer) > 0
    json.dumps(result.to_json(), default=str)


@pytest.mark.slow
def test_runner_prints_table_and_writes_json(tmp_path, capsys) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("needs kubectl")
    out = tmp_path / "bench.json"
    assert main(["--smoke", "--only", "startup", "--json-out", str(out)]) == 0
    document = json.loads(out.read_text())
    assert [r["name"] for r in document["results"]] == ["startup", "startup-cpu"]
    assert document["machine"]["nproc"] >= 1
    printed = capsys.readouterr().out
    assert "startup" in printed
    assert "targets:" in printed


def _result(peer: float | None, mine: float | None) -> BenchResult:
    return BenchResult(
        name="x",
        title="x",
        unit="s",
        peer="peer",
        measurements=(Measurement("peer", peer), Measurement("mine", mine)),
    )


@pytest.mark.parametrize(
    ("peer", "mine", "target", "verdict"),
    [
        (2.0, 1.0, Target("at most the peer", "mine", ratio=1.0), "pass"),
        (2.0, 3.0, Target("at most the peer", "mine", ratio=1.0), "MISS by 50%"),
        (2.0, 3.0, Target("within 2x", "mine", ratio=2.0), "pass"),
        (2.0, 160.0, Target("under 150", "mine", limit=150.0), "MISS by 7%"),
        (2.0, None, Target("under 150", "mine", limit=150.0), "n/a (not measured)"),
        (None, 1.0, Target("at most the peer", "mine", ratio=1.0), "n/a (peer not measured)"),
    ],
    ids=["ratio-pass", "ratio-miss", "ratio-2x", "limit-miss", "unmeasured", "no-peer"],
)
def test_verdicts(peer, mine, target, verdict) -> None:
    assert _result(peer, mine).verdict(target) == verdict


def test_ratio_is_against_the_peer() -> None:
    result = _result(4.0, 1.0)
    assert result.ratio("mine") == 0.25
    assert _result(4.0, None).ratio("mine") is None


def test_the_terminal_profile_charges_bytes_to_what_they_changed() -> None:
    """A tiny fleet screen: a header, two rows; then an update that changes one row's count and
    moves the rows with a line shift. Bytes go to the column they changed; the shift is its own."""
    from bench.terminal_profile import profile

    paint = (
        b"\x1b[1;1HOutcome  Context Ready\r\n"
        b"ok       sov-a   1/3  \r\n"
        b"ok       sov-b   2/3  \x1b[0m\x1b[1;1H"
    )
    update = (
        b"\x1b[2;17H\x1b[31m3\x1b[0m\x1b[1;1H"  # sov-a: 1/3 -> 3/3, in red
        b"\x1b[2;3r\x1b[2;1H\x1b[L\x1b[r\x1b[2;1Hok       sov-c   0/3\x1b[0m\x1b[1;1H"
    )
    found = profile(paint + update, start=len(paint), columns=24, rows=10)
    # the count's move, colour and digit; then the cells under "Ready" of the row shifted in
    assert found.by_area["column Ready"] == len(b"\x1b[2;17H\x1b[31m3") + len(" 0/3")
    assert found.by_kind["line shifts"] == len(b"\x1b[2;3r\x1b[L\x1b[r")
    assert found.by_kind["text"] == 1 + len("ok       sov-c   0/3")
    assert found.frames == 2
    assert found.total == len(update)
