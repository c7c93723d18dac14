"""Wiring: from a validated `Invocation` to a running source, model and view, and an exit code.

The three ways to get events (a cluster, the built-in demo, a recording) end in the same place: a
source factory plus the cluster it describes, feeding one `Pipeline` (store, model, coalescing)
that the TUI or the headless runner subscribes to. Fatal
problems (kubeconfig, context, credentials, a server that cannot be reached, a file that is not a
recording) are printed as one line on stderr and end with exit code 2 before anything is shown,
or, when a picture of the cluster was kept on disk, after it (the server is checked while it is
shown; the TUI asks an unreachable server again instead).
Everything written to stderr and stdout passes `sovwatch.redaction.redact` first.
Imports of aiohttp, textual and the emulator happen inside the path that needs them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sovwatch import __version__
from sovwatch.exitcodes import ExitCode
from sovwatch.headless import HeadlessOptions, HeadlessRunner
from sovwatch.invocation import Invocation, StartupError
from sovwatch.outfiles import OutputFileError, check_writable, open_private
from sovwatch.pipeline import HEADLESS, Coalescing, Pipeline, interactive
from sovwatch.redaction import RedactedStream, redact
from sovwatch.sources.events import SourceItem
from sovwatch.sources.recording import Damage, Recorder, RecordingError, RecordingReader
from sovwatch.sources.replay import IDLE_LIMIT, ReplayControl, Tape, replay
from sovwatch.termination import interrupt_on_termination

if TYPE_CHECKING:
    import aiohttp

    from sovwatch.fleet import Fleet
    from sovwatch.fleet_headless import HeadlessFleet
    from sovwatch.model.settings import ModelSettings
    from sovwatch.model.snapshot import Snapshot
    from sovwatch.navigation import Navigator
    from sovwatch.picture_cache import PictureCache, PictureKeeper
    from sovwatch.settings import WatchSettings
    from sovwatch.sources.events import LogStreams
    from sovwatch.sources.log_fetcher import LogFetcher
    from sovwatch.views.report.facts import Report
    from sovwatch.views.tui.app import SovwatchApp
    from sovwatch.views.tui.cast import CastHeader

SIGPIPE_EXIT = 128 + signal.SIGPIPE
"""What a shell reports for a program whose reader went away."""

SourceFactory = Callable[[], AsyncIterator[SourceItem]]


@dataclass
class Session:
    """What a view needs to run: where the items come from and what they describe."""

    source: SourceFactory
    context: str
    server: str
    started: float
    """When the watch (or the recording) began: the origin of `--timeout`."""
    clock: Callable[[], float] = time.time
    time_scale: float = 1.0
    """Seconds of `clock` per wall-clock second (the demo's speed): rate limits stay in real time."""
    replay_control: ReplayControl | None = None
    navigator: Navigator | None = None
    """Where seeks land, in a replay."""
    tape: Tape | None = None
    """The recording, in a replay."""
    warnings: tuple[str, ...] = ()
    recorded_with: str | None = None
    """The sovwatch version that wrote the recording being replayed."""
    logs: LogFetcher | None = None
    """Reads the log tails the model's root causes want (live sessions without `--no-logs`)."""
    log_streams: LogStreams | None = None
    """Opens container logs for the TUI's log view (live sessions without `--no-logs`)."""
    cache: PictureCache | None = None
    """This cluster's picture on disk (live watches without `--no-cache` or `--once`)."""
    keeper: PictureKeeper | None = None
    """Keeps the session's picture in `cache` (set by `pipeline_of`)."""


def diagnose(message: str) -> None:
    """One line on stderr, credentials redacted."""
    print(f"sovwatch: {redact(message)}", file=sys.stderr, flush=True)


def recorded(source: SourceFactory, path: Path, *, context: str, server: str) -> SourceFactory:
    """The same source, with every item also appended to a recording at `path`."""
    recorder = Recorder(path, context=context, server=server)

    async def items() -> AsyncIterator[SourceItem]:
        try:
            async with aclosing(source()) as inner:
                async for item in inner:
                    recorder.write(item)
                    yield item
        finally:
            recorder.close()

    return items


# -- sources -----------------------------------------------------------------------------------


async def live_session(
    invocation: Invocation,
    *,
    kubeconfig: str | None = None,
    settings: WatchSettings | None = None,
    clock: Callable[[], float] = time.time,
    time_scale: float = 1.0,
    connector: aiohttp.BaseConnector | None = None,
    picture: bool = False,
) -> Session:
    """Connect to the cluster the kubeconfig names and prove it is usable (FatalError if not,
    with the server it concerns once the kubeconfig named one).

    `clock` stamps received events and is the model's "now"; the demo passes the scenario's clock
    so durations tell the scenario's story at any speed. `connector`: a connection pool shared
    with other clusters' clients (a fleet). `picture`: keep the cluster's picture on disk
    (`picture_cache`); when one was kept, the session starts without waiting for the server:
    its source proves it usable first (`live.preflighted`), while the kept picture is shown,
    and in the TUI tries an unreachable server again rather than end."""
    from sovwatch.kube import api, config
    from sovwatch.kube.errors import FatalError
    from sovwatch.settings import WatchSettings
    from sovwatch.sources import live
    from sovwatch.sources.log_fetcher import LogFetcher
    from sovwatch.sources.log_streams import LiveLogStreams

    settings = settings or WatchSettings(exec_timeout=invocation.exec_timeout)
    paths = config.locate_kubeconfig(
        kubeconfig or invocation.kubeconfig, os.environ.get("KUBECONFIG"), Path.home()
    )
    connection = await config.load_connection(
        paths,
        context=invocation.context,
        settings=settings,
        environ=os.environ,
        dir_member=invocation.kubeconfig_dir is not None,
    )
    cache = None
    if picture:
        from sovwatch.picture_cache import open_cache
        from sovwatch.sources.disk_cache import Identity

        identity = Identity(
            connection.server, connection.context, connection.user, invocation.namespace or ""
        )
        cache = open_cache(identity, environ=os.environ, home=Path.home(), now=clock())
    client = api.ApiClient(connection, settings=settings, connector=connector)
    shown_first = cache is not None and cache.found is not None
    if not shown_first:
        try:
            await api.preflight(client)
        except FatalError as err:
            err.server = connection.server
            raise
    # `--once` prints what the watches listed; log tails come with a running watch.
    logs = None if invocation.no_logs or invocation.once else LogFetcher(client, clock=clock)

    def watched() -> AsyncIterator[SourceItem]:
        return live.stream(
            client,
            settings=settings,
            namespace=invocation.namespace,
            clock=clock,
            pause_gc=30.0,  # as long as the headless loop waits for every stream to list
            logs=logs,
        )

    def source() -> AsyncIterator[SourceItem]:
        if not shown_first:
            return watched()
        return live.preflighted(
            client,
            watched,
            settings=settings,
            retry_unreachable=invocation.output == "tui",
            clock=clock,
        )

    return Session(
        source=source,
        context=connection.context,
        server=connection.server,
        started=clock(),
        clock=clock,
        time_scale=time_scale,
        warnings=connection.warnings,
        logs=logs,
        log_streams=None if invocation.no_logs else LiveLogStreams(client),
        cache=cache,
    )


async def replay_session(invocation: Invocation, stack: AsyncExitStack) -> Session:
    from sovwatch.navigation import Navigator

    assert invocation.file is not None
    with RecordingReader(invocation.file) as reader:
        tape = Tape.of(reader)
    control = ReplayControl(
        speed=invocation.speed, idle_limit=None if invocation.real_gaps else IDLE_LIMIT
    )
    return Session(
        source=lambda: replay(tape, control=control),
        context=reader.header.context,
        server=reader.header.server,
        started=reader.header.started,
        clock=control.now,
        replay_control=control,
        recorded_with=reader.header.version,
        navigator=Navigator(
            tape, control, settings=model_settings(invocation), started_at=reader.header.started
        ),
        tape=tape,
    )


# -- model -------------------------------------------------------------------------------------


def model_settings(invocation: Invocation) -> ModelSettings:
    from sovwatch.model.settings import ModelSettings

    return ModelSettings(
        expect=invocation.expect,
        timeout=invocation.timeout or math.inf,
        first_seen_timeout=invocation.first_seen_timeout or math.inf,
    )


def pipeline_of(invocation: Invocation, session: Session, coalescing: Coalescing) -> Pipeline:
    """The session's one store, rollout model and coalescing, with the model's settings from the
    command line; each model run tells the session's log fetcher which log tails the root causes
    now want."""
    from sovwatch.model.snapshot import ClusterInfo

    pipeline = Pipeline(
        settings=model_settings(invocation),
        cluster=ClusterInfo(
            context=session.context, server=session.server, warnings=session.warnings
        ),
        started_at=session.started,
        clock=session.clock,
        coalescing=coalescing,
        logs=session.logs,
        cached=session.cache.found if session.cache is not None else None,
    )
    if session.cache is not None:
        from sovwatch.picture_cache import PictureKeeper

        session.keeper = PictureKeeper(pipeline, session.cache)
    return pipeline


def fleet_of(
    invocation: Invocation,
    coalescing: Coalescing,
    *,
    connector: aiohttp.BaseConnector | None,
    settings: WatchSettings | None = None,
    clock: Callable[[], float] = time.time,
    recorder: Recorder | None = None,
) -> Fleet:
    """A fleet whose members are live sessions (`live_session`, as one cluster is watched) over
    one shared connection pool, each with a pipeline as `pipeline_of` makes one; `clock` as for
    `live_session` (the demo's scenario clock); with a fleet's `recorder`, every item and trouble
    is recorded with its cluster."""
    from sovwatch.fleet import Fleet, MemberSpec
    from sovwatch.fleet_recording import TroubleNotes, tapped
    from sovwatch.settings import WatchSettings

    settings = settings or WatchSettings(exec_timeout=invocation.exec_timeout)

    async def open_member(spec: MemberSpec) -> Session:
        session = await live_session(
            dataclasses.replace(invocation, context=spec.context),
            kubeconfig=spec.kubeconfig,
            settings=settings,
            connector=connector,
            clock=clock,
        )
        if recorder is not None:
            session.source = tapped(session.source, recorder, spec.name)
        return session

    fleet = Fleet(
        opener=open_member,
        pipeline=lambda: Pipeline(
            settings=model_settings(invocation), coalescing=coalescing, clock=clock
        ),
        settings=settings,
        clock=clock,
    )
    if recorder is not None:
        fleet.subscribe(TroubleNotes(recorder, time.time))
    return fleet


# -- views -------------------------------------------------------------------------------------


async def run_headless(invocation: Invocation, session: Session) -> ExitCode:
    from sovwatch.views.ndjson import NdjsonView
    from sovwatch.views.plain import PlainView

    out = RedactedStream(sys.stdout)
    view = (
        NdjsonView(out) if invocation.output == "json" else PlainView(out, color=invocation.color)
    )
    coalescing = replace(HEADLESS, interval=HEADLESS.interval * session.time_scale)
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
    from sovwatch.kube.errors import FatalError
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


async def run_fleet_tui(
    invocation: Invocation, fleet: Fleet, *, replay_control: ReplayControl | None = None
) -> ExitCode:
    """The Textual app over a fleet: the fleet screen, each member's own screen behind `enter`;
    `replay_control` for a fleet's recording (pause and step)."""
    from sovwatch.views.tui.app import SovwatchApp
    from sovwatch.views.tui.options import TuiSettings

    app = SovwatchApp(
        None,
        fleet=fleet,
        settings=TuiSettings(ascii=invocation.ascii or None, expect=invocation.expect),
        replay_control=replay_control,
    )
    await app.run_async()
    return ExitCode(app.return_code or 0)


async def run_tui(invocation: Invocation, session: Session) -> ExitCode:
    app = tui_app(invocation, session)
    await app.run_async()
    for warning in session.warnings:  # the alternate screen is gone: say it again where it stays
        diagnose(f"warning: {warning}")
    if app.fatal is not None:  # a rejected credential behind a kept picture: as at a start
        raise app.fatal
    return ExitCode(app.return_code or 0)


# -- post-mortem reports -------------------------------------------------------------------------
#
# `sovwatch report RECORDING` and `--report FILE` take the same path: the recording (for a live or
# demo run, the one `--record` writes, or a private temporary one) is replayed at instant speed
# through the same replay source, store and model as `sovwatch replay`, into a `History` view; the
# final snapshot and that history make the report. So a run's report and `sovwatch report` of its
# recording agree (only the exit code, which the recording does not hold, comes from the run).


async def write_reports(
    invocation: Invocation, recording: Path, *, exit_code: int | None = None
) -> None:
    """Write every `invocation.reports` file from `recording`; `exit_code` is the run's own when
    it is known (else the report gives what `--exit-on-done` would have). A fleet's recording
    gives the fleet's reports (`write_fleet_reports`)."""
    from sovwatch.views.report import render

    if _is_fleet_recording(recording):
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
        history, report = await _played_report(replaying, session, exit_code=exit_code)
    control = session.replay_control
    if control is not None and control.damage is not None and invocation.command == "report":
        diagnose(control.damage.describe(recording))
    assert report is not None, "a recording without any snapshot"
    return report


async def _played_report(
    invocation: Invocation, session: Session, *, exit_code: int | None
) -> tuple[Snapshot | None, Report | None]:
    """Play a replay `session` at instant speed into a history: (its last snapshot, its report;
    None and None when nothing was played)."""
    from sovwatch.views.report import facts
    from sovwatch.views.report.history import History

    history = History()
    # no wall-clock ticks: the model runs only as items arrive, so the same recording always
    # gives the same report
    coalescing = dataclasses.replace(HEADLESS, tick=math.inf)
    runner = HeadlessRunner(view=history, pipeline=pipeline_of(invocation, session, coalescing))
    async with aclosing(session.source()) as items:
        await runner.run(items)
    if history.snapshot is None:
        return None, None
    run = facts.RunInfo(
        context=session.context,
        server=session.server,
        started=session.started,
        recorded_with=session.recorded_with or __version__,
        sovwatch=__version__,
        exit_code=exit_code,
    )
    return history.snapshot, facts.build(history, run)


async def write_fleet_reports(
    invocation: Invocation, recording: Path, *, exit_code: int | None = None
) -> None:
    """A fleet's `--report`: each cluster of the fleet's `recording` played on its own as one
    cluster's recording is; an HTML report is an index (the fleet's totals, each cluster's outcome
    and worst root cause) linking to each cluster's own page written beside it
    (`run.html` -> `run-sov-a.html`), a Markdown one the fleet's table and each cluster's summary
    in one document. `exit_code` is the fleet's, when known."""
    from sovwatch.fleet_recording import recorded_clusters
    from sovwatch.views.report import fleet, render

    with RecordingReader(recording) as reader:
        header = reader.header
        clusters = recorded_clusters(reader)
    played: list[fleet.PlayedCluster] = []
    for cluster in clusters:
        if not cluster.items:  # never watched: in trouble from start to end
            played.append(
                fleet.PlayedCluster(
                    cluster.name, cluster.server, cluster.trouble, left=cluster.removed
                )
            )
            continue
        control = ReplayControl(speed=math.inf)
        tape = Tape.of(cluster.items)
        session = Session(
            source=lambda tape=tape, control=control: replay(tape, control=control),
            context=cluster.name,
            server=cluster.server,
            started=header.started,
            clock=control.now,
            replay_control=control,
            recorded_with=header.version,
        )
        snapshot, report = await _played_report(invocation, session, exit_code=None)
        played.append(
            fleet.PlayedCluster(
                cluster.name, cluster.server, cluster.trouble, snapshot, report, cluster.removed
            )
        )
    for path in invocation.reports:
        fmt = render.format_of(path)
        pages = _cluster_pages(path) if fmt == "html" else None
        index = fleet.build(
            played,
            exit_code=exit_code,
            started=header.started,
            recorded_with=header.version,
            sovwatch=__version__,
            page=pages,
        )
        if pages is not None:
            for entry in index.entries:
                if entry.report is not None and entry.page is not None:
                    render.write(path.with_name(entry.page), render.render(entry.report, fmt))
        render.write(path, render.render_fleet(index, fmt))


def _cluster_pages(index: Path) -> Callable[[str], str]:
    """A cluster's HTML page beside the fleet's `index`: `run.html` -> `run-sov-a.html` (a name
    of letters, digits, `.`, `_` and `-` only; `-2`, `-3`, ... when two clusters' names meet)."""
    taken: set[str] = set()

    def page(cluster: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", cluster).strip("._") or "cluster"
        name, n = f"{index.stem}-{safe}{index.suffix}", 1
        while name in taken:
            n += 1
            name = f"{index.stem}-{safe}-{n}{index.suffix}"
        taken.add(name)
        return name

    return page


async def write_cast(invocation: Invocation, session: Session) -> ExitCode:
    """`replay --cast FILE`: the TUI's rendering of the recording as an asciicast; exit 0."""
    from sovwatch.sources.replay import frames
    from sovwatch.views.tui import cast

    assert session.tape is not None

    played = frames(
        session.tape,
        speed=invocation.speed or 1.0,
        idle_limit=None if invocation.real_gaps else IDLE_LIMIT,
    )  # four frames a second, `frames`' default
    header = _cast_header(invocation, session.started)
    text = await cast.render_cast(tui_app(invocation, session), played, header=header)
    return _write_cast_file(invocation, text, session.tape.damage)


async def write_fleet_cast(invocation: Invocation) -> ExitCode:
    """`replay --cast FILE` of a fleet's recording: the fleet screen, every cluster fed its own
    items and notes frame by frame, as an asciicast; exit 0."""
    from sovwatch.fleet_recording import FleetReplay
    from sovwatch.settings import WatchSettings
    from sovwatch.sources.replay import frames
    from sovwatch.views.tui import cast
    from sovwatch.views.tui.app import SovwatchApp
    from sovwatch.views.tui.options import TuiSettings

    assert invocation.file is not None
    settings = TuiSettings(ascii=invocation.ascii or None, expect=invocation.expect)
    clock = cast.FrameClock()
    with RecordingReader(invocation.file) as reader:
        started = reader.header.started
        played = FleetReplay(
            reader,
            control=ReplayControl(speed=math.inf),
            pipeline=lambda: Pipeline(
                settings=model_settings(invocation),
                coalescing=interactive(settings.refresh_hz),
                clock=clock,
                started_at=started,
            ),
            settings=WatchSettings(),
        )
    shown = frames(
        played.tape,
        speed=invocation.speed or 1.0,
        idle_limit=None if invocation.real_gaps else IDLE_LIMIT,
    )  # four frames a second, as a single cluster's cast
    clock.now = shown[0].clock if shown else started
    played.join()
    app = SovwatchApp(None, fleet=played.fleet, settings=settings)
    try:
        text = await cast.render_fleet_cast(
            app, shown, tape=played, clock=clock, header=_cast_header(invocation, started)
        )
    finally:
        await played.end()
        await played.fleet.aclose()
    return _write_cast_file(invocation, text, played.damage)


def _cast_header(invocation: Invocation, started: float) -> CastHeader:
    from sovwatch.views.tui import cast

    assert invocation.file is not None
    width, height = invocation.cast_size
    return cast.CastHeader(
        width=width,
        height=height,
        timestamp=int(started),
        title=f"sovwatch replay {invocation.file.name}",
        term=os.environ.get("TERM") or "xterm-256color",
    )


def _write_cast_file(invocation: Invocation, text: str, damage: Damage | None) -> ExitCode:
    """Write the cast (private, never through a link); say where the recording broke, if it did."""
    assert invocation.cast is not None
    assert invocation.file is not None
    fd = open_private(invocation.cast, append=False, what="the cast", flag="--cast")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    if damage is not None:
        diagnose(damage.describe(invocation.file))
    return ExitCode.READY


# -- the whole run -----------------------------------------------------------------------------


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


def _report_recording(invocation: Invocation, stack: AsyncExitStack) -> Path | None:
    """The recording a `--report` is made from: the replayed file, the `--record` file, or a
    private temporary one removed at exit; None without `--report`."""
    if not invocation.reports:
        return None
    if invocation.command == "replay":
        return invocation.file
    if invocation.record is not None:
        return invocation.record
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sovwatch-"))) / "run.ndjson"


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
    known = code is not None and (invocation.exit_on_done or code is ExitCode.INTERRUPTED)
    await write_reports(invocation, recording, exit_code=code if known else None)


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
        return await _demo_fleet(invocation)
    if invocation.command == "replay" and _is_fleet_recording(invocation.file):
        return await _replay_fleet(invocation)
    if invocation.kubeconfig_dir is not None:
        return await _run_fleet(invocation, ())
    if invocation.all_contexts or invocation.contexts:
        names = _fleet_contexts(invocation)
        if len(names) > 1:
            return await _run_fleet(invocation, names)
        invocation = dataclasses.replace(invocation, context=names[0], all_contexts=False)
    async with AsyncExitStack() as stack:
        session = await _open_session(invocation, stack)
        for warning in session.warnings:
            diagnose(f"warning: {warning}")
        recording = _report_recording(invocation, stack) or invocation.record
        if recording is not None and invocation.command != "replay":
            session.source = recorded(
                session.source, recording, context=session.context, server=session.server
            )
        code: ExitCode | None = None
        try:
            code = await _watch(invocation, session)
        except asyncio.CancelledError:
            code = ExitCode.INTERRUPTED
            raise
        finally:
            if session.keeper is not None:  # the picture at exit, for the next start
                session.keeper.save()
            if invocation.reports and recording is not None:  # also on Ctrl-C and failures
                await _write_reports(invocation, recording, code)
        return code


async def _demo_fleet(invocation: Invocation) -> ExitCode:
    """`demo --fleet N`: the simulated Sovereigns, each a member of one fleet (one context each
    of the demo's kubeconfig), on the scenarios' clock."""
    from sovwatch import demo

    async with AsyncExitStack() as stack:
        cluster = await demo.start_demo_cluster(invocation, stack)
        return await _run_fleet(
            dataclasses.replace(invocation, kubeconfig=str(cluster.kubeconfig)),
            cluster.contexts,
            settings=demo.watch_settings(cluster.speed),
            clock=cluster.clock,
            time_scale=cluster.speed,
        )


async def _report(invocation: Invocation) -> ExitCode:
    """`sovwatch report RECORDING`: write the report, say where."""
    assert invocation.file is not None
    for path in invocation.reports:
        check_writable(path, what="the report", flag="-o")
    await write_reports(invocation, invocation.file)
    for path in invocation.reports:
        diagnose(f"wrote {path}")
    return ExitCode.READY


# -- a fleet: several clusters at once --------------------------------------------------------


def _fleet_contexts(invocation: Invocation) -> tuple[str, ...]:
    """The contexts to watch: every `--context`, or with `--all-contexts` every context of the
    merged kubeconfig."""
    if not invocation.all_contexts:
        return invocation.contexts
    from sovwatch.kube import config

    paths = config.locate_kubeconfig(
        invocation.kubeconfig, os.environ.get("KUBECONFIG"), Path.home()
    )
    return config.context_names(paths)


def _headless_fleet(
    invocation: Invocation, fleet: Fleet, *, timeout: float, clock: Callable[[], float]
) -> HeadlessFleet:
    from sovwatch.fleet_headless import HeadlessFleet

    return HeadlessFleet(
        fleet,
        out=RedactedStream(sys.stdout),
        output=invocation.output,
        options=HeadlessOptions(
            once=invocation.once,
            exit_on_done=invocation.exit_on_done,
            fail_fast=invocation.fail_fast,
        ),
        color=invocation.color,
        timeout=timeout,
        clock=clock,
    )


async def _run_fleet(
    invocation: Invocation,
    names: tuple[str, ...],
    *,
    settings: WatchSettings | None = None,
    clock: Callable[[], float] = time.time,
    time_scale: float = 1.0,
) -> ExitCode:
    """Watch every context in `names` as one fleet member each, and with `--kubeconfig-dir`
    every file of the directory: the fleet screen, or headless; then its `--report`s, from the
    `--record` file or a private temporary recording. `settings`, `clock` and `time_scale` as
    for `live_session` (the demo's)."""
    async with AsyncExitStack() as stack:
        recording = _report_recording(invocation, stack) or invocation.record
        watching = _watch_fleet(
            invocation, names, recording, settings=settings, clock=clock, time_scale=time_scale
        )
        return await _reporting(invocation, recording, watching)


async def _reporting(
    invocation: Invocation, recording: Path | None, watching: Awaitable[ExitCode]
) -> ExitCode:
    """`watching`'s exit code, and the `--report`s from `recording` once it ended (also on
    Ctrl-C and failures)."""
    code: ExitCode | None = None
    try:
        code = await watching
    except asyncio.CancelledError:
        code = ExitCode.INTERRUPTED
        raise
    finally:
        if invocation.reports and recording is not None:
            await _write_reports(invocation, recording, code)
    return code


async def _watch_fleet(
    invocation: Invocation,
    names: tuple[str, ...],
    recording: Path | None,
    *,
    settings: WatchSettings | None,
    clock: Callable[[], float],
    time_scale: float,
) -> ExitCode:
    """The fleet of `_run_fleet`, every item recorded to `recording` if there is one."""
    from sovwatch.fleet import MemberSpec
    from sovwatch.kube import api

    tui = invocation.output == "tui"
    coalescing = (
        interactive() if tui else replace(HEADLESS, interval=HEADLESS.interval * time_scale)
    )
    connector = api.shared_connector()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(connector.close)
        recorder = None
        if recording is not None:
            recorder = stack.enter_context(Recorder(recording, context="", server="", fleet=True))
        fleet = fleet_of(
            invocation,
            coalescing,
            connector=connector,
            settings=settings,
            clock=clock,
            recorder=recorder,
        )
        stack.push_async_callback(fleet.aclose)
        headless = None
        if not tui:
            headless = _headless_fleet(
                invocation, fleet, timeout=invocation.timeout or math.inf, clock=clock
            )
        for name in names:
            fleet.add(MemberSpec(name, context=name))
        if invocation.kubeconfig_dir is not None:
            await _follow_directory(invocation.kubeconfig_dir, fleet, stack, tui=tui)
        if headless is None:
            return await run_fleet_tui(invocation, fleet)
        return await headless.run()


async def _follow_directory(
    directory: Path, fleet: Fleet, stack: AsyncExitStack, *, tui: bool
) -> None:
    """`--kubeconfig-dir`: the fleet follows the directory until `stack` closes. Warnings go to
    stderr at once, or (the TUI owning the terminal) when it has closed."""
    from sovwatch.fleet_directory import following

    held: list[str] = []

    def warn(line: str) -> None:
        if tui:
            held.append(line)
        else:
            diagnose(f"warning: {line}")

    stack.callback(lambda: [diagnose(f"warning: {line}") for line in held])
    await stack.enter_async_context(following(directory, fleet, warn=warn))


def _is_fleet_recording(path: Path) -> bool:
    with RecordingReader(path) as reader:
        return reader.header.fleet


async def _replay_fleet(invocation: Invocation) -> ExitCode:
    """`replay` of a fleet's recording: every cluster into its own member, on the fleet screen
    (space pauses, `.` steps) or headless."""
    from sovwatch.fleet_recording import FleetReplay
    from sovwatch.settings import WatchSettings

    assert invocation.file is not None
    if invocation.cast is not None:
        return await write_fleet_cast(invocation)
    control = ReplayControl(
        speed=invocation.speed, idle_limit=None if invocation.real_gaps else IDLE_LIMIT
    )
    with RecordingReader(invocation.file) as reader:
        started = reader.header.started
        played = FleetReplay(
            reader,
            control=control,
            pipeline=lambda: Pipeline(
                settings=model_settings(invocation),
                coalescing=interactive() if invocation.output == "tui" else HEADLESS,
                clock=control.now,
                started_at=started,
            ),
            settings=WatchSettings(),
        )
    headless = None
    if invocation.output != "tui":
        headless = _headless_fleet(invocation, played.fleet, timeout=math.inf, clock=control.now)

    async def feed() -> None:
        await played.play()
        if headless is not None:
            headless.decide_troubled()
        await played.end()

    feeding = asyncio.create_task(feed())
    try:
        if headless is None:
            watching = run_fleet_tui(invocation, played.fleet, replay_control=control)
        else:
            watching = headless.run()
        return await _reporting(invocation, invocation.file, watching)
    finally:
        feeding.cancel()
        await played.fleet.aclose()
        if played.damage is not None:
            diagnose(played.damage.describe(invocation.file))


def run(invocation: Invocation) -> int:
    """Run what the command line asked for; returns the process exit code."""
    from sovwatch import logs
    from sovwatch.kube.errors import FatalError

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
