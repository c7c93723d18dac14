"""Builders for objects exactly as the API returns them (after sovwatch's slimming).

Field names, condition types, reasons and messages follow what helm-controller, kustomize-controller,
source-controller, the kubelet, the scheduler and the attach-detach controller write. Defaults are the
bootstrap-kit's (namespace flux-system, `bp-` names, targetNamespace + releaseName).
"""

from tests.model.builders.common import T0, T0_EPOCH, cond, meta, store_of, ts
from tests.model.builders.core import (
    container_status,
    event,
    event_v1,
    http_probe,
    pod,
    pod_object,
    terminated,
    unschedulable,
    waiting,
)
from tests.model.builders.flux import (
    helmchart,
    helmrelease,
    helmrelease_object,
    helmrepository,
    hr_install_failed,
    hr_installing,
    hr_ready,
    hr_waiting,
    kustomization,
)
from tests.model.builders.storage import MULTI_ATTACH, loki_multi_attach, pvc, volume_attachment
from tests.model.builders.workloads import replicaset, workload

__all__ = [
    "MULTI_ATTACH",
    "T0",
    "T0_EPOCH",
    "cond",
    "container_status",
    "event",
    "event_v1",
    "helmchart",
    "helmrelease",
    "helmrelease_object",
    "helmrepository",
    "hr_install_failed",
    "hr_installing",
    "hr_ready",
    "hr_waiting",
    "http_probe",
    "kustomization",
    "loki_multi_attach",
    "meta",
    "pod",
    "pod_object",
    "pvc",
    "replicaset",
    "store_of",
    "terminated",
    "ts",
    "unschedulable",
    "volume_attachment",
    "waiting",
    "workload",
]
