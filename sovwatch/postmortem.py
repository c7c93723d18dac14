"""Post-mortem reports: a recording played through the headless loop, written as HTML or Markdown.

`sovwatch report RECORDING` and `--report FILE` take the same path: the recording (for a live or
demo run, the one `--record` writes, or a private temporary one) is replayed at instant speed
through the same replay source, store and model as `sovwatch replay`, into a `History` view; the
final snapshot and that history make the report. So a run's report and `sovwatch report` of its
recording agree (only the exit code, which the recording does not hold, comes from the run).
"""

from __future__ import annotations

import dataclasses
import math
from contextlib import AsyncExitStack, aclosing
from pathlib import Path

from sovwatch import __version__
from sovwatch.cli import Invocation
from sovwatch.headless import HeadlessOptions, HeadlessRunner
from sovwatch.launch import diagnose, evaluator, replay_session
from sovwatch.views.report import facts, render
from sovwatch.views.report.history import History


async def write_reports(
    invocation: Invocation, recording: Path, *, exit_code: int | None = None
) -> None:
    """Write every `invocation.reports` file from `recording`; `exit_code` is the run's own when
    it is known (else the report gives what `--exit-on-done` would have)."""
    report = await report_of(invocation, recording, exit_code=exit_code)
    for path in invocation.reports:
        render.write(path, render.render(report, render.format_of(path)))


async def report_of(
    invocation: Invocation, recording: Path, *, exit_code: int | None = None
) -> facts.Report:
    """The report of `recording`, played with `invocation`'s model settings."""
    replaying = dataclasses.replace(invocation, file=recording, speed=math.inf)
    history = History()
    async with AsyncExitStack() as stack:
        session = await replay_session(replaying, stack)
        runner = HeadlessRunner(
            view=history,
            evaluate=evaluator(replaying, session),
            clock=session.clock,
            # no wall-clock ticks: the model runs only as items arrive, so the same recording
            # always gives the same report
            options=HeadlessOptions(tick=math.inf),
        )
        async with aclosing(session.source()) as items:
            await runner.run(items)
    control = session.replay_control
    if control is not None and control.damage is not None and invocation.command == "report":
        diagnose(control.damage.describe(recording))
    return facts.build(
        history,
        facts.RunInfo(
            context=session.context,
            server=session.server,
            started=session.started,
            recorded_with=session.recorded_with or __version__,
            sovwatch=__version__,
            exit_code=exit_code,
        ),
    )
