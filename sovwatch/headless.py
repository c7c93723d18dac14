"""The headless runner: a pipeline's snapshots -> transitions -> plain or NDJSON view -> exit code.

One runner serves the live watch, the demo and replay, so CI, scripts and recordings all see the
same model. It subscribes to a `Pipeline` (whose `HEADLESS` coalescing makes a recording give the
same output every time) and turns consecutive snapshots into transitions. Time is the source's
time: the wall clock live, the recording's clock in replay, so timestamps, durations and timeouts
read as they happened. A cached picture (`Snapshot.stale`) is shown once, before the first live
one, and is neither decided from nor diffed against. With `exit_on_done` the model also runs once per tick while nothing arrives
(an outcome can change just because time passes: timeout, flux not reconciling).

Exit codes (see `sovwatch.exitcodes`): with `exit_on_done` the loop ends as soon as the model's
outcome is decided (ready 0, failed 1, timeout 3, flux-not-reconciling 4: the one verdict of
`model/outcome.py`), or on the first failed or stalled release with `fail_fast` (1). A recording
that ends first ends with 3 under `exit_on_done`, else 0. Cancellation (Ctrl-C, SIGTERM, SIGHUP) prints the summary and gives 130.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol, TextIO

from sovwatch.exitcodes import ExitCode
from sovwatch.model.snapshot import Snapshot
from sovwatch.pipeline import Pipeline, Update
from sovwatch.sources.events import SourceItem, StreamHealth
from sovwatch.store.store import Store
from sovwatch.views import transitions as changes
from sovwatch.views.transitions import Transition
from sovwatch.views.verdict import decision, explain


class HeadlessView(Protocol):
    """What the loop tells a view (`PlainView`, `NdjsonView`)."""

    def stream(self, health: StreamHealth, *, synced: bool) -> None: ...
    def cached(self, snapshot: Snapshot, ts: float) -> None: ...
    def synced(self, snapshot: Snapshot, initial: list[Transition], ts: float) -> None: ...
    def changed(self, snapshot: Snapshot, transitions: list[Transition], ts: float) -> None: ...
    def once(self, snapshot: Snapshot) -> None: ...
    def finished(
        self, snapshot: Snapshot, *, outcome: str, code: int, why: str, ts: float
    ) -> None: ...


@dataclass(frozen=True)
class HeadlessOptions:
    once: bool = False
    """Print one snapshot when every stream has listed, then exit 0."""
    exit_on_done: bool = False
    fail_fast: bool = False
    log_grace: float = 5.0
    """Wall-clock seconds a decided failure waits for log tails still being read, so the summary
    carries their decisive lines (`logs_busy`)."""


class HeadlessRunner:
    """One headless session: subscribes a view to a pipeline; `await run(source)` returns the exit
    code."""

    def __init__(
        self,
        *,
        view: HeadlessView,
        pipeline: Pipeline,
        options: HeadlessOptions = HeadlessOptions(),  # noqa: B008 - frozen, shared safely
        diagnostics: TextIO = sys.stderr,
        logs_busy: Callable[[], bool] = lambda: False,
    ):
        """`logs_busy`: whether culprit containers not read yet are still being read."""
        self._view = view
        self.pipeline = pipeline
        self._logs_busy = logs_busy
        self._failed_at: float | None = None
        self._decided: tuple[ExitCode, str, str] | None = None
        self._options = options
        self._diagnostics = diagnostics
        self._cached_shown = False
        """The kept picture was printed (it is published again as stream health changes)."""
        self._last: Snapshot | None = None
        self._done: asyncio.Future[ExitCode] | None = None
        pipeline.subscribe(self)

    @property
    def store(self) -> Store:
        return self.pipeline.store

    def begin(self) -> asyncio.Future[ExitCode]:
        """Listen to a pipeline that someone else feeds (a fleet's member); the future is the exit
        code once this run is over (`interrupt` ends it early)."""
        self._done = asyncio.get_running_loop().create_future()
        return self._done

    def settle(self, code: ExitCode) -> None:
        """End without a word: whoever called decided this run and said so (a fleet deciding a
        member it could not watch)."""
        self._resolve(code)

    def interrupt(self) -> None:
        """End now as Ctrl-C does: the summary with the model's word, exit code 130."""
        self._finish(ExitCode.INTERRUPTED, "interrupted")

    async def run(self, source: AsyncIterator[SourceItem]) -> ExitCode:
        self.begin()
        feeding = asyncio.create_task(self._feed(source))
        try:
            return await asyncio.shield(self._done)
        except asyncio.CancelledError:
            self.interrupt()
            return ExitCode.INTERRUPTED
        finally:
            feeding.cancel()
            await asyncio.gather(feeding, return_exceptions=True)

    async def _feed(self, source: AsyncIterator[SourceItem]) -> None:
        try:
            await self.pipeline.run(source)
        except asyncio.CancelledError:
            raise
        except BaseException as err:  # a fatal source error ends the run with it
            if self._done is not None and not self._done.done():
                self._done.set_exception(err)

    @property
    def _ended(self) -> bool:
        return self._done is not None and self._done.done()

    # -- what the pipeline says ------------------------------------------------------------------

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        if not self._ended and not self._options.once:  # --once prints its snapshot only
            self._view.stream(health, synced=synced)

    def unlisted(self, resources: list[str]) -> None:
        what = ", ".join(resources) if resources else "no stream has reported yet"
        print(
            f"sovwatch: not every stream listed within {self.pipeline.coalescing.sync_timeout:g}s "
            f"({what}); showing what is known",
            file=self._diagnostics,
            flush=True,
        )

    def update(self, update: Update) -> None:
        if self._ended:
            return
        snapshot, now = update.snapshot, update.now
        if snapshot.stale is not None:  # shown once, never decided from, never diffed against
            if not (self._options.once or self._cached_shown):
                self._view.cached(snapshot, now)
            self._cached_shown = True
            return
        if update.first and self._options.once:
            self._view.once(snapshot)
            self._resolve(ExitCode.READY)
            return
        if update.first:
            self._view.synced(snapshot, changes.diff(None, snapshot, ts=now), now)
        else:
            self._view.changed(snapshot, changes.diff(self._last, snapshot, ts=now), now)
        self._last = snapshot
        self._check_done(snapshot, now)

    def tick(self, now: float) -> None:
        """An outcome can change just because time passes (timeout, flux not reconciling)."""
        if (
            self._options.exit_on_done
            and self.pipeline.synced  # not a kept picture's tick
            and now - self.pipeline.last_run >= self.pipeline.coalescing.tick
        ):
            self.pipeline.publish()

    def ended(self) -> None:
        if self._ended:
            return
        if self._options.exit_on_done:
            self._finish(ExitCode.TIMEOUT, "the source ended before the rollout finished")
        else:
            self._finish(ExitCode.READY, "")

    # -- the end ---------------------------------------------------------------------------------

    def _check_done(self, snapshot: Snapshot, now: float) -> None:
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

    def _decision(self, snapshot: Snapshot) -> tuple[ExitCode, str, str] | None:
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

    def _finish(self, code: ExitCode, why: str) -> None:
        """End without a decided outcome (source ended, interrupted): report the model's word."""
        snapshot = self.pipeline.evaluate()
        extra = explain(snapshot, code) if code is not ExitCode.READY else ""
        why = "; ".join(p for p in (why, extra) if p)
        self._conclude(snapshot, snapshot.observed_at, code, snapshot.outcome, why)

    def _conclude(
        self, snapshot: Snapshot, now: float, code: ExitCode, outcome: str, why: str
    ) -> None:
        if self._ended:
            return
        self._view.finished(snapshot, outcome=outcome, code=code, why=why, ts=now)
        self._resolve(code)

    def _resolve(self, code: ExitCode) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_result(code)
