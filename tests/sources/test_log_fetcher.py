"""Log tails of root causes, read over real HTTP from the emulator: once per run, within the
budget, a 403 shown once, a 400 quiet, `--no-logs` silent, and an excerpt that replays the same.

Each test watches the emulator the way `sovwatch` does (kubeconfig → connect → `live.stream` with
a `LogFetcher`) and runs the session's real pipeline model (`session.pipeline_of`, `evaluate`) after
every item, which is what tells the fetcher which logs the root causes want.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from pathlib import Path

import pytest
import yaml

from sovsim.scenario import ScenarioRunner
from sovsim.scenario_load import parse_scenario
from sovsim.server import Emulator
from sovwatch.cli import Invocation
from sovwatch.kube import api, config
from sovwatch.pipeline import HEADLESS
from sovwatch.session import Session, live_session, pipeline_of
from sovwatch.settings import LogSettings
from sovwatch.sources import live
from sovwatch.sources.events import (
    EXCERPT_RESOURCE,
    ControllerLogTarget,
    HealthState,
    LogTarget,
    StreamHealth,
    WatchEvent,
)
from sovwatch.sources.log_fetcher import LOG_STREAM, LogFetcher
from sovwatch.sources.recording import Recorder, RecordingReader
from tests.emulator.test_pod_logs import SCENARIO, crashed_twice, loki_status, play_until

from .engine_harness import FAST, WAIT

DECISIVE = "error running loki: mkdir /var/loki/chunks: permission denied"


def storm(releases: int) -> str:
    """`releases` releases, each with one crash-looping pod that logs why."""
    items = "".join(
        f"""
  - name: bp-app{i}
    targetNamespace: app{i}
    releaseName: app{i}
    workloads:
      - kind: Deployment
        name: app{i}
        containers:
          - name: app
            crashLoop: {{runFor: 5s}}
            logs: ['level=error msg="cannot start" err="open /etc/app{i}/config.yaml: no such file or directory"']
"""
        for i in range(releases)
    )
    return f"""
