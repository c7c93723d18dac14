"""The detail text from snapshots that the stuck scenario does not produce."""

from __future__ import annotations

from dataclasses import replace

from sovwatch.model.controller_log import ControllerLine
from sovwatch.model.log_excerpts import LogExcerpt
from sovwatch.model.pod import ContainerHealth, PodHealth, Termination
from sovwatch.model.probes import ProbeStatus
from sovwatch.model.rootcause import Cause, RootCause
from sovwatch.model.states import State, Verdict
from sovwatch.views.tui import detail_content
from sovwatch.views.tui.glyphs import UTF8
from tests.views.view_snapshots import HR, MSG_INSTALLING, release

NOW = 1_795_781_071.0
PROBES = {
    "readiness": ProbeStatus(
        "failing", 4, last_message='Get "http://10.0.0.7:3100/ready": connection refused'
    ),
    "liveness": ProbeStatus("passing"),
    "startup": ProbeStatus("none"),
}


def container(name: str = "loki", **fields) -> ContainerHealth:
    return ContainerHealth(
        **{
            "name": name,
            "init": False,
            "ready": False,
            "restarts": 0,
            "status": "Running",
            "probes": PROBES,
            "started": True,
            "state": "running",
            **fields,
        }
    )


def pod(*containers: ContainerHealth, message: str = "", restarts: int = 0) -> PodHealth:
    return PodHealth(
        key=("Pod", "loki", "loki-0"),
        verdict=Verdict(State.PROGRESSING, "ContainersNotReady", message),
        status="Running",
        ready=0,
        total=1,
        restarts=restarts,
        containers=containers,
        node="sov-worker-1",
        claims=("storage-loki-0",),
        volume_event=None,
    )


def loki(*pods: PodHealth):
    view = release("bp-loki", "progressing", reason="Progressing", message=MSG_INSTALLING)
    return replace(view, core=replace(view.core, pods=pods))


def text(*pods: PodHealth) -> str:
    view = loki(*pods)
    content = detail_content.render(
        view, {view.key: view}, conditions=[], events=(), now=NOW, glyphs=UTF8
    )
    return content.plain


def test_a_containers_probes_and_their_last_failure():
    shown = text(pod(container()))
    assert "      probes: readiness failing (4 failures) liveness passing" in shown
    assert 'last readiness failure: Get "http://10.0.0.7:3100/ready": connection refused' in shown


def test_init_container_and_oom_kill():
    init = container(
        "wait-for-db",
        init=True,
        status="Completed",
        started=False,
        state="terminated",
        reason="Completed",
        exit_code=0,
        probes={},
    )
    oom = container(restarts=3, last_termination=Termination("OOMKilled", 137, NOW - 120))
    shown = text(pod(init, oom, restarts=3))
    assert "• wait-for-db (init)  terminated Completed exit 0  restarts 0" in shown
    assert "• loki  running  not ready  restarts 3  last run: OOMKilled exit 137 2m ago" in shown
    assert "      probes: readiness failing (4 failures) liveness passing" in shown


def test_long_lines_wrap_under_their_own_indent():
    message = "Multi-Attach error for volume pvc-3ef42110 Volume is already used by pod(s) loki-0"
    view = loki(pod(message=message))
    content = detail_content.render(
        view, {}, conditions=[], events=(), now=NOW, glyphs=UTF8, width=40
    )
    lines = content.plain.splitlines()
    assert all(len(line) <= 40 for line in lines)
    start = lines.index("    Multi-Attach error for volume")
    assert lines[start + 1].startswith("      pvc-3ef42110")  # two past the item's indent
    assert " ".join(line.strip() for line in lines[start : start + 4]).startswith(message)


def _render(view) -> list[str]:
    return detail_content.render(
        view, {view.key: view}, conditions=[], events=(), now=NOW, glyphs=UTF8
    ).plain.splitlines()


def test_root_cause_shows_the_container_log_with_its_decisive_line_in_full():
    lines = [f'level=info msg="step {i}"' for i in range(20)] + [
        'level=error msg="error running loki" err="mkdir /var/loki/chunks: permission denied"'
    ]
    root = RootCause(
        Cause("Pod", "loki", "loki-0", State.FAILED, "CrashLoopBackOff", ""),
        (
            "bp-loki",
            "pod loki/loki-0 CrashLoopBackOff",
            "container loki exited 1 (Error), restarted 12 times",
            "log: error running loki: mkdir /var/loki/chunks: permission denied",
        ),
        ((HR, "flux-system", "bp-loki"),),
        LogExcerpt(
            container="loki",
            previous=True,
            restarts=12,
            lines=tuple(lines),
            decisive="error running loki: mkdir /var/loki/chunks: permission denied",
        ),
    )
    loki = release("bp-loki", "failed", reason="CrashLoopBackOff", message="", root_cause=root)
    plain = _render(loki)
    at = plain.index("Log of loki (previous run, restarts 12)")
    assert plain[at + 1] == "  error running loki: mkdir /var/loki/chunks: permission denied"
    shown = plain[at + 2 : at + 2 + detail_content.EXCERPT_LINES]
    assert shown == [f"  | {line}" for line in lines[-detail_content.EXCERPT_LINES :]]
    assert '  | level=info msg="step 8"' not in plain  # older lines stay in the snapshot


def test_helm_controllers_lines_about_a_failing_release():
    entries = tuple(
        ControllerLine(f"2026-12-06T09:{i:02d}:00.000Z", "info", f"step {i}", "") for i in range(10)
    ) + (
        ControllerLine(
            "2026-12-06T09:45:00.000Z",
            "error",
            "Reconciler error",
            "Failed to install after 4 attempt(s)",
        ),
    )
    spire = replace(
        release(
            "bp-spire",
            "stalled",
            reason="InstallFailed",
            message="Failed to install after 4 attempt(s)",
        ),
        controller_log=entries,
    )
    plain = _render(spire)
    at = plain.index("helm-controller says")
    shown = plain[at + 1 : at + 1 + detail_content.CONTROLLER_LINES]
    assert shown[-1] == (
        "  2026-12-06T09:45:00.000Z Reconciler error: Failed to install after 4 attempt(s)"
    )
    assert shown[0] == "  2026-12-06T09:03:00.000Z step 3"
    assert "step 2" not in "\n".join(plain)
    ready = replace(
        release("bp-spire", "ready", reason="UpgradeSucceeded", message=""),
        controller_log=entries,
    )
    assert "helm-controller says" not in "\n".join(_render(ready))
