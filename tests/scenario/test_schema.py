"""Scenario files: shipped ones load, bad ones fail with one clear line."""

from __future__ import annotations

import pytest

from sovsim.scenario import ScenarioError, load_scenario, shipped_scenarios
from sovsim.scenario_schema import parse_duration

MINIMAL = "name: t\nreleases:\n  - {name: bp-a}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            MINIMAL + "  - {name: bp-b, dependsOn: [bp-nope]}\n",
            "releases[1].dependsOn[0]: unknown release 'flux-system/bp-nope'",
            id="unknown-dependency",
        ),
        pytest.param(
            MINIMAL + "  - {name: bp-b, dependsOn: [other/bp-a]}\n",
            "unknown release 'other/bp-a'",
            id="cross-namespace-dependency",
        ),
        pytest.param(
            MINIMAL + "  - {name: bp-b, timeout: 5x}\n",
            "releases[1].timeout: bad duration '5x'",
            id="bad-duration",
        ),
        pytest.param(
            MINIMAL + "  - {name: bp-b, replica: 2}\n",
            "releases[1].replica: unknown field",
            id="unknown-release-field",
        ),
        pytest.param("name: t\nbogus: 1\n", "bogus: unknown field", id="unknown-top-level-field"),
        pytest.param(
            MINIMAL + "  - name: bp-b\n    workloads: [{kind: CronJob}]\n",
            "releases[1].workloads[0].kind: must be one of",
            id="bad-workload-kind",
        ),
        pytest.param(
            MINIMAL + "  - name: bp-b\n    workloads: [{volumeClaims: [{storageClass: ceph}]}]\n",
            "unknown StorageClass 'ceph'",
            id="unknown-storage-class",
        ),
        pytest.param(
            MINIMAL + "  - {name: bp-a}\n",
            "duplicate release flux-system/bp-a",
            id="duplicate-release",
        ),
        pytest.param("releases: []\n", "name: required", id="missing-name"),
        pytest.param(
            "name: t\nreleases: [{name: bp-a, disableWait: maybe}]\n",
            "expected true or false",
            id="bad-bool",
        ),
        pytest.param(
            "name: t\nreleases: {bp-a: {}}\n", "releases: expected a list", id="releases-not-a-list"
        ),
    ],
)
def test_schema_errors_are_one_clear_line(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert expected in message
    assert message.startswith("bad.yaml: ")
    assert "\n" not in message


def test_bad_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: t\nreleases:\n  - {name: bp-a\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: not valid YAML at line \d+"):
        load_scenario(path)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match=r"no scenario named 'nope' \(shipped: .*bootstrap-kit"):
        load_scenario("nope")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("1m30s", 90),
        ("2h", 7200),
        ("1h0m0s", 3600),
        (45, 45),
        ("0.5s", 0.5),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text, where="x") == seconds


def test_forever_only_where_allowed():
    assert parse_duration("forever", where="x", allow_forever=True) == float("inf")
    with pytest.raises(ScenarioError, match="bad duration 'forever'"):
        parse_duration("forever", where="x")


def test_shipped_scenarios_load():
    assert {"bootstrap-kit", "stuck", "large"} <= set(shipped_scenarios())
    for name in shipped_scenarios():
        assert load_scenario(name).releases


def test_bootstrap_kit_is_the_real_kit():
    """Names, namespaces, versions and edges as in the real kit's HelmReleases (spot checks of each column)."""
    kit = {r.name: r for r in load_scenario("bootstrap-kit").releases}
    assert len(kit) == 38
    assert kit["bp-grafana"].depends_on == tuple(
        ("flux-system", f"bp-{d}") for d in ("cnpg", "loki", "mimir", "tempo", "keycloak")
    )
    assert kit["bp-harbor"].depends_on == tuple(
        ("flux-system", f"bp-{d}") for d in ("cnpg", "seaweedfs", "cert-manager")
    )
    assert (kit["bp-catalyst-platform"].version, kit["bp-catalyst-platform"].target_namespace) == (
        "1.1.8",
        "catalyst-system",
    )
    assert [n for n, r in kit.items() if not r.disable_wait] == [
        "bp-crossplane",
        "bp-crossplane-claims",
    ]
    assert {n for n, r in kit.items() if not r.depends_on} == {"bp-cilium", "bp-reloader", "bp-vpa"}
    assert kit["bp-powerdns"].timeout == 900
    assert kit["bp-cilium"].timeout == 300
    edges = sum(
        len(r.depends_on)
        for n, r in kit.items()
        if n not in ("bp-hcloud-csi", "bp-metrics-server", "bp-traefik")
    )
    assert edges == 44
