"""One cluster's session: opened live (kubeconfig, credentials, the start-up check, a kept
picture) or from a recording, its pipeline, and what its recording gives afterwards (a report
played at instant speed, a cast file). `launch` runs one session, `fleet_launch` many.

Fatal problems (kubeconfig, context, credentials, a server that cannot be reached, a file that is
not a recording) are raised for the launcher to print as one line (`diagnose`, redacted).
Imports of aiohttp, textual and the emulator happen inside the path that needs them.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sovwatch import __version__
from sovwatch.exitcodes import ExitCode
from sovwatch.headless import HeadlessRunner
from sovwatch.invocation import Invocation
from sovwatch.outfiles import open_private
from sovwatch.pipeline import HEADLESS, Coalescing, Pipeline
from sovwatch.redaction import redact
from sovwatch.sources.events import SourceItem
from sovwatch.sources.recording import Damage, Header, Recorder, RecordingReader
from sovwatch.sources.replay import IDLE_LIMIT, Frame, ReplayControl, Tape, frames, replay

if TYPE_CHECKING:
    import aiohttp

    from sovwatch.model.settings import ModelSettings
    from sovwatch.model.snapshot import Snapshot
    from sovwatch.navigation import Navigator
    from sovwatch.picture_cache import PictureCache, PictureKeeper
    from sovwatch.settings import WatchSettings
    from sovwatch.sources.events import LogStreams
    from sovwatch.sources.live import FirstContact
    from sovwatch.sources.log_fetcher import LogFetcher
    from sovwatch.views.report.facts import Report
    from sovwatch.views.tui.cast import CastHeader


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
    contact: FirstContact | None = None
    """Whether the server has answered yet, for a live session started on a kept picture (its
    source checks the server while the picture is shown)."""
    live: bool = False
    """A cluster watched now (the demo's too), not a recording played: a headless view's model
    may run less often while the event loop is busy (`pipeline.HEADLESS_LIVE`)."""


def diagnose(message: str) -> None:
    """One line on stderr, credentials redacted."""
    print(f"sovwatch: {redact(message)}", file=sys.stderr, flush=True)


def recorded(
    source: SourceFactory, path: Path, *, context: str, server: str, warnings: tuple[str, ...]
) -> SourceFactory:
    """The same source, with every item also appended to a recording at `path` (whose header
    keeps the connection's `warnings`, for a replay to say again)."""
    recorder = Recorder(path, context=context, server=server, warnings=warnings)

    async def items() -> AsyncIterator[SourceItem]:
        try:
            async with aclosing(source()) as inner:
                async for item in inner:
                    recorder.write(item)
                    yield item
        finally:
            recorder.close()

    return items


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
            err.server, err.context = connection.server, connection.context
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

    contact = live.FirstContact() if shown_first else None

    def source() -> AsyncIterator[SourceItem]:
        if contact is None:
            return watched()
        return live.preflighted(
            client,
            watched,
            settings=settings,
            retry_unreachable=invocation.output == "tui",
            clock=clock,
            contact=contact,
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
        contact=contact,
        live=True,
    )


async def replay_session(invocation: Invocation, stack: AsyncExitStack) -> Session:
    from sovwatch.navigation import Navigator

    assert invocation.file is not None
    with RecordingReader(invocation.file) as reader:
        tape = Tape.of(reader)
    header = reader.header
    control = replay_control(invocation)
    session = played_session(tape, control, header, context=header.context, server=header.server)
    session.navigator = Navigator(
        tape, control, settings=model_settings(invocation), started_at=header.started
    )
    session.tape = tape
    session.warnings = header.warnings
    return session


def played_session(
    tape: Tape, control: ReplayControl, header: Header, *, context: str, server: str
) -> Session:
    """A session replaying `tape` (of the recording `header` opens) as `control` paces it: one
    cluster's recording, or one cluster of a fleet's."""
    return Session(
        source=lambda: replay(tape, control=control),
        context=context,
        server=server,
        started=header.started,
        clock=control.now,
        replay_control=control,
        recorded_with=header.version,
    )


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


# `sovwatch report RECORDING` and `--report FILE` take the same path: the recording (for a live or
# demo run, the one `--record` writes, or a private temporary one) is replayed at instant speed
# through the same replay source, store and model as `sovwatch replay`, into a `History` view; the
# final snapshot and that history make the report. So a run's report and `sovwatch report` of its
# recording agree (only the exit code, which the recording does not hold, comes from the run).


async def played_report(
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


def report_recording(invocation: Invocation, stack: AsyncExitStack) -> Path | None:
    """The recording a `--report` is made from: the replayed file, the `--record` file, or a
    private temporary one removed at exit; None without `--report`."""
    if not invocation.reports:
        return None
    if invocation.command == "replay":
        return invocation.file
    if invocation.record is not None:
        return invocation.record
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sovwatch-"))) / "run.ndjson"


def idle_limit(invocation: Invocation) -> float | None:
    """The longest quiet stretch a replay or cast keeps (`IDLE_LIMIT`); None with `--real-gaps`."""
    return None if invocation.real_gaps else IDLE_LIMIT


def replay_control(invocation: Invocation) -> ReplayControl:
    """A replay paced as the command line says: `--speed`, quiet stretches cut (`idle_limit`)."""
    return ReplayControl(speed=invocation.speed, idle_limit=idle_limit(invocation))


def cast_frames(invocation: Invocation, tape: Tape) -> list[Frame]:
    """The frames of a `replay --cast` of `tape`: `--speed` (1x by default), quiet stretches cut
    (`idle_limit`), four frames a second (`frames`' default), for one cluster or a fleet."""
    return frames(tape, speed=invocation.speed or 1.0, idle_limit=idle_limit(invocation))


def cast_header(invocation: Invocation, started: float) -> CastHeader:
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


def write_cast_file(invocation: Invocation, text: str, damage: Damage | None) -> ExitCode:
    """Write the cast (private, never through a link); say where the recording broke, if it did."""
    assert invocation.cast is not None
    assert invocation.file is not None
    fd = open_private(invocation.cast, append=False, what="the cast", flag="--cast")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    if damage is not None:
        diagnose(damage.describe(invocation.file))
    return ExitCode.READY


def report_exit_code(invocation: Invocation, code: ExitCode | None) -> ExitCode | None:
    """The exit code a `--report` of this run gives: the run's own once it is decided
    (`--exit-on-done`, or interrupted), else None (the report says what `--exit-on-done` would
    have given)."""
    known = code is not None and (invocation.exit_on_done or code is ExitCode.INTERRUPTED)
    return code if known else None
