"""Wiring for a fleet: several clusters at once (`--context` repeated, `--all-contexts`,
`--kubeconfig-dir`, `demo --fleet`, `replay` of a fleet's recording), each a member with its own
session and pipeline (`session.live_session`, as one cluster is watched) over one connection
pool; the fleet screen or the headless fleet runner; the fleet's `--report`s and cast.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from sovwatch import __version__
from sovwatch.exitcodes import ExitCode
from sovwatch.headless import HeadlessOptions
from sovwatch.invocation import Invocation
from sovwatch.pipeline import Coalescing, Pipeline, headless_rules, interactive
from sovwatch.redaction import RedactedStream
from sovwatch.session import (
    Session,
    cast_frames,
    cast_header,
    diagnose,
    live_session,
    model_settings,
    played_report,
    played_session,
    replay_control,
    report_exit_code,
    report_recording,
    write_cast_file,
)
from sovwatch.sources.recording import Recorder, RecordingReader
from sovwatch.sources.replay import ReplayControl, Tape

if TYPE_CHECKING:
    import aiohttp

    from sovwatch.fleet import Fleet, Member
    from sovwatch.fleet_headless import HeadlessFleet
    from sovwatch.fleet_recording import FleetReplay
    from sovwatch.settings import WatchSettings


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
        session = played_session(
            Tape.of(cluster.items),
            ReplayControl(speed=math.inf),
            header,
            context=cluster.name,
            server=cluster.server,
        )
        snapshot, report = await played_report(invocation, session, exit_code=None)
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


async def write_fleet_cast(invocation: Invocation) -> ExitCode:
    """`replay --cast FILE` of a fleet's recording: the fleet screen, every cluster fed its own
    items and notes frame by frame, as an asciicast; exit 0."""
    from sovwatch.views.tui import cast
    from sovwatch.views.tui.app import SovwatchApp
    from sovwatch.views.tui.options import TuiSettings

    settings = TuiSettings(ascii=invocation.ascii or None, expect=invocation.expect)
    clock = cast.FrameClock()
    played, started = _fleet_replay(
        invocation,
        ReplayControl(speed=math.inf),
        coalescing=interactive(settings.refresh_hz),
        clock=clock,
    )
    shown = cast_frames(invocation, played.tape)
    clock.now = shown[0].clock if shown else started
    played.join()
    app = SovwatchApp(None, fleet=played.fleet, settings=settings)
    try:
        text = await cast.render_fleet_cast(
            app, shown, tape=played, clock=clock, header=cast_header(invocation, started)
        )
    finally:
        await played.end()
        await played.fleet.aclose()
    return write_cast_file(invocation, text, played.damage)


async def demo_fleet(invocation: Invocation) -> ExitCode:
    """`demo --fleet N`: the simulated Sovereigns, each a member of one fleet (one context each
    of the demo's kubeconfig), on the scenarios' clock."""
    from sovwatch import demo

    async with AsyncExitStack() as stack:
        cluster = await demo.start_demo_cluster(invocation, stack)
        return await run_fleet(
            dataclasses.replace(invocation, kubeconfig=str(cluster.kubeconfig)),
            cluster.contexts,
            settings=demo.watch_settings(cluster.speed),
            clock=cluster.clock,
            time_scale=cluster.speed,
        )


def fleet_contexts(invocation: Invocation) -> tuple[str, ...]:
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


async def run_fleet(
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
        recording = report_recording(invocation, stack) or invocation.record
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
            await write_fleet_reports(
                invocation, recording, exit_code=report_exit_code(invocation, code)
            )
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
    """The fleet of `run_fleet`, every item recorded to `recording` if there is one."""
    from sovwatch.fleet import MemberSpec
    from sovwatch.kube import api

    tui = invocation.output == "tui"
    coalescing = interactive() if tui else headless_rules(live=True, time_scale=time_scale)
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
        say = _stderr(stack, tui=tui)
        fleet.subscribe(_ConnectionWarnings(say))
        for name in names:
            fleet.add(MemberSpec(name, context=name))
        if invocation.kubeconfig_dir is not None:
            await _follow_directory(invocation.kubeconfig_dir, fleet, stack, say=say)
        if headless is None:
            return _quit_code(await run_fleet_tui(invocation, fleet), fleet)
        return await headless.run()


def _quit_code(code: ExitCode, fleet: Fleet) -> ExitCode:
    """The exit code of the fleet screen the operator left: quitting it (0) while a member was
    never reached is 2, as quitting one cluster's screen before its server ever answered is,
    with each such member's line on stderr (the screen that showed it is gone); an interrupt
    stays 130."""
    from sovwatch.kube.errors import NO_ANSWER_YET
    from sovwatch.untrusted import neutralise

    never_reached = [member for member in fleet if not member.reached]
    if code != ExitCode.READY or not never_reached:
        return code
    for member in never_reached:
        diagnose(neutralise(f"{member.name}: {member.trouble or NO_ANSWER_YET}"))
    return ExitCode.USAGE


def _stderr(stack: AsyncExitStack, *, tui: bool) -> Callable[[str], None]:
    """Says a line on stderr (gated and redacted) at once, or (the TUI owning the terminal) when
    `stack` closes, after the TUI."""
    from sovwatch.untrusted import neutralise

    held: list[str] = []

    def say(line: str) -> None:
        if tui:
            held.append(line)
        else:
            diagnose(neutralise(line))

    stack.callback(lambda: [diagnose(neutralise(line)) for line in held])
    return say


class _ConnectionWarnings:
    """Says each member's connection warnings (insecure-skip-tls-verify, a token sent over
    http://) once, after its name, as one cluster's are said when its watch starts (a fleet
    subscriber). Live, a directory's warnings about its files are the directory's to say; a
    replayed cluster's connection carries every warning its notes kept."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._said: set[tuple[str, str]] = set()

    def member_added(self, member: Member) -> None:
        """Not opened yet: no connection, no warnings."""

    def member_removed(self, member: Member) -> None:
        """What it said stays said."""

    def member_trouble(self, member: Member) -> None:
        """Opened (or in trouble): its connection's warnings, those not said yet."""
        for warning in member.pipeline.cluster.warnings:
            if (member.name, warning) not in self._said:
                self._said.add((member.name, warning))
                self._say(f"{member.name}: warning: {warning}")

    def fleet_notice(self, notice: str | None) -> None:
        """About the directory, not a member."""


