"""Slimming drops bulk and everything that may carry a secret before anything is stored."""

from sovwatch.sources.slimming import slim


def test_pod_env_values_commands_and_managed_fields_are_dropped():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "keycloak-0",
            "namespace": "keycloak",
            "managedFields": [{"manager": "kube-controller-manager"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}", "a": "b"},
        },
        "spec": {
            "containers": [
                {
                    "name": "keycloak",
                    "image": "quay.io/keycloak/keycloak:26.0",
                    "env": [{"name": "KC_DB_PASSWORD", "value": "hunter2"}],
                    "args": ["--token=abc"],
                    "readinessProbe": {"httpGet": {"path": "/health/ready", "port": 9000}},
                }
            ],
            "volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": "data-keycloak-0"}}
            ],
        },
    }
    out = slim(pod)
    container = out["spec"]["containers"][0]
    assert container["env"] == [{"name": "KC_DB_PASSWORD"}]
    assert "args" not in container
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert "managedFields" not in out["metadata"]
    assert out["metadata"]["annotations"] == {"a": "b"}
    assert out["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "data-keycloak-0"
    assert "hunter2" not in repr(out)
    assert "--token=abc" not in repr(out)
    assert pod["spec"]["containers"][0]["env"][0]["value"] == "hunter2"  # input untouched


def test_helmrelease_values_are_dropped_but_spec_kept():
    hr = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "bp-grafana", "namespace": "flux-system"},
        "spec": {
            "releaseName": "grafana",
            "values": {"adminPassword": "s3cret"},
            "dependsOn": [{"name": "bp-loki"}],
        },
    }
    out = slim(hr)
    assert "values" not in out["spec"]
    assert out["spec"]["dependsOn"] == [{"name": "bp-loki"}]
