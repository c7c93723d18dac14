"""Table output: the pod STATUS logic kubectl users know, ages, and Tables over HTTP (list and watch)."""

from __future__ import annotations

import pytest

from sovsim.tables import human_duration, pod_status

from .helpers import EventReader, helmrelease, install_flux_crds, pod

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (119, "119s"),
        (150, "2m30s"),
        (600, "10m"),
        (3 * 3600, "3h"),
        (5 * 3600 + 60 * 7, "5h7m"),
        (30 * 3600, "30h"),
        (3 * 86400 + 4 * 3600, "3d4h"),
        (40 * 86400, "40d"),
        (3 * 365 * 86400 + 10 * 86400, "3y10d"),
    ],
)
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


def _with_init(state: dict, *, restarts: int = 0) -> dict:
    p = pod("vault-0", ready=False, phase="Pending")
    p["spec"]["initContainers"] = [{"name": "init-config"}]
    p["status"]["initContainerStatuses"] = [
        {"name": "init-config", "restartCount": restarts, "state": state}
    ]
    p["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "PodInitializing"}}
    return p


def _terminated(**term) -> dict:
    p = pod("job-x", ready=False, phase="Failed")
    p["status"]["containerStatuses"][0]["state"] = {"terminated": term}
    return p


def _restarted() -> dict:
    p = pod("web-0", restarts=4)
    p["status"]["containerStatuses"][0]["lastState"] = {
        "terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2027-01-15T07:57:00Z"}
    }
    return p


def _deleting() -> dict:
    p = pod("web-0")
    p["metadata"]["deletionTimestamp"] = "2027-01-15T07:59:00Z"
    return p


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (pod("web-0"), ("1/1", "Running", "0")),
        (
            pod("web-0", waiting="CrashLoopBackOff", ready=False, restarts=7),
            ("0/1", "CrashLoopBackOff", "7"),
        ),
        (
            pod("web-0", waiting="ContainerCreating", ready=False, phase="Pending"),
            ("0/1", "ContainerCreating", "0"),
        ),
        (
            pod("web-0", waiting="CreateContainerConfigError", ready=False, phase="Pending"),
            ("0/1", "CreateContainerConfigError", "0"),
        ),
        (_with_init({"waiting": {"reason": "PodInitializing"}}), ("0/1", "Init:0/1", "0")),
        (
            _with_init({"waiting": {"reason": "CrashLoopBackOff"}}, restarts=2),
            ("0/1", "Init:CrashLoopBackOff", "2"),
        ),
        (_with_init({"terminated": {"exitCode": 1}}), ("0/1", "Init:ExitCode:1", "0")),
        (_terminated(exitCode=2), ("0/1", "ExitCode:2", "0")),
        (_terminated(exitCode=0, reason="Completed"), ("0/1", "Completed", "0")),
        (_restarted(), ("1/1", "Running", "4 (3m ago)")),
        (_deleting(), ("1/1", "Terminating", "0")),
    ],
    ids=[
        "running",
        "crashloop",
        "creating",
        "config-error",
        "init-pending",
        "init-crashloop",
        "init-failed",
        "exit-code",
        "completed",
        "restarted-ago",
        "terminating",
    ],
)
def test_pod_status_column_logic(obj, expected):
    assert pod_status(obj, NOW) == expected


async def test_list_as_table_for_helmreleases(emulator, api):
    install_flux_crds(emulator.store)
    emulator.store.put(helmrelease("cert-manager"))
    emulator.store.put(
        helmrelease(
            "kyverno", ready="False", message="dependency 'flux-system/cert-manager' is not ready"
        )
    )
    async with api.get(
        "/apis/helm.toolkit.fluxcd.io/v2/helmreleases", headers={"Accept": TABLE}
    ) as resp:
        assert resp.headers["Content-Type"].startswith("application/json;as=Table")
        table = await resp.json()
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"]["resourceVersion"] == str(emulator.store.resource_version)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age", "Ready", "Status"]
    cells = {row["cells"][0]: row["cells"][2:] for row in table["rows"]}
    assert cells["kyverno"] == ["False", "dependency 'flux-system/cert-manager' is not ready"]
    assert cells["cert-manager"][0] == "True"
    obj = table["rows"][0]["object"]
    assert obj["kind"] == "PartialObjectMetadata"
    assert obj["metadata"]["namespace"] == "flux-system"
    assert "spec" not in obj


async def test_table_include_object(emulator, api):
    emulator.store.put(pod("web-0"))
    headers = {"Accept": TABLE}
    async with api.get("/api/v1/pods", headers=headers, params={"includeObject": "Object"}) as resp:
        assert (await resp.json())["rows"][0]["object"]["spec"]["nodeName"] == "sov-node-1"
    async with api.get("/api/v1/pods", headers=headers, params={"includeObject": "None"}) as resp:
        assert "object" not in (await resp.json())["rows"][0]


async def test_pvc_and_volumeattachment_columns(emulator, api):
    emulator.store.put(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data-vault-0", "namespace": "vault"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "longhorn",
                "volumeName": "pvc-3f1c",
                "resources": {"requests": {"storage": "10Gi"}},
            },
            "status": {
                "phase": "Bound",
                "accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": "10Gi"},
            },
        }
    )
    emulator.store.put(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "VolumeAttachment",
            "metadata": {"name": "csi-5b2e"},
            "spec": {
                "attacher": "driver.longhorn.io",
                "nodeName": "sov-node-2",
                "source": {"persistentVolumeName": "pvc-3f1c"},
            },
            "status": {
                "attached": False,
                "attachError": {
                    "message": "rpc error: code = DeadlineExceeded",
                    "time": "2027-01-15T07:59:00Z",
                },
            },
        }
    )
    async with api.get("/api/v1/persistentvolumeclaims", headers={"Accept": TABLE}) as resp:
        pvc = await resp.json()
    names = [c["name"] for c in pvc["columnDefinitions"] if c["priority"] == 0]
    assert names[:6] == ["Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass"]
    assert pvc["rows"][0]["cells"][:6] == [
        "data-vault-0",
        "Bound",
        "pvc-3f1c",
        "10Gi",
        "RWO",
        "longhorn",
    ]
    async with api.get(
        "/apis/storage.k8s.io/v1/volumeattachments", headers={"Accept": TABLE}
    ) as resp:
        va = await resp.json()
    assert [c["name"] for c in va["columnDefinitions"]] == [
        "Name",
        "Attacher",
        "PV",
        "Node",
        "Attached",
        "Age",
    ]
    assert va["rows"][0]["cells"][:5] == [
        "csi-5b2e",
        "driver.longhorn.io",
        "pvc-3f1c",
        "sov-node-2",
        False,
    ]


async def test_watch_as_table_sends_columns_once(emulator, api):
    emulator.store.put(pod("web-0"))
    async with api.get("/api/v1/pods", headers={"Accept": TABLE}, params={"watch": "true"}) as resp:
        assert resp.headers["Content-Type"].startswith("application/json;as=Table")
        reader = EventReader(resp)
        first = await reader.next()
        emulator.store.put(pod("web-0", waiting="CrashLoopBackOff", ready=False, restarts=1))
        second = await reader.next()
    assert first["type"] == "ADDED"
    assert first["object"]["kind"] == "Table"
    assert [c["name"] for c in first["object"]["columnDefinitions"]][:5] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    assert second["type"] == "MODIFIED"
    assert second["object"]["columnDefinitions"] is None
    assert second["object"]["rows"][0]["cells"][:4] == ["web-0", "0/1", "CrashLoopBackOff", "1"]
