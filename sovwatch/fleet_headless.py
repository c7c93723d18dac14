"""The headless fleet: every member's pipeline into its own headless runner and view, one exit code.

Each member gets what one cluster gets (`HeadlessRunner`, `PlainView` or `NdjsonView`) with its
name on every plain line (`sov-a 12:04:31 ...`) and in every NDJSON record (`"cluster"`). A
member's trouble is a line (`sov-c 12:04:31 trouble: <the Bad input table's message>`, `watching
again` when it clears) or a `{"type": "cluster", "ts", "cluster", "server", "trouble"}` record.

- `--once`: when every member has its first snapshot or its first trouble, one document:
  `sovwatch.fleet/v1` (`-o json`) or each member's table (plain); exit 0, or 2 if a member was in
  trouble instead (its `error` in the document, a `trouble:` line in plain).
- `--exit-on-done`: ends when every member is decided; the exit code is the worst of theirs
  (`exitcodes.WORST_FIRST`). A member in trouble is undecided while it retries (an API server that is not up
  yet may come up); when `--timeout` passes with it still in trouble (or never connected) it is
  decided as 2, outcome `trouble`. The last line (plain) or record (`{"type": "fleet", ...}`) is the fleet's.
- `--fail-fast`: the first member that fails ends the fleet with 1.
- Ctrl-C: every undecided member's summary, then 130.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from sovwatch.exitcodes import ExitCode, worst
from sovwatch.fleet import Fleet, Member
from sovwatch.headless import HeadlessOptions, HeadlessRunner
from sovwatch.kube.errors import NO_ANSWER_YET
from sovwatch.model.fleet import TROUBLE, counts_text, outcome_counts
from sovwatch.model.outcome import Outcome
from sovwatch.model.snapshot import Snapshot
from sovwatch.model.times import format_time
from sovwatch.pipeline import Update
from sovwatch.sources.events import StreamHealth
from sovwatch.views.ndjson import NdjsonView, write_fleet
from sovwatch.views.plain import PlainView, clock


@dataclass
class _Entry:
    """What the headless fleet keeps for one member."""

    member: Member
    runner: HeadlessRunner | None = None
    done: asyncio.Future[ExitCode] | None = None
    code: ExitCode | None = None
    outcome: str = ""
    first: Snapshot | None = None
    """`--once`: the first snapshot."""
    seen: list[str] = field(default_factory=list)


class HeadlessFleet:
    """Subscribes to a fleet (before members are added); `await run()` returns the exit code."""

    def __init__(
        self,
        fleet: Fleet,
        *,
        out: TextIO,
        output: str,
        options: HeadlessOptions,
        color: bool = False,
        timeout: float = math.inf,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`timeout`: wall seconds after which members still in trouble are decided (outcome `trouble`, 2)."""
        self._fleet = fleet
        self._out = out
        self._json = output == "json"
        self._color = color
        self._options = options
        self._timeout = timeout
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._changed = asyncio.Event()
        self._code: ExitCode | None = None
        fleet.subscribe(self)

    # -- FleetSubscriber -------------------------------------------------------------------------

    def member_added(self, member: Member) -> None:
        entry = _Entry(member)
        self._entries[member.name] = entry
        if self._options.once:
            member.pipeline.subscribe(_FirstSnapshot(self, entry))
            return
        view = (
            NdjsonView(self._out, cluster=member.name)
            if self._json
            else PlainView(self._out, color=self._color, prefix=f"{member.name} ")
        )
        entry.runner = HeadlessRunner(view=view, pipeline=member.pipeline, options=self._options)
        entry.done = entry.runner.begin()
        entry.done.add_done_callback(lambda _: self._changed.set())

    def member_removed(self, member: Member) -> None:
        entry = self._entries.pop(member.name, None)
        if entry is not None and not self._options.once and entry.code is None:
            self._member_line(member, "removed from the fleet", removed=True)
        self._changed.set()

    def member_trouble(self, member: Member) -> None:
        entry = self._entries.get(member.name)
        if entry is None:
            return
        if not self._options.once and entry.code is None:
            self._trouble_line(member)
        self._changed.set()

    def fleet_notice(self, notice: str | None) -> None:
        """Headless, the log says it on stderr (`sources.kubeconfig_dir`)."""

    # -- the run ---------------------------------------------------------------------------------

    async def run(self) -> ExitCode:
        """Until every member is decided (or the fleet fails fast); cancelling ends it with 130."""
        deadline = time.monotonic() + self._timeout
        try:
            while (code := self._verdict(deadline)) is None:
                self._changed.clear()
                wait = deadline - time.monotonic()
                try:
                    # past the deadline (members in trouble decided), only a change can end it
                    async with asyncio.timeout(None if math.isinf(wait) or wait <= 0 else wait):
                        await self._changed.wait()
                except TimeoutError:
                    pass
        except asyncio.CancelledError:
            for entry in self._entries.values():
                if entry.runner is not None and entry.code is None:
                    entry.runner.interrupt()
            self._collect()
            code = ExitCode.INTERRUPTED
        if self._options.once:
            self._print_once()
        elif self._options.exit_on_done or code is ExitCode.INTERRUPTED:
            self._fleet_line(code)
        return code

    def _collect(self) -> None:
        for entry in self._entries.values():
            if entry.code is None and entry.done is not None and entry.done.done():
                entry.code = entry.done.result()
                snapshot = entry.member.pipeline.latest
                entry.outcome = snapshot.outcome if snapshot is not None else TROUBLE

    def _verdict(self, deadline: float) -> ExitCode | None:
        """The fleet's exit code once it is over, else None."""
        entries = list(self._entries.values())
        if self._options.once:  # a fleet of none (an empty --kubeconfig-dir) prints an empty one
            if all(e.first is not None or e.member.trouble for e in entries):
                failed = any(e.first is None for e in entries)
                return ExitCode.USAGE if failed else ExitCode.READY
            return None
        self._collect()
        codes = [e.code for e in entries if e.code is not None]
        if self._options.fail_fast and ExitCode.FAILED in codes:
            return ExitCode.FAILED
        if time.monotonic() >= deadline:
            self._decide_troubled(opening=True)
        if entries and all(e.code is not None for e in entries):
            return worst(e.code for e in entries if e.code is not None)
        return None

    def decide_troubled(self) -> None:
        """With `exit_on_done`, decide every undecided member in trouble now, as `trouble` (a replay
        ended with them in trouble)."""
        if self._options.exit_on_done:
            self._decide_troubled(opening=False)
            self._changed.set()

    def _decide_troubled(self, *, opening: bool) -> None:
        """Decide members in trouble (and, with `opening`, those not connected yet) as `trouble`."""
        for entry in self._entries.values():
            member = entry.member
            if entry.code is None and (member.trouble or (opening and member.opened is None)):
                self._decide_in_trouble(entry)

    # -- writing ---------------------------------------------------------------------------------

    def _now(self) -> float:
        return self._clock()

    def _trouble_line(self, member: Member) -> None:
        text = f"trouble: {member.trouble}" if member.trouble else f"watching {member.server}"
        self._member_line(member, text, trouble=member.trouble)

    def _member_line(self, member: Member, text: str, **fields: object) -> None:
        """A line about the member itself (plain), or a `cluster` record with `fields` (JSON)."""
        now = self._now()
        if self._json:
            record = {
                "type": "cluster",
                "ts": format_time(now),
                "cluster": member.name,
                "server": member.server,
                **fields,
            }
            NdjsonView(self._out).write_records([record])
            return
        PlainView(self._out, prefix=f"{member.name} ").write_lines([f"{clock(now)} {text}"])

    def _decide_in_trouble(self, entry: _Entry) -> None:
        member = entry.member
        why = member.trouble or NO_ANSWER_YET
        entry.code, entry.outcome = ExitCode.USAGE, TROUBLE
        if entry.runner is not None:
            entry.runner.settle(ExitCode.USAGE)
        now = self._now()
        if self._json:
            record = {
                "type": "outcome",
                "cluster": member.name,
                "ts": format_time(now),
                "outcome": TROUBLE,
                "exitCode": int(ExitCode.USAGE),
                "why": why,
            }
            NdjsonView(self._out).write_records([record])
        else:
            line = f"{clock(now)} outcome {TROUBLE} (exit {int(ExitCode.USAGE)}): {why}"
            PlainView(self._out, prefix=f"{member.name} ").write_lines([line])

    def _fleet_line(self, code: ExitCode) -> None:
        entries = list(self._entries.values())
        summary = counts_text(outcome_counts(e.outcome or Outcome.IN_PROGRESS for e in entries))
        now = self._now()
        if self._json:
            record = {
                "type": "fleet",
                "ts": format_time(now),
                "exitCode": int(code),
                "clusters": [
                    {
                        "cluster": e.member.name,
                        "outcome": e.outcome or Outcome.IN_PROGRESS,
                        "exitCode": None if e.code is None else int(e.code),
                    }
                    for e in entries
                ],
            }
            NdjsonView(self._out).write_records([record])
        else:
            line = f"{clock(now)} fleet (exit {int(code)}): {len(entries)} clusters: {summary}"
            PlainView(self._out).write_lines([line])

    def _print_once(self) -> None:
        entries = list(self._entries.values())
        if self._json:
            write_fleet(
                self._out,
                [
                    {"context": e.member.name, "server": e.member.server}
                    | (
                        {"snapshot": e.first.to_dict()}
                        if e.first is not None
                        else {"error": e.member.trouble}
                    )
                    for e in entries
                ],
            )
            return
        for entry in entries:
            view = PlainView(self._out, color=self._color, prefix=f"{entry.member.name} ")
            if entry.first is not None:
                view.once(entry.first)
            else:
                view.write_lines([f"trouble: {entry.member.trouble}"])


class _FirstSnapshot:
    """`--once`: keeps a member's first snapshot (a pipeline subscriber)."""

    def __init__(self, fleet: HeadlessFleet, entry: _Entry) -> None:
        self._fleet = fleet
        self._entry = entry

    def stream(self, health: StreamHealth, *, synced: bool) -> None:
        pass

    def unlisted(self, resources: list[str]) -> None:
        pass

    def update(self, update: Update) -> None:
        if self._entry.first is None:
            self._entry.first = update.snapshot
            self._fleet._changed.set()

    def tick(self, now: float) -> None:
        pass

    def ended(self) -> None:
        pass
