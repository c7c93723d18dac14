"""Wiring: from a validated `Invocation` to a running source, model and view, and an exit code.

The three ways to get events (a cluster, the built-in demo, a recording) end in the same place: a
`session.Session` (a source factory plus the cluster it describes) feeding one `Pipeline` (store,
model, coalescing) that the TUI or the headless runner subscribes to; several clusters at once go
to `fleet_launch`. Fatal problems (kubeconfig, context, credentials, a server that cannot be
reached, a file that is not a recording) are printed as one line on stderr and end with exit code
2 before anything is shown, or, when a picture of the cluster was kept on disk, after it (the
server is checked while it is shown; the TUI asks an unreachable server again instead).
Everything written to stderr and stdout passes `sovwatch.redaction.redact` first.
Imports of aiohttp, textual and the emulator happen inside the path that needs them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import signal
import sys
import time
from contextlib import AsyncExitStack, aclosing
from pathlib import Path
from typing import TYPE_CHECKING

from sovwatch.exitcodes import ExitCode
from sovwatch.fleet_launch import (
    demo_fleet,
    fleet_contexts,
    is_fleet_recording,
    replay_fleet,
    run_fleet,
    write_fleet_reports,
)
from sovwatch.headless import HeadlessOptions, HeadlessRunner
from sovwatch.invocation import Invocation, StartupError
from sovwatch.kube.errors import NO_ANSWER_YET, FatalError
from sovwatch.outfiles import OutputFileError, check_writable
from sovwatch.pipeline import headless_rules, interactive
from sovwatch.redaction import RedactedStream
from sovwatch.session import (
    Session,
    cast_frames,
    cast_header,
    diagnose,
    live_session,
    pipeline_of,
    played_report,
    recorded,
    replay_session,
    report_exit_code,
    report_recording,
    write_cast_file,
)
from sovwatch.sources.recording import RecordingError
from sovwatch.termination import interrupt_on_termination

if TYPE_CHECKING:
    from sovwatch.views.report.facts import Report
    from sovwatch.views.tui.app import SovwatchApp

SIGPIPE_EXIT = 128 + signal.SIGPIPE


async def run_headless(invocation: Invocation, session: Session) -> ExitCode:
    from sovwatch.views.ndjson import NdjsonView
    from sovwatch.views.plain import PlainView

    out = RedactedStream(sys.stdout)
    view = (
        NdjsonView(out) if invocation.output == "json" else PlainView(out, color=invocation.color)
    )
    coalescing = headless_rules(live=session.live, time_scale=session.time_scale)
    runner = HeadlessRunner(
        view=view,
        pipeline=pipeline_of(invocation, session, coalescing),
        options=HeadlessOptions(
            once=invocation.once,
            exit_on_done=invocation.exit_on_done,
            fail_fast=invocation.fail_fast,
        ),
        logs_busy=(lambda: session.logs.busy) if session.logs is not None else (lambda: False),
    )
    async with aclosing(session.source()) as items:
        return await runner.run(items)


def tui_app(invocation: Invocation, session: Session) -> SovwatchApp:
    """The Textual app over `session`."""
    from sovwatch.views.tui.app import SovwatchApp
    from sovwatch.views.tui.options import TuiSettings

    settings = TuiSettings(ascii=invocation.ascii or None, expect=invocation.expect)
    return SovwatchApp(
        session.source,
        pipeline=pipeline_of(invocation, session, interactive(settings.refresh_hz)),
        settings=settings,
        replay_control=session.replay_control,
        navigator=session.navigator,
        log_streams=session.log_streams,
        ends_run=(FatalError,),
    )


async def run_tui(invocation: Invocation, session: Session) -> ExitCode:
    app = tui_app(invocation, session)
    await app.run_async()
    for warning in session.warnings:  # the alternate screen is gone: say it again where it stays
        diagnose(f"warning: {warning}")
    return tui_exit_code(app, session)


def tui_exit_code(app: SovwatchApp, session: Session) -> ExitCode:
    """How the TUI's run ends: its own exit code, or `FatalError` as at a start when a rejected
    credential behind a kept picture ended it, or when the operator quit before the server ever
    answered (the cluster was never reached; an interrupt stays 130)."""
    if app.fatal is not None:
        raise app.fatal
    code = ExitCode(app.return_code or 0)
    never_reached = session.contact.unreachable if session.contact is not None else None
    if never_reached is not None and code == ExitCode.READY:
        raise never_reached
    return code


async def write_reports(
    invocation: Invocation, recording: Path, *, exit_code: int | None = None
) -> None:
    """Write every `invocation.reports` file from `recording`; `exit_code` is the run's own when
    it is known (else the report gives what `--exit-on-done` would have). A fleet's recording
    gives the fleet's reports (`write_fleet_reports`)."""
    from sovwatch.views.report import render

    if is_fleet_recording(recording):
        await write_fleet_reports(invocation, recording, exit_code=exit_code)
        return
    report = await report_of(invocation, recording, exit_code=exit_code)
    for path in invocation.reports:
        render.write(path, render.render(report, render.format_of(path)))