async def _follow_directory(
    directory: Path, fleet: Fleet, stack: AsyncExitStack, *, say: Callable[[str], None]
) -> None:
    """`--kubeconfig-dir`: the fleet follows the directory until `stack` closes; `say` says its
    warnings."""
    from sovwatch.fleet_directory import following

    await stack.enter_async_context(
        following(directory, fleet, warn=lambda line: say(f"warning: {line}"))
    )


def _fleet_replay(
    invocation: Invocation,
    control: ReplayControl,
    *,
    coalescing: Coalescing,
    clock: Callable[[], float],
) -> tuple[FleetReplay, float]:
    """The fleet `invocation.file` recorded, to be played as `control` paces it, every member's
    pipeline on `clock` (the fleet's own clock too), and when the recording began."""
    from sovwatch.fleet_recording import FleetReplay
    from sovwatch.settings import WatchSettings

    assert invocation.file is not None
    with RecordingReader(invocation.file) as reader:
        started = reader.header.started
        played = FleetReplay(
            reader,
            control=control,
            pipeline=lambda: Pipeline(
                settings=model_settings(invocation),
                coalescing=coalescing,
                clock=clock,
                started_at=started,
            ),
            settings=WatchSettings(),
            clock=clock,
        )
    return played, started


def is_fleet_recording(path: Path) -> bool:
    with RecordingReader(path) as reader:
        return reader.header.fleet


async def replay_fleet(invocation: Invocation) -> ExitCode:
    """`replay` of a fleet's recording: every cluster into its own member, on the fleet screen
    (space pauses, `.` steps) or headless."""
    assert invocation.file is not None
    if invocation.cast is not None:
        return await write_fleet_cast(invocation)
    control = replay_control(invocation)
    played, _ = _fleet_replay(
        invocation,
        control,
        coalescing=interactive() if invocation.output == "tui" else headless_rules(live=False),
        clock=control.now,
    )
    headless = None
    if invocation.output != "tui":
        headless = _headless_fleet(invocation, played.fleet, timeout=math.inf, clock=control.now)

    async def feed() -> None:
        await played.play()
        if headless is not None:
            headless.decide_troubled()
        await played.end()

    async with AsyncExitStack() as stack:  # the recorded warnings, said as the live run did
        played.fleet.subscribe(_ConnectionWarnings(_stderr(stack, tui=headless is None)))
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
