"""Events (both API shapes, deduplicated) and the PVC → PV → VolumeAttachment → pod join."""

from __future__ import annotations

import pytest

from sovwatch.model.events import dedupe, normalize, normalized_for, ordered
from sovwatch.model.states import State
from sovwatch.model.volumes import assess_volume, classify_volume_attachment, multi_attach_holders
from tests.model.builders import T0_EPOCH, event, event_v1, pod, pvc, volume_attachment

POD = ("Pod", "loki", "loki-0")
PVC = ("PersistentVolumeClaim", "loki", "storage-loki-0")
MULTI = 'Multi-Attach error for volume "pvc-storage-loki-0" Volume is already used by pod(s) loki-0-old, loki-1'


def test_core_v1_event():
    rec = normalize(
        event(
            POD,
            "BackOff",
            "Back-off restarting failed container loki in pod loki-0_loki(3c1e)",
            count=12,
            first=10,
            last=70,
        )
    )
    assert (rec.involved, rec.reason, rec.count, rec.first, rec.last, rec.source) == (
        POD,
        "BackOff",
        12,
        T0_EPOCH + 10,
        T0_EPOCH + 70,
        "kubelet",
    )


def test_events_k8s_io_series():
    rec = normalize(
        event_v1(
            POD,
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            series_count=9,
            at=5,
            last=95,
        )
    )
    assert (rec.message, rec.count, rec.first, rec.last) == (
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        9,
        T0_EPOCH + 5,
        T0_EPOCH + 95,
    )


def test_events_k8s_io_single_occurrence_uses_event_time():
    rec = normalize(
        event_v1(
            POD,
            "Scheduled",
            "Successfully assigned loki/loki-0 to sov-worker-1",
            type_="Normal",
            at=3,
        )
    )
    assert (rec.count, rec.first, rec.last, rec.is_warning) == (
        1,
        T0_EPOCH + 3,
        T0_EPOCH + 3,
        False,
    )


def test_new_style_event_seen_through_core_view():
    """An event written via events.k8s.io, read through core/v1: eventTime + series, no timestamps."""
    ev = event(POD, "Unhealthy", "Liveness probe failed: timeout", count=0)
    ev.pop("firstTimestamp"), ev.pop("lastTimestamp")
    ev["eventTime"] = "2026-04-30T10:00:05.250000Z"
    ev["series"] = {"count": 4, "lastObservedTime": "2026-04-30T10:01:00.000000Z"}
    rec = normalize(ev)
    assert (rec.count, rec.first, rec.last) == (4, T0_EPOCH + 5.25, T0_EPOCH + 60)


def test_dedupe_core_and_events_k8s_io_copies():
    a = event(
        POD,
        "FailedMount",
        'MountVolume.SetUp failed for volume "config" : configmap "loki" not found',
        count=3,
        first=10,
        last=40,
        name="a",
    )
    b = event_v1(
        POD,
        "FailedMount",
        'MountVolume.SetUp failed for volume "config" : configmap "loki" not found',
        series_count=2,
        at=30,
        last=80,
        name="b",
    )
    merged = dedupe([normalize(a), normalize(b)])
    assert len(merged) == 1
    assert (merged[0].count, merged[0].first, merged[0].last) == (5, T0_EPOCH + 10, T0_EPOCH + 80)


def test_warnings_first_then_latest():
    evs = ordered(
        normalize(e)
        for e in [
            event(POD, "Pulled", "Successfully pulled image", type_="Normal", last=100),
            event(POD, "FailedMount", "old", last=10),
            event(POD, "FailedAttachVolume", MULTI, last=50),
        ]
    )
    assert [e.reason for e in evs] == ["FailedAttachVolume", "FailedMount", "Pulled"]


def test_multi_attach_holders():
    assert multi_attach_holders(MULTI) == ["loki-0-old", "loki-1"]
    assert (
        multi_attach_holders(
            'Multi-Attach error for volume "pvc-1" Volume is already exclusively attached to one node and can\'t be attached to another'
        )
        == []
    )


NOW = T0_EPOCH + 1000
VA_CASES = [
    ("attached", volume_attachment("pvc-a"), State.READY, "Attached"),
    ("attaching", volume_attachment("pvc-a", attached=False), State.PROGRESSING, "Attaching"),
    (
        "attach-error",
        volume_attachment(
            "pvc-a",
            attached=False,
            attach_error="rpc error: code = Internal desc = failed to attach volume: server is locked",
        ),
        State.FAILED,
        "AttachError",
    ),
    (
        "detaching-recently",
        volume_attachment("pvc-a", deleting_at=1000 - 30),
        State.PROGRESSING,
        "Detaching",
    ),
    (
        "stuck-detaching",
        volume_attachment("pvc-a", deleting_at=1000 - 600),
        State.FAILED,
        "StuckDetaching",
    ),
    (
        "detach-error",
        volume_attachment(
            "pvc-a", deleting_at=990, detach_error="rpc error: code = DeadlineExceeded"
        ),
        State.FAILED,
        "DetachError",
    ),
]