async def report_of(
    invocation: Invocation, recording: Path, *, exit_code: int | None = None
) -> Report:
    """The report of `recording`, played with `invocation`'s model settings."""
    replaying = dataclasses.replace(invocation, file=recording, speed=math.inf)
    async with AsyncExitStack() as stack:
        session = await replay_session(replaying, stack)
        history, report = await played_report(replaying, session, exit_code=exit_code)
    control = session.replay_control
    if control is not None and control.damage is not None and invocation.command == "report":
        diagnose(control.damage.describe(recording))
    assert report is not None, "a recording without any snapshot"
    return report


async def write_cast(invocation: Invocation, session: Session) -> ExitCode:
    """`replay --cast FILE`: the TUI's rendering of the recording as an asciicast; exit 0."""
    from sovwatch.views.tui import cast

    assert session.tape is not None
    played = cast_frames(invocation, session.tape)
    header = cast_header(invocation, session.started)
    text = await cast.render_cast(tui_app(invocation, session), played, header=header)
    return write_cast_file(invocation, text, session.tape.damage)


async def _open_session(invocation: Invocation, stack: AsyncExitStack) -> Session:
    if invocation.command == "replay":
        return await replay_session(invocation, stack)
    if invocation.command == "demo":
        from sovwatch import demo

        cluster = await demo.start_demo_cluster(invocation, stack)
        return await live_session(
            invocation,
            kubeconfig=str(cluster.kubeconfig),
            settings=demo.watch_settings(cluster.speed),
            clock=cluster.clock,
            time_scale=cluster.speed,
        )
    return await live_session(invocation, picture=not (invocation.no_cache or invocation.once))


async def _watch(invocation: Invocation, session: Session) -> ExitCode:
    if invocation.cast is not None:
        return await write_cast(invocation, session)
    if invocation.output == "tui":
        return await run_tui(invocation, session)
    code = await run_headless(invocation, session)
    control = session.replay_control
    if control is not None and control.damage is not None and invocation.file is not None:
        diagnose(control.damage.describe(invocation.file))
    return code


async def _write_reports(invocation: Invocation, recording: Path, code: ExitCode | None) -> None:
    await write_reports(invocation, recording, exit_code=report_exit_code(invocation, code))


