"""Slimming keeps only what the model reads: bulk and everything that may carry a secret is gone
before anything is stored (the contract that nothing read is dropped: test_slimming_contract.py)."""

import json

from sovwatch.sources.slimming import slim

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "keycloak-0",
        "namespace": "keycloak",
        "uid": "5b7c2f1e-0d3a-4c8e-9f6a-1b2c3d4e5f60",
        "resourceVersion": "48211",
        "managedFields": [{"manager": "kube-controller-manager"}],
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}", "a": "b"},
        "labels": {"app.kubernetes.io/instance": "keycloak", "pod-template-hash": "6d9f7c8b5"},
    },
    "spec": {
        "nodeName": "worker-2",
        "containers": [
            {
                "name": "keycloak",
                "image": "quay.io/keycloak/keycloak:26.0",
                "env": [{"name": "KC_DB_PASSWORD", "value": "hunter2"}],
                "args": ["--token=abc"],
                "readinessProbe": {"httpGet": {"path": "/health/ready", "port": 9000}},
                "livenessProbe": {"exec": {"command": ["sh", "-c", "curl -u admin:s3cret"]}},
            }
        ],
        "volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "data-keycloak-0"}},
            {"name": "creds", "secret": {"secretName": "keycloak-db"}},
        ],
    },
    "status": {
        "phase": "Running",
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True", "lastTransitionTime": "2026-04-30T10:02:00Z"},
        ],
        "containerStatuses": [
            {
                "name": "keycloak",
                "ready": True,
                "restartCount": 0,
                "image": "quay.io/keycloak/keycloak:26.0",
                "state": {"running": {"startedAt": "2026-04-30T10:01:00Z"}},
            }
        ],
    },
}


def test_pod_keeps_what_the_model_reads_and_nothing_secret():
    out = slim(POD)
    assert out["metadata"] == {
        "name": "keycloak-0",
        "namespace": "keycloak",
        "uid": "5b7c2f1e-0d3a-4c8e-9f6a-1b2c3d4e5f60",
        "resourceVersion": "48211",
        "annotations": {},
        "labels": {"app.kubernetes.io/instance": "keycloak"},
    }
    assert out["spec"] == {
        "nodeName": "worker-2",
        "containers": [
            {"name": "keycloak", "readinessProbe": {"httpGet": {}}, "livenessProbe": {"exec": {}}}
        ],
        "volumes": [{"persistentVolumeClaim": {"claimName": "data-keycloak-0"}}],
    }
    assert [c["type"] for c in out["status"]["conditions"]] == ["Ready"]
    assert out["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]
    text = json.dumps(out)
    for leaked in ("hunter2", "--token=abc", "s3cret", "KC_DB_PASSWORD", "keycloak-db"):
        assert leaked not in text
    assert POD["spec"]["containers"][0]["env"][0]["value"] == "hunter2"  # input untouched


def test_helmrelease_values_are_dropped_but_what_the_model_reads_is_kept():
    hr = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": "bp-grafana", "namespace": "flux-system", "generation": 2},
        "spec": {
            "releaseName": "grafana",
            "values": {"adminPassword": "s3cret"},
            "valuesFrom": [{"kind": "Secret", "name": "grafana-admin"}],
            "dependsOn": [{"name": "bp-loki"}, "flux-system/bp-tempo"],
            "install": {"disableWait": True, "remediation": {"retries": 3}},
        },
    }
    out = slim(hr)
    assert out["spec"] == {
        "releaseName": "grafana",
        "dependsOn": [{"name": "bp-loki"}, "flux-system/bp-tempo"],
        "install": {"remediation": {"retries": 3}},
    }
    assert out["metadata"]["generation"] == 2


def test_secret_payload_and_unknown_kinds_keep_only_identity():
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "ghcr-pull", "namespace": "flux-system"},
        "data": {".dockerconfigjson": "eyJhdXRocyI6e319"},
        "stringData": {"token": "ghp_abc"},
    }
    assert slim(secret) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "ghcr-pull", "namespace": "flux-system"},
    }


def test_event_keeps_its_normalised_fields_and_drops_empty_ones():
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "loki-0.17f3", "namespace": "loki", "managedFields": [{}]},
        "involvedObject": {"kind": "Pod", "namespace": "loki", "name": "loki-0", "uid": "u1"},
        "reason": "FailedAttachVolume",
        "message": 'Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) loki-0',
        "source": {"component": "attachdetach-controller"},
        "type": "Warning",
        "count": 4,
        "eventTime": None,
        "reportingComponent": "",
        "reportingInstance": "",
    }
    out = slim(event)
    assert out["involvedObject"] == {"kind": "Pod", "namespace": "loki", "name": "loki-0"}
    assert out["source"] == {"component": "attachdetach-controller"}
    assert "eventTime" not in out
    assert "reportingComponent" not in out
    assert out["count"] == 4


def test_slimming_twice_changes_nothing():
    once = slim(POD)
    assert slim(once) == once
