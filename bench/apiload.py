"""Benchmark 3, API load: requests per minute in steady state, counted in the emulator's request
log, for sovwatch versus `watch -n2 kubectl get hr,pods -A` and versus a k9s-like poller.

Each subject gets its own emulator (same cluster, the same light churn of one change per second),
so every request in a log belongs to one subject. They run at the same time; after a warm-up the
requests in a fixed window are counted and scaled to a minute.

The k9s-like subject is an emulation of its request pattern (derailed/k9s `internal/model/table.go`
and `internal/dao/table.go`), not k9s itself: a HelmRelease view re-LISTs the CRD as a Table on every 2 s refresh tick, and
pods come from an informer (one list, then one watch).

    python -m bench.apiload [--smoke]
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import aiohttp

from bench import procs, subjects
from bench.host import EmulatorHost
from bench.population import KIT, SMOKE, Churn, populate
from bench.results import BenchResult, Measurement, Target
from bench.run_one import main_for

WATCH_KUBECTL = "watch -n2 kubectl get hr,pods -A"
K9S_LIKE = "k9s-like (emulated: 2 s HR Table re-list + pod informer)"
SOVWATCH = "sovwatch (headless)"
K9S_REFRESH = 2.0
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
HR_PATH = "/apis/helm.toolkit.fluxcd.io/v2/helmreleases"


async def k9s_like(host: EmulatorHost, stop: asyncio.Event) -> None:
    """The request pattern of k9s showing HelmReleases, with pods held by an informer."""
    emu = host.emulator
    context = ssl.create_default_context(cafile=str(emu.ca_path))
    headers = {"Authorization": f"Bearer {emu.token}"}
    async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as session:
        async with session.get("/api/v1/pods", params={"limit": "500"}, ssl=context) as resp:
            rv = (await resp.json())["metadata"]["resourceVersion"]
        params = {"watch": "true", "resourceVersion": rv, "allowWatchBookmarks": "true"}
        async with session.get("/api/v1/pods", params=params, ssl=context) as watch:
            informer = asyncio.create_task(_discard(watch))
            try:
                while not stop.is_set():
                    async with session.get(
                        HR_PATH, headers={"Accept": TABLE_ACCEPT}, ssl=context
                    ) as resp:
                        await resp.read()
                    try:
                        await asyncio.wait_for(stop.wait(), K9S_REFRESH)
                    except TimeoutError:
                        pass
            finally:
                informer.cancel()


async def _discard(response: aiohttp.ClientResponse) -> None:
    async for _ in response.content.iter_any():
        pass


def _light_churn(host: EmulatorHost, churn: Churn, stop: asyncio.Event) -> asyncio.Future:
    async def play() -> None:
        while not stop.is_set():
            host.store.put(churn.next_object())
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass

    return asyncio.run_coroutine_threadsafe(play(), host.loop)


def run(*, smoke: bool = False) -> BenchResult:
    size = SMOKE if smoke else KIT
    warmup, window = (2.0, 2.0) if smoke else (10.0, 60.0)
    names = [SOVWATCH, WATCH_KUBECTL, K9S_LIKE]
    missing = subjects.missing_headless()
    if missing:
        names.remove(SOVWATCH)
    with ExitStack() as stack:
        tmpdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-api-")))
        hosts = {name: stack.enter_context(EmulatorHost()) for name in names}
        stops: dict[str, asyncio.Event] = {}
        for name, host in hosts.items():
            host.call(populate, host.store, size)
            stops[name] = host.call(asyncio.Event)
            _light_churn(host, Churn(size), stops[name])
        started = time.time()
        if SOVWATCH in hosts:
            kc = hosts[SOVWATCH].kubeconfig(tmpdir / "sovwatch.kubeconfig")
            child = procs.spawn(
                subjects.sovwatch(kc, "-o", "json"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=procs.python_env(),
            )
            stack.callback(procs.stop, child)
        kc = hosts[WATCH_KUBECTL].kubeconfig(tmpdir / "watch.kubeconfig")
        argv = procs.kubectl(kc, tmpdir / "cache", "get", "hr,pods", "-A")
        term = procs.PtyProcess(["watch", "-n2", *argv]).start()
        stack.callback(term.close)
        k9s_host = hosts[K9S_LIKE]
        k9s = asyncio.run_coroutine_threadsafe(k9s_like(k9s_host, stops[K9S_LIKE]), k9s_host.loop)
        term.pump(warmup)
        begin = time.time()
        term.pump(window)
        end = time.time()
        for name, host in hosts.items():
            host.loop.call_soon_threadsafe(stops[name].set)
        k9s.result(10)
        measurements = []
        for name in [SOVWATCH, WATCH_KUBECTL, K9S_LIKE]:
            if name not in hosts:
                measurements.append(Measurement(name, None, missing or ""))
                continue
            measurements.append(_row(name, hosts[name], started, begin, end))
    sovwatch_resources = _sovwatch_resources(measurements)
    return BenchResult(
        name="apiload",
        title="API load in steady state",
        unit="requests / min",
        peer=WATCH_KUBECTL,
        measurements=tuple(measurements),
        targets=(
            Target(
                f"about one request per resource per 5 min ({sovwatch_resources} resources)",
                SOVWATCH,
                limit=max(sovwatch_resources, 1) / 5.0,
            ),
        ),
        notes=(f"window {window:.0f} s after {warmup:.0f} s warm-up, {size.releases} releases",),
    )


def _row(name: str, host: EmulatorHost, started: float, begin: float, end: float) -> Measurement:
    everything = host.requests_between(started, end)
    window = [r for r in everything if r.time >= begin]
    per_minute = len(window) * 60.0 / (end - begin)
    kinds = Counter(f"{'watch' if r.watch else r.method} {r.path}" for r in window)
    watches = [r for r in everything if r.watch]
    extra: dict = {
        "window_requests": len(window),
        "window_seconds": end - begin,
        "startup_requests": len(everything) - len(window),
        "window_by_path": dict(kinds.most_common()),
    }
    note = f"{len(window)} in {end - begin:.0f} s"
    if name == SOVWATCH:
        resources = sorted({r.path for r in watches})
        timeouts = [
            float(r.query["timeoutSeconds"]) for r in watches if "timeoutSeconds" in r.query
        ]
        extra["watched_resources"] = resources
        extra["watch_requests_total"] = len(watches)
        if timeouts:
            projected = sum(60.0 / t for t in timeouts[: len(resources)])
            extra["projected_per_minute"] = projected
            note += (
                f"; {len(resources)} watches, timeoutSeconds ~{sum(timeouts) / len(timeouts):.0f}"
                f" -> {projected:.2f}/min long-run"
            )
    return Measurement(name, per_minute, note, extra=extra)


def _sovwatch_resources(measurements: list[Measurement]) -> int:
    for m in measurements:
        if m.subject == SOVWATCH:
            return len(m.extra.get("watched_resources", ()))
    return 0


if __name__ == "__main__":
    main_for(run)
