"""The headless loop: source -> store -> model (at a bounded rate) -> plain or NDJSON view -> exit code.

One loop serves the live watch, the demo and replay, so CI, scripts and recordings all see the same
model. Time is the source's time (`clock`): the wall clock live, the recording's clock in replay,
so timestamps, durations and timeouts read as they happened. The model runs at most once per
`interval` of that time while changes arrive, and once per `tick` of wall time otherwise (an outcome
can change just because time passes: timeout, flux not reconciling).

Exit codes (see `sovwatch.exitcodes`): with `exit_on_done` the loop ends as soon as the model's
outcome is decided (ready 0, failed 1, timeout 3, flux-not-reconciling 4: the one verdict of
`model/outcome.py`), or on the first failed or stalled release with `fail_fast` (1). A recording that ends first ends with 3 under
`exit_on_done`, else 0. Cancellation (Ctrl-C, SIGTERM, SIGHUP) prints the summary and gives 130.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol, TextIO

from sovwatch.exitcodes import ExitCode
from sovwatch.sources.events import SourceItem, StreamHealth
from sovwatch.sources.replay import item_time
from sovwatch.store.store import Store
from sovwatch.views import transitions as changes
from sovwatch.views.transitions import Transition
from sovwatch.views.verdict import decision, explain

Evaluate = Callable[[Store, float], dict]
"""(store, now) -> the `sovwatch.snapshot/v1` document."""


class HeadlessView(Protocol):
    """What the loop tells a view (`PlainView`, `NdjsonView`)."""

    def stream(self, health: StreamHealth, *, synced: bool) -> None: ...
    def synced(self, snapshot: dict, initial: list[Transition], ts: float) -> None: ...
    def changed(self, snapshot: dict, transitions: list[Transition], ts: float) -> None: ...
    def once(self, snapshot: dict) -> None: ...
    def finished(self, snapshot: dict, *, outcome: str, code: int, why: str, ts: float) -> None: ...


@dataclass(frozen=True)
class HeadlessOptions:
    once: bool = False
    """Print one snapshot when every stream has listed, then exit 0."""
    exit_on_done: bool = False
    fail_fast: bool = False
    interval: float = 0.5
    """Source-time seconds between model runs while changes arrive: bounds CPU under event storms
    while keeping transition timestamps within half a second."""
    tick: float = 1.0
    """Wall-clock seconds between checks when nothing arrives (time-based outcomes, sync timeout)."""
    sync_timeout: float = 30.0
    """How long to wait for every stream to list before showing what there is anyway."""
    log_grace: float = 5.0
    """Wall-clock seconds a decided failure waits for log tails still being read, so the summary
    carries their decisive lines (`logs_busy`)."""


class HeadlessRunner:
    """Runs one headless session; `await run(source)` returns the exit code."""

    def __init__(
        self,
        *,
        view: HeadlessView,
        evaluate: Evaluate,
        clock: Callable[[], float] = time.time,
        options: HeadlessOptions = HeadlessOptions(),  # noqa: B008 - frozen, shared safely
        diagnostics: TextIO = sys.stderr,
        logs_busy: Callable[[], bool] = lambda: False,
    ):
        """`logs_busy`: whether culprit containers not read yet are still being read."""
        self._view = view
        self._logs_busy = logs_busy
        self._failed_at: float | None = None
        self._decided: tuple[ExitCode, str, str] | None = None
        self._evaluate_fn = evaluate
        self._clock = clock
        self._options = options
        self._diagnostics = diagnostics
        self.store = Store()
        self._synced = False
        self._last: dict | None = None
        self._last_t = float("-inf")
        self._last_rev = -1
        self._latest = float("-inf")
        self._started = time.monotonic()
        self._done: asyncio.Future[ExitCode] | None = None

    async def run(self, source: AsyncIterator[SourceItem]) -> ExitCode:
        self._done = asyncio.get_running_loop().create_future()
        consumer = asyncio.create_task(self._consume(source))
        ticker = asyncio.create_task(self._tick())
        try:
            return await asyncio.shield(self._done)
        except asyncio.CancelledError:
            self._finish(ExitCode.INTERRUPTED, "interrupted")
            return ExitCode.INTERRUPTED
        finally:
            for task in (consumer, ticker):
                task.cancel()
            await asyncio.gather(consumer, ticker, return_exceptions=True)

    # -- feeding ---------------------------------------------------------------------------------

    async def _consume(self, source: AsyncIterator[SourceItem]) -> None:
        try:
            async for item in source:
                self._on_item(item)
                if self._ended:
                    return
            self._source_ended()
        except asyncio.CancelledError:
            raise
        except BaseException as err:  # a fatal source error ends the run with it
            if self._done is not None and not self._done.done():
                self._done.set_exception(err)

    @property
    def _ended(self) -> bool:
        return self._done is not None and self._done.done()

    def _on_item(self, item: SourceItem) -> None:
        """Apply every item received (so a recording holds exactly what the run saw), then run
        the model if enough source time has passed since it last ran."""
        t = item_time(item)
        self._latest = max(self._latest, t)
        before = self.store.health.get(item.resource) if isinstance(item, StreamHealth) else None
        self.store.apply(item)
        if isinstance(item, StreamHealth):
            changed = before is None or (before.state, before.attempt, before.detail) != (
                item.state,
                item.attempt,
                item.detail,
            )
            if changed and not self._options.once:  # --once prints its snapshot and nothing else
                self._view.stream(item, synced=self._synced)
            if not self._synced and self._all_settled():
                self._sync()
                return
        if self._synced and self._due(self._now()):
            self._evaluate()

    def _all_settled(self) -> bool:
        health = self.store.health
        return bool(health) and all(h.settled for h in health.values())

    def _due(self, now: float) -> bool:
        return (
            self.store.revision != self._last_rev and now - self._last_t >= self._options.interval
        )

    async def _tick(self) -> None:
        while not self._ended:
            await asyncio.sleep(self._options.tick)
            if not self._synced:
                if time.monotonic() - self._started >= self._options.sync_timeout:
                    self._warn_unsynced()
                    self._sync()
            elif self._due(self._now()) or (
                self._options.exit_on_done and self._now() - self._last_t >= self._options.tick
            ):
                self._evaluate()

    def _warn_unsynced(self) -> None:
        waiting = sorted(r for r, h in self.store.health.items() if not h.settled)
        what = ", ".join(waiting) if waiting else "no stream has reported yet"
        print(
            f"sovwatch: not every stream listed within {self._options.sync_timeout:g}s ({what}); "
            "showing what is known",
            file=self._diagnostics,
            flush=True,
        )

    # -- the model and the view ------------------------------------------------------------------

    def _now(self) -> float:
        """Source time: the clock, but never before the newest item applied (an instant replay's
        clock only moves when the next item is asked for)."""
        return max(self._clock(), self._latest)

    def _snapshot(self) -> tuple[dict, float]:
        now = self._now()
        snapshot = self._evaluate_fn(self.store, now)
        self._last_t, self._last_rev = now, self.store.revision
        return snapshot, now

    def _sync(self) -> None:
        self._synced = True
        snapshot, now = self._snapshot()
        if self._options.once:
            self._view.once(snapshot)
            self._resolve(ExitCode.READY)
            return
        self._view.synced(snapshot, changes.diff(None, snapshot, ts=now), now)
        self._last = snapshot
        self._check_done(snapshot, now)

    def _evaluate(self) -> None:
        snapshot, now = self._snapshot()
        self._view.changed(snapshot, changes.diff(self._last, snapshot, ts=now), now)
        self._last = snapshot
        self._check_done(snapshot, now)

    def _check_done(self, snapshot: dict, now: float) -> None:
        """End the run when the model's outcome is decided (a stalled release makes it `failed`:
        `model/outcome.py`), or with `fail_fast` as soon as any release fails. A failure, once
        decided, stays the verdict; its summary waits (at most `log_grace`) for log tails still
        being read, so it has their decisive lines."""
        if not self._options.exit_on_done:
            return
        if self._decided is None:
            self._decided = self._decision(snapshot)
            if self._decided is None:
                return
        code, outcome, why = self._decided
        if code is not ExitCode.READY and self._reading_logs():
            return  # a later evaluation concludes, with the log tails that arrived meanwhile
        self._conclude(snapshot, now, code, outcome, why)

    def _decision(self, snapshot: dict) -> tuple[ExitCode, str, str] | None:
        """(code, outcome, why) when the run is over, else None."""
        decided = decision(snapshot, fail_fast=self._options.fail_fast)
        if decided is None:
            return None
        code, outcome = decided
        return code, outcome, explain(snapshot, code)

    def _reading_logs(self) -> bool:
        """True while a decided failure waits (at most `log_grace`) for log tails being read."""
        if not self._logs_busy():
            return False
        if self._failed_at is None:
            self._failed_at = time.monotonic()
        return time.monotonic() - self._failed_at < self._options.log_grace

    def _source_ended(self) -> None:
        if self._ended:
            return
        if not self._synced:
            self._sync()
            if self._ended:
                return
        self._evaluate()
        if self._ended:
            return
        if self._options.exit_on_done:
            why = "the source ended before the rollout finished"
            self._finish(ExitCode.TIMEOUT, why)
        else:
            self._finish(ExitCode.READY, "")

    def _finish(self, code: ExitCode, why: str) -> None:
        """End without a decided outcome (source ended, interrupted): report the model's word."""
        snapshot, now = self._snapshot()
        extra = explain(snapshot, code) if code is not ExitCode.READY else ""
        why = "; ".join(p for p in (why, extra) if p)
        self._conclude(snapshot, now, code, snapshot.get("outcome", ""), why)

    def _conclude(self, snapshot: dict, now: float, code: ExitCode, outcome: str, why: str) -> None:
        if self._ended:
            return
        self._view.finished(snapshot, outcome=outcome, code=code, why=why, ts=now)
        self._resolve(code)

    def _resolve(self, code: ExitCode) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(code)
