"""Claims, VolumeAttachments and the Multi-Attach story the attach-detach controller tells."""

from __future__ import annotations

from tests.model.builders.common import meta, ts
from tests.model.builders.core import container_status, event, pod, waiting


def pvc(
    name: str,
    namespace: str,
    *,
    phase: str = "Bound",
    volume: str | None = None,
    storage_class: str = "hcloud-volumes",
    release: str | None = None,
    annotations: dict | None = None,
) -> dict:
    spec = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "10Gi"}},
        "storageClassName": storage_class,
        "volumeMode": "Filesystem",
    }
    if phase in ("Bound", "Lost"):
        spec["volumeName"] = volume or f"pvc-{name}"
    m = meta(name, namespace, annotations=annotations or {})
    if release:
        m["labels"] = {"app.kubernetes.io/instance": release}
    st: dict = {"phase": phase}
    if phase == "Bound":
        st.update({"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}})
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": m,
        "spec": spec,
        "status": st,
    }


def volume_attachment(
    pv: str,
    node: str = "sov-worker-1",
    *,
    attached: bool = True,
    attach_error: str | None = None,
    detach_error: str | None = None,
    deleting_at: float | None = None,
) -> dict:
    m = meta(f"csi-{abs(hash((pv, node))) % 10**16:016x}", "")
    if deleting_at is not None:
        m["deletionTimestamp"] = ts(deleting_at)
        m["finalizers"] = ["external-attacher/csi-hetzner-cloud"]
    st: dict = {"attached": attached}
    if attach_error:
        st["attachError"] = {"time": ts(40), "message": attach_error}
    if detach_error:
        st["detachError"] = {"time": ts(40), "message": detach_error}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "VolumeAttachment",
        "metadata": m,
        "spec": {
            "attacher": "csi.hetzner.cloud",
            "nodeName": node,
            "source": {"persistentVolumeName": pv},
        },
        "status": st,
    }


MULTI_ATTACH = (
    'Multi-Attach error for volume "pvc-storage-loki-0" Volume is already used by pod(s) loki-0-old'
)


def loki_multi_attach(**pod_kw) -> list[dict]:
    """loki-0 stuck in ContainerCreating: its volume is still attached to another node, and the
    attachdetach-controller says so. `pod_kw` goes to `pod` (owner, release, ...)."""
    return [
        pod(
            "loki-0",
            "loki",
            phase="Pending",
            claims=["storage-loki-0"],
            statuses=[container_status("loki", ready=False, state=waiting("ContainerCreating"))],
            **pod_kw,
        ),
        pvc("storage-loki-0", "loki"),
        volume_attachment("pvc-storage-loki-0", "sov-worker-2"),
        event(
            ("Pod", "loki", "loki-0"),
            "FailedAttachVolume",
            MULTI_ATTACH,
            component="attachdetach-controller",
        ),
    ]
