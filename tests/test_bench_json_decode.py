"""`bench.json_decode` at its smoke size: it measures the stdlib decoder on both kinds of document,
orjson when importable, and leaves the test process's garbage collector as it found it."""

from __future__ import annotations

import gc

import pytest

from bench import json_decode


@pytest.mark.slow
def test_smoke_measures_both_documents_and_leaves_gc_alone() -> None:
    enabled = gc.isenabled()
    results = json_decode.run(smoke=True)
    assert [r.name for r in results] == ["decode-lists", "decode-watch"]
    for result in results:
        stdlib = result.value(json_decode.STDLIB)
        assert stdlib is not None
        assert stdlib > 0
        assert {m.subject for m in result.measurements} == {json_decode.STDLIB, json_decode.ORJSON}
    assert gc.isenabled() == enabled
    assert gc.get_freeze_count() == 0
