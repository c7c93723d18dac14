"""`Links`: both directions stay consistent through relinks, whatever the bucket sizes."""

from __future__ import annotations

import random

import pytest

from sovwatch.model.index import Links

PODS = [("Pod", "loki", f"loki-{i}") for i in range(6)]
CLAIMS = [("hr", "flux-system", "bp-loki"), ("rel", "loki", "loki"), "pv-1", None]


@pytest.mark.parametrize("seed", range(5))
def test_reverse_matches_the_forward_links(seed):
    rng = random.Random(seed)
    links = Links()
    expected: dict = {}
    for _ in range(400):
        pod = rng.choice(PODS)
        targets = rng.sample(CLAIMS, k=rng.randint(0, 3))
        old = set(expected.get(pod, ()))
        assert links.relink(pod, targets) == old | set(targets)
        expected[pod] = tuple(targets)
        assert links.targets(pod) == tuple(targets)
        for claim in CLAIMS:
            pointing = {p for p, ts in expected.items() if claim in ts}
            assert links.sources(claim) == pointing
        chosen = rng.sample(CLAIMS, k=2)
        assert links.sources_of_all(chosen) == links.sources(chosen[0]) | links.sources(chosen[1])
    for pod in PODS:
        links.relink(pod, ())
    assert links.reverse == {}
    assert links.forward == {}
