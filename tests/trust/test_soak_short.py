"""The CI-size fault soak: `scripts/soak.py` with the tiny scenario and half a minute of faults.

A fault every second and a half, drawn at random (seeded) from every emulator hook; sovwatch runs
as its own process through the real launch path. The soak itself checks that sovwatch never exits,
every stream comes back live, its store (from its recording) equals the emulator's objects, its
final snapshot equals one computed from the emulator, the replay ends on the same snapshot, and no
asyncio task, fd or socket leaked. RSS is only judged by the long run (30 minutes, in the README):
half a minute is all warm-up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.soak import soak
from scripts.soak_faults import FAULTS


@pytest.mark.slow
async def test_short_fault_soak_ends_on_the_truth(tmp_path: Path):
    report = await soak(
        seconds=25,
        scenario="tiny",
        speed=12,
        fault_every=1.2,
        seed=7,
        warmup=3,
        workdir=tmp_path,
        check_rss=False,
        log=lambda message: None,
    )
    assert report.failures == []
    assert len(report.faults) >= len(FAULTS) // 2, report.faults  # a real mix, not one kind
    assert report.objects > 30  # tiny: releases, pods, workloads and the Events sovwatch keeps
    assert report.figures_at_end["sockets"] > 0  # the figures are real