@pytest.mark.parametrize(
    ("va", "state", "reason"), [c[1:] for c in VA_CASES], ids=[c[0] for c in VA_CASES]
)
def test_volume_attachment(va, state, reason):
    verdict = classify_volume_attachment(va, now=NOW, stuck_after=120)
    assert (verdict.state, verdict.reason) == (state, reason)


WFFC = "waiting for first consumer to be created before binding"
EXTERNAL = (
    "Waiting for a volume to be created either by the external provisioner 'csi.hetzner.cloud' or manually "
    "by the system administrator. If volume creation is delayed, please verify that the provisioner is "
    "running and correctly registered."
)
PROV_FAILED = 'failed to provision volume with StorageClass "hcloud-volumes": rpc error: code = Internal desc = volume limit exceeded'
_scheduled = pod("loki-0", "loki", phase="Pending", claims=["storage-loki-0"])
_unscheduled = pod("loki-0", "loki", phase="Pending", node=None, claims=["storage-loki-0"])

PVC_CASES = [
    (
        "bound-no-attachment",
        pvc("storage-loki-0", "loki"),
        [],
        [],
        [],
        [],
        State.READY,
        "Bound",
        "",
    ),
    (
        "bound-attached",
        pvc("storage-loki-0", "loki"),
        [],
        [volume_attachment("pvc-storage-loki-0")],
        [],
        [],
        State.READY,
        "Attached",
        "attached",
    ),
    (
        "wait-for-first-consumer-is-normal",
        pvc("storage-loki-0", "loki", phase="Pending", storage_class="local-path"),
        [
            event(
                PVC,
                "WaitForFirstConsumer",
                WFFC,
                type_="Normal",
                component="persistentvolume-controller",
            )
        ],
        [],
        [_unscheduled],
        [],
        State.WAITING,
        "WaitForFirstConsumer",
        "",
    ),
    (
        "wffc-consumer-scheduled-is-progressing",
        pvc(
            "storage-loki-0",
            "loki",
            phase="Pending",
            annotations={"volume.kubernetes.io/selected-node": "sov-worker-1"},
        ),
        [
            event(
                PVC,
                "WaitForFirstConsumer",
                WFFC,
                type_="Normal",
                component="persistentvolume-controller",
            )
        ],
        [],
        [_scheduled],
        [],
        State.PROGRESSING,
        "Provisioning",
        "",
    ),
    (
        "external-provisioning",
        pvc("storage-loki-0", "loki", phase="Pending"),
        [
            event(
                PVC,
                "ExternalProvisioning",
                EXTERNAL,
                type_="Normal",
                component="persistentvolume-controller",
            )
        ],
        [],
        [],
        [],
        State.PROGRESSING,
        "ExternalProvisioning",
        "",
    ),
    (
        "provisioning-failed",
        pvc("storage-loki-0", "loki", phase="Pending"),
        [
            event(PVC, "ExternalProvisioning", EXTERNAL, type_="Normal", last=40),
            event(
                PVC,
                "ProvisioningFailed",
                PROV_FAILED,
                last=60,
                component="csi.hetzner.cloud_hcloud-csi-controller-0",
            ),
        ],
        [],
        [],
        [],
        State.FAILED,
        "ProvisioningFailed",
        "",
    ),
    (
        "no-storage-class",
        pvc("data-keycloak-postgresql-0", "keycloak", phase="Pending", storage_class=""),
        [
            event(
                ("PersistentVolumeClaim", "keycloak", "data-keycloak-postgresql-0"),
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
        ],
        [],
        [],
        [],
        State.FAILED,
        "FailedBinding",
        "",
    ),
    (
        "lost",
        pvc("storage-loki-0", "loki", phase="Lost"),
        [],
        [],
        [],
        [],
        State.STALLED,
        "ClaimLost",
        "",
    ),
    (
        "multi-attach-from-consumer",
        pvc("storage-loki-0", "loki"),
        [],
        [volume_attachment("pvc-storage-loki-0", "sov-worker-2")],
        [_scheduled],
        [event(POD, "FailedAttachVolume", MULTI, component="attachdetach-controller")],
        State.FAILED,
        "Multi-Attach",
        "multi-attach",
    ),
    (
        "stuck-detaching-old-node",
        pvc("storage-loki-0", "loki"),
        [],
        [
            volume_attachment("pvc-storage-loki-0", "sov-worker-2", deleting_at=1000 - 900),
            volume_attachment("pvc-storage-loki-0", "sov-worker-1", attached=False),
        ],
        [_scheduled],
        [],
        State.FAILED,
        "StuckDetaching",
        "detaching",
    ),
]


@pytest.mark.parametrize(
    ("claim", "events", "vas", "consumers", "consumer_events", "state", "reason", "attach"),
    [c[1:] for c in PVC_CASES],
    ids=[c[0] for c in PVC_CASES],
)
def test_assess_volume(claim, events, vas, consumers, consumer_events, state, reason, attach):
    health = assess_volume(
        claim,
        normalized_for(events),
        attachments=[classify_volume_attachment(va, now=NOW, stuck_after=120) for va in vas],
        consumers=consumers,
        consumer_events=normalized_for(consumer_events),
    )
    assert (health.verdict.state, health.verdict.reason, health.attach) == (state, reason, attach)
    assert health.consumers == tuple(c["metadata"]["name"] for c in consumers)