name: storm
duration: 30m
cluster: {{fluxCrdsAt: 0s, secrets: [flux-system/ghcr-pull]}}
defaults: {{repository: {{secretRef: ghcr-pull}}}}
releases:{items}"""


class ManualClock:
    """A monotonic clock the test moves (the fetcher's per-minute budget)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Watcher:
    """sovwatch's live path with the model: stream, the pipeline's store, its model after every
    item."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pipeline = pipeline_of(Invocation(command="watch"), session, HEADLESS)
        self.store = self.pipeline.store
        self.items: list = []
        self.snapshot: dict = {}
        self._arrived = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> Watcher:
        self._task = asyncio.create_task(self._consume())
        return self

    async def _consume(self) -> None:
        async with aclosing(self.session.source()) as items:
            async for item in items:
                self.items.append(item)
                self.store.apply(item)
                self.snapshot = self.pipeline.evaluate().to_dict()
                self._arrived.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def until(self, predicate, what: str, within: float = WAIT) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if self._task is not None and self._task.done():
                self._task.result()
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), 0.05)
            except TimeoutError:
                pass

    def root_cause(self, name: str) -> dict | None:
        for release in self.snapshot.get("releases", []):
            if release["name"] == name:
                return release["rootCause"]
        return None

    def excerpt(self, name: str) -> dict | None:
        return (self.root_cause(name) or {}).get("logExcerpt")


async def watch(
    emulator: Emulator, kubeconfig: Path, **fetcher_options
) -> tuple[Watcher, LogFetcher]:
    connection = await config.load_connection((kubeconfig,), settings=FAST)
    client = await api.connect(connection, settings=FAST)
    fetcher = LogFetcher(client, **fetcher_options)
    session = Session(
        source=lambda: live.stream(client, settings=FAST, logs=fetcher),
        context=connection.context,
        server=connection.server,
        started=time.time(),
        logs=fetcher,
    )
    return Watcher(session).start(), fetcher


def log_requests(emulator: Emulator) -> list:
    """Requests for the logs of the scenario's own pods (not helm-controller's)."""
    return [
        r
        for r in emulator.request_log
        if r.path.endswith("/log") and not r.path.startswith("/api/v1/namespaces/flux-system/")
    ]


def controller_log_requests(emulator: Emulator) -> list:
    return [
        r
        for r in emulator.request_log
        if r.path.endswith("/log") and r.path.startswith("/api/v1/namespaces/flux-system/")
    ]


@pytest.fixture
def loki(emulator: Emulator) -> ScenarioRunner:
    return ScenarioRunner(
        emulator.store, parse_scenario(yaml.safe_load(SCENARIO)), start=time.time()
    )


async def test_a_crashed_root_cause_gets_its_previous_log_once_per_run(
    emulator, loki, kubeconfig_path
):
    play_until(loki, lambda: crashed_twice(loki))
    watcher, _ = await watch(emulator, kubeconfig_path(emulator))
    try:
        await watcher.until(lambda: watcher.excerpt("bp-loki"), "the excerpt of loki")
        excerpt = watcher.excerpt("bp-loki")
        assert excerpt["container"] == "loki"
        assert excerpt["run"] == "previous"
        assert excerpt["decisive"] == DECISIVE
        assert excerpt["lines"][-1].endswith('err="mkdir /var/loki/chunks: permission denied"')
        assert watcher.root_cause("bp-loki")["chain"].endswith(f"← log: {DECISIVE}")
        (request,) = log_requests(emulator)
        assert request.path == "/api/v1/namespaces/loki/pods/loki-0/log"
        assert request.query == {
            "container": "loki",
            "previous": "true",
            "tailLines": "40",
            "limitBytes": str(32 * 1024),
        }
        # The next crash is a new run: read once more, and only once.
        restarts = loki_status(loki)["restartCount"]
        play_until(loki, lambda: loki_status(loki)["restartCount"] > restarts)
        await watcher.until(
            lambda: watcher.excerpt("bp-loki")["restartCount"] > restarts, "the next run's excerpt"
        )
        await watcher.until(lambda: not watcher.session.logs._in_flight, "no request in flight")
        assert len(log_requests(emulator)) == 2
    finally:
        await watcher.stop()


async def test_a_crash_storm_stays_within_the_budget(emulator, kubeconfig_path):
    runner = ScenarioRunner(emulator.store, parse_scenario(yaml.safe_load(storm(12))))
    play_until(runner, lambda: _crashed_pods(emulator) == 12)
    clock = ManualClock()
    settings = LogSettings(per_minute=5, concurrency=2)
    watcher, fetcher = await watch(
        emulator, kubeconfig_path(emulator), settings=settings, monotonic=clock
    )
    try:
        await watcher.until(lambda: len(_excerpts(watcher)) == 5, "five excerpts")
        await watcher.until(lambda: not fetcher._in_flight, "no request in flight")
        assert len(log_requests(emulator)) == 5 == fetcher.requests
        assert _max_overlap(log_requests(emulator)) <= 2
        clock.now += 61  # a minute later the budget allows five more
        runner.run_until(runner.sim_time + 30)  # the crash loops go on: the model asks again
        await watcher.until(lambda: len(_excerpts(watcher)) == 10, "ten excerpts")
        assert len(log_requests(emulator)) == 10
    finally:
        await watcher.stop()


async def test_forbidden_logs_are_reported_once_and_the_watch_goes_on(
    emulator, loki, kubeconfig_path
):
    play_until(loki, lambda: crashed_twice(loki))
    emulator.faults.forbid("pods/log")
    watcher, fetcher = await watch(emulator, kubeconfig_path(emulator))
    try:
        await watcher.until(lambda: fetcher.forbidden, "the 403")
        (health,) = [
            i for i in watcher.items if isinstance(i, StreamHealth) and i.resource == LOG_STREAM
        ]
        assert health.state is HealthState.FORBIDDEN
        assert health.detail.startswith('logs not readable (RBAC): pods "loki-0" is forbidden')
        assert watcher.store.health["pods"].state is HealthState.LIVE
        play_until(loki, lambda: loki_status(loki)["restartCount"] >= 4)

        def restarts_seen() -> int:
            pod = watcher.store.get("Pod", "loki", "loki-0") or {}
            statuses = pod.get("status", {}).get("containerStatuses", [])
            return max((s.get("restartCount", 0) for s in statuses), default=0)

        await watcher.until(lambda: restarts_seen() >= 4, "pod changes still arriving")
        assert len(log_requests(emulator)) == 1
        assert watcher.excerpt("bp-loki") is None
    finally:
        await watcher.stop()


async def test_a_run_without_a_log_is_quietly_done(emulator, loki, kubeconfig_path):
    play_until(loki, lambda: crashed_twice(loki))
    watcher, fetcher = await watch(emulator, kubeconfig_path(emulator))
    try:
        await watcher.until(lambda: watcher.excerpt("bp-loki"), "the loki excerpt")
        uid = emulator.store.get("pods", "loki", "loki-0")["metadata"]["uid"]
        ghost = LogTarget("loki", "loki-0", uid, "sidecar", previous=True, restarts=0)
        fetcher.want([ghost])
        await watcher.until(lambda: len(log_requests(emulator)) == 2, "the sidecar request")
        await watcher.until(lambda: not fetcher._in_flight, "its answer")
        assert log_requests(emulator)[-1].status == 400
        fetcher.want([ghost])
        await asyncio.sleep(0)  # the pump runs on the next turn; nothing is pending for it
        assert not fetcher._pending
        assert len(log_requests(emulator)) == 2
        assert not fetcher.forbidden
        assert not [
            i for i in watcher.items if isinstance(i, StreamHealth) and i.resource == LOG_STREAM
        ]
    finally:
        await watcher.stop()


async def test_no_logs_never_asks(emulator, loki, kubeconfig_path):
    play_until(loki, lambda: crashed_twice(loki))
    session = await live_session(
        Invocation(command="watch", no_logs=True), kubeconfig=str(kubeconfig_path(emulator))
    )
    assert session.logs is None
    watcher = Watcher(session).start()
    try:
        await watcher.until(
            lambda: (watcher.root_cause("bp-loki") or {}).get("name") == "loki-0",
            "loki's pod as the root cause",
        )
        play_until(loki, lambda: loki_status(loki)["restartCount"] >= 3)
        seen = len(watcher.items)
        await watcher.until(lambda: len(watcher.items) > seen, "more changes")
        assert log_requests(emulator) == []
        assert watcher.excerpt("bp-loki") is None
    finally:
        await watcher.stop()


async def test_a_recorded_excerpt_replays_the_same_root_cause(
    emulator, loki, kubeconfig_path, tmp_path
):
    play_until(loki, lambda: crashed_twice(loki))
    watcher, _ = await watch(emulator, kubeconfig_path(emulator))
    path = tmp_path / "rec.ndjson"
    try:
        await watcher.until(lambda: watcher.excerpt("bp-loki"), "the loki excerpt")
        live_cause = watcher.root_cause("bp-loki")
        with Recorder(path, context="sim", server=emulator.url) as recorder:
            for item in watcher.items:
                recorder.write(item)
    finally:
        await watcher.stop()
    with RecordingReader(path) as reader:
        replayed = list(reader)
    assert any(isinstance(i, WatchEvent) and i.resource == EXCERPT_RESOURCE for i in replayed)
    session = Session(source=None, context="sim", server=emulator.url, started=0.0)
    pipeline = pipeline_of(Invocation(command="replay"), session, HEADLESS)
    for item in replayed:
        pipeline.store.apply(item)
    snapshot = pipeline.evaluate().to_dict()
    (release,) = [r for r in snapshot["releases"] if r["name"] == "bp-loki"]
    assert release["rootCause"]["logExcerpt"] == live_cause["logExcerpt"]
    assert release["rootCause"]["chain"] == live_cause["chain"]


def _crashed_pods(emulator: Emulator) -> int:
    count = 0
    for pod in emulator.store.list("pods")[0]:
        for status in pod.get("status", {}).get("containerStatuses", []):
            if (status.get("lastState") or {}).get("terminated"):
                count += 1
    return count


def _excerpts(watcher: Watcher) -> list[WatchEvent]:
    return [
        i for i in watcher.items if isinstance(i, WatchEvent) and i.resource == EXCERPT_RESOURCE
    ]


def _max_overlap(records) -> int:
    """Most requests open at the same time, from their arrival times and durations."""
    spans = [(r.time, r.time + (r.duration or 0.0)) for r in records]
    return max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)


async def test_helm_controllers_own_lines_about_a_failing_release(emulator, loki, kubeconfig_path):
    play_until(loki, lambda: crashed_twice(loki))
    watcher, fetcher = await watch(emulator, kubeconfig_path(emulator))
    try:
        await watcher.until(
            lambda: _release(watcher, "bp-loki").get("helmControllerLog"),
            "helm-controller's lines about bp-loki",
        )
        lines = _release(watcher, "bp-loki")["helmControllerLog"]
        assert [line["msg"] for line in lines] == [
            "HelmChart 'flux-system/flux-system-bp-loki' is not ready: latest generation of "
            "object has not been reconciled",
            "release not installed: no release in storage for object",
            "running 'install' action with timeout of 5m0s",
            "release in-sync with desired state",
        ]
        assert {line["level"] for line in lines} == {"info"}
        assert all(line["ts"].endswith("Z") for line in lines)
        (request,) = controller_log_requests(emulator)
        assert request.path.startswith("/api/v1/namespaces/flux-system/pods/helm-controller-")
        assert request.query["container"] == "manager"
        assert "previous" not in request.query
        selector = [
            r
            for r in emulator.request_log
            if r.path == "/api/v1/namespaces/flux-system/pods" and not r.watch
        ]
        assert [r.query.get("labelSelector") for r in selector] == ["app=helm-controller"]
        assert not fetcher.forbidden
    finally:
        await watcher.stop()


def _release(watcher: Watcher, name: str) -> dict:
    for release in watcher.snapshot.get("releases", []):
        if release["name"] == name:
            return release
    return {}


async def test_read_log_never_takes_more_than_its_limit(emulator, loki, kubeconfig_path):
    """Even from a server that would send more (here: no limitBytes asked of it)."""
    from sovwatch.kube.pod_logs import LogRequest, read_log

    play_until(loki, lambda: crashed_twice(loki))
    connection = await config.load_connection((kubeconfig_path(emulator),), settings=FAST)
    async with await api.connect(connection, settings=FAST) as client:
        request = LogRequest("loki", "loki-0", "loki", previous=True)
        whole = await read_log(client, request)
        assert whole.endswith('permission denied"\n')
        text = await client.get_text(request.path, request.params(), limit=25)
    assert text == whole[:25]


async def test_no_helm_controller_is_not_looked_for_at_every_change(emulator, kubeconfig_path):
    """Releases failing one after another with no helm-controller pod (Flux not installed yet):
    one pod lookup, not one per release state change, until `controller_recheck` passes."""
    connection = await config.load_connection((kubeconfig_path(emulator),), settings=FAST)
    client = await api.connect(connection, settings=FAST)
    clock = ManualClock()
    fetcher = LogFetcher(client, monotonic=clock)
    arrived: list = []

    async def put(item) -> None:
        arrived.append(item)

    def lookups() -> list:
        return [
            r
            for r in emulator.request_log
            if r.path == "/api/v1/namespaces/flux-system/pods" and not r.watch
        ]

    async def failing(signature: str) -> None:
        target = ControllerLogTarget("flux-system", "bp-app", signature)
        fetcher.want([target])
        deadline = time.monotonic() + WAIT
        while target.run_key not in fetcher._done:
            assert time.monotonic() < deadline, f"the fetcher settling {signature}"
            await asyncio.sleep(0.01)

    fetcher.start(put)
    try:
        await failing("failed/InstallFailed")
        assert len(lookups()) == 1
        clock.now += 1
        await failing("failed/UpgradeFailed")
        clock.now += LogSettings().controller_recheck - 2
        await failing("stalled/RetriesExceeded")
        assert len(lookups()) == 1
        clock.now += 2
        await failing("failed/InstallFailed/again")
        assert [r.query.get("labelSelector") for r in lookups()] == ["app=helm-controller"] * 2
        assert not controller_log_requests(emulator)
        assert arrived == []
    finally:
        await fetcher.aclose()
        await client.close()
