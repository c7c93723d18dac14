"""The dependsOn graph: waves as in the real bootstrap-kit, cycles, self-dependency, missing deps."""

from __future__ import annotations

from sovwatch.model.graph import analyse, critical_path


def hr(name: str, ns: str = "flux-system") -> tuple[str, str, str]:
    return ("HelmRelease", ns, name)


# The real kit's longest chain plus a fan-out (the dependsOn edges of scenarios/bootstrap-kit.yaml).
KIT = {
    hr("bp-cilium"): [],
    hr("bp-reloader"): [],
    hr("bp-cert-manager"): [hr("bp-cilium")],
    hr("bp-flux"): [hr("bp-cert-manager")],
    hr("bp-seaweedfs"): [hr("bp-flux"), hr("bp-cert-manager")],
    hr("bp-loki"): [hr("bp-seaweedfs")],
    hr("bp-mimir"): [hr("bp-seaweedfs")],
    hr("bp-keycloak"): [hr("bp-cert-manager")],
    hr("bp-grafana"): [hr("bp-loki"), hr("bp-mimir"), hr("bp-keycloak")],
}


def test_waves_follow_longest_dependency_chain():
    report = analyse(KIT)
    assert report.waves[hr("bp-cilium")] == 0
    assert report.waves[hr("bp-reloader")] == 0
    assert report.waves[hr("bp-seaweedfs")] == 3
    assert report.waves[hr("bp-keycloak")] == 2
    assert report.waves[hr("bp-grafana")] == 5
    assert report.by_wave()[4] == [hr("bp-loki"), hr("bp-mimir")]
    assert report.cycles == ()
    assert report.missing == ()


def test_cycle_and_self_dependency_reported_not_looped():
    deps = {
        hr("a"): [hr("b")],
        hr("b"): [hr("c")],
        hr("c"): [hr("a")],
        hr("self"): [hr("self")],
        hr("after-cycle"): [hr("a")],
        hr("ok"): [],
    }
    report = analyse(deps)
    assert report.cycles == ((hr("a"), hr("b"), hr("c")), (hr("self"),))
    assert report.waves[hr("a")] is None
    assert report.waves[hr("self")] is None
    assert report.waves[hr("after-cycle")] is None
    assert report.waves[hr("ok")] == 0


def test_missing_and_cross_namespace_dependencies():
    deps = {hr("bp-x"): [hr("bp-gone"), hr("bp-db", "platform")], hr("bp-db", "platform"): []}
    report = analyse(deps)
    assert report.missing == ((hr("bp-x"), hr("bp-gone")),)
    assert report.waves[hr("bp-x")] == 1


def test_critical_path_is_the_heaviest_chain():
    weights = {hr("bp-keycloak"): 50.0, hr("bp-loki"): 10.0}
    path = critical_path(KIT, lambda k: weights.get(k, 1.0))
    assert path == (hr("bp-cilium"), hr("bp-cert-manager"), hr("bp-keycloak"), hr("bp-grafana"))
    assert critical_path(KIT, lambda k: 0.0) == ()


def test_large_chain_does_not_recurse():
    deps = {hr(f"n{i}"): [hr(f"n{i - 1}")] if i else [] for i in range(3000)}
    report = analyse(deps)
    assert report.waves[hr("n2999")] == 2999
    deps[hr("n0")] = [hr("n2999")]
    assert len(analyse(deps).cycles[0]) == 3000