async def _main(invocation: Invocation) -> ExitCode:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, task.cancel)  # an SSH drop ends like Ctrl-C
    if invocation.record is not None:  # fail before connecting
        check_writable(invocation.record, what="the recording", flag="--record")
    for path in invocation.reports:
        check_writable(path, what="the report", flag="--report")
    if invocation.cast is not None:
        check_writable(invocation.cast, what="the cast", flag="--cast")
    if invocation.command == "demo" and invocation.fleet:
        return await demo_fleet(invocation)
    if invocation.command == "replay" and is_fleet_recording(invocation.file):
        return await replay_fleet(invocation)
    if invocation.kubeconfig_dir is not None:
        return await run_fleet(invocation, ())
    if invocation.all_contexts or invocation.contexts:
        names = fleet_contexts(invocation)
        if len(names) > 1:
            return await run_fleet(invocation, names)
        invocation = dataclasses.replace(invocation, context=names[0], all_contexts=False)
    started = time.time()
    async with AsyncExitStack() as stack:
        try:
            session = await _open_session(invocation, stack)
        except FatalError as err:
            _write_unreached(
                invocation, err, context=err.context, server=err.server, started=started
            )
            raise
        for warning in session.warnings:
            diagnose(f"warning: {warning}")
        recording = report_recording(invocation, stack) or invocation.record
        if recording is not None and invocation.command != "replay":
            session.source = recorded(
                session.source,
                recording,
                context=session.context,
                server=session.server,
                warnings=session.warnings,
            )
        code: ExitCode | None = None
        fatal: FatalError | None = None
        try:
            code = await _watch(invocation, session)
        except asyncio.CancelledError:
            code = ExitCode.INTERRUPTED
            raise
        except FatalError as err:  # behind a kept picture, the start-up check may fail late
            fatal = err
            raise
        finally:
            if session.keeper is not None:  # the picture at exit, for the next start
                session.keeper.save()
            unreached = _never_reached(session, code, fatal)
            if unreached is not None:
                _write_unreached(
                    invocation,
                    unreached,
                    code=code or ExitCode.USAGE,
                    context=session.context,
                    server=session.server,
                    started=started,
                )
            elif invocation.reports and recording is not None:  # also on Ctrl-C and failures
                await _write_reports(invocation, recording, code)
        return code


def _never_reached(
    session: Session, code: ExitCode | None, fatal: FatalError | None
) -> FatalError | None:
    """Why a run that ended with `code` (None: with `fatal`) never reached its cluster, or None
    when it did. Only a session started on a kept picture can end before first contact: when
    the start-up check failed late (`fatal`), or when it was interrupted while the server did
    not answer (its last failure, if there was one)."""
    contact = session.contact
    if contact is None or contact.reached:
        return None
    if fatal is not None:
        return fatal
    if code is ExitCode.INTERRUPTED:
        return contact.unreachable or FatalError(NO_ANSWER_YET)
    return None


def _write_unreached(
    invocation: Invocation,
    err: FatalError,
    *,
    code: ExitCode = ExitCode.USAGE,
    context: str,
    server: str,
    started: float,
) -> None:
    """Every `--report` file of a run that never reached its cluster: where it looked, the one
    line it ended with or its last failure (gated and, like every report, redacted), and its
    exit code (2, or 130 when interrupted)."""
    if not invocation.reports:
        return
    from sovwatch import __version__
    from sovwatch.untrusted import neutralise
    from sovwatch.views.report import render
    from sovwatch.views.report.facts import Unreached

    unreached = Unreached(
        context=context,
        server=server,
        started=started,
        why=neutralise(str(err)),
        code=code,
        sovwatch=__version__,
    )
    for path in invocation.reports:
        render.write(path, render.render_unreached(unreached, render.format_of(path)))


async def _report(invocation: Invocation) -> ExitCode:
    """`sovwatch report RECORDING`: write the report, say where."""
    assert invocation.file is not None
    for path in invocation.reports:
        check_writable(path, what="the report", flag="-o")
    await write_reports(invocation, invocation.file)
    for path in invocation.reports:
        diagnose(f"wrote {path}")
    return ExitCode.READY


def run(invocation: Invocation) -> int:
    """Run what the command line asked for; returns the process exit code."""
    from sovwatch import logs

    try:
        logs.configure(
            verbosity=invocation.verbosity,
            log_file=invocation.log_file,
            to_stderr=invocation.output != "tui",
        )
    except logs.LogSetupError as err:
        diagnose(str(err))
        return ExitCode.USAGE
    if invocation.command == "sim":
        from sovwatch import demo

        return demo.run_sim(invocation)
    try:
        try:
            return asyncio.run(
                _report(invocation) if invocation.command == "report" else _main(invocation)
            )
        finally:
            interrupt_on_termination()  # the loop's handlers are gone with it
    except BrokenPipeError:
        # whoever read stdout (`| head`) has gone: stop quietly, as `kubectl ... | head` does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return SIGPIPE_EXIT
    except (FatalError, RecordingError, StartupError, OutputFileError, OSError) as err:
        diagnose(str(err))
        return ExitCode.USAGE
    except (KeyboardInterrupt, asyncio.CancelledError):  # before the views took over
        return ExitCode.INTERRUPTED
