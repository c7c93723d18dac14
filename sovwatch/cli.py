"""Command line: flags, subcommands and validation.

kubectl-like flags (and `NO_COLOR`, for plain output's colour) turn into one frozen `Invocation`;
`main` hands it to the launcher. The environment is read at the edges only: here, in the launcher
(`KUBECONFIG`, the home folder, and `os.environ` handed to the kube layer for proxies and exec
plugins) and in the TUI (`NO_COLOR`, the locale). Bad input ends
here with argparse's usage line plus one sentence saying what is wrong, and exit code 2. Heavy
imports (aiohttp, textual, the emulator) are deferred into the launcher, so `--help` and `--version`
stay instant.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from pathlib import Path

from sovwatch.about import version_text
from sovwatch.exitcodes import ExitCode
from sovwatch.invocation import (
    DEFAULT_EXEC_TIMEOUT,
    DEFAULT_FIRST_SEEN_TIMEOUT,
    DEFAULT_TIMEOUT,
    Invocation,
)
from sovwatch.termination import interrupt_on_termination

SUBCOMMANDS = ("demo", "sim", "replay", "report")
OUTPUTS = ("tui", "plain", "json")

REPORT_SUFFIXES = (".html", ".htm", ".md", ".markdown")
"""What a report file's name may end in (the suffix picks the format)."""

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")


def parse_duration(text: str) -> float:
    """Seconds from a Go-style duration: `45m`, `90s`, `1h30m`, `1.5h`, `500ms`; `0` means none.

    Raises:
        argparse.ArgumentTypeError: with a sentence that says what a valid value looks like.
    """
    value = text.strip()
    if value == "0":
        return 0.0
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(value):
        if match.start() != pos:
            break
        number, unit = float(match.group(1)), match.group(2)
        total += number * {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}[unit]
        pos = match.end()
    if value and pos == len(value):
        return total
    hint = f"; did you mean {value}s or {value}m?" if value.replace(".", "", 1).isdigit() else ""
    raise argparse.ArgumentTypeError(
        f"invalid duration {text!r}: use a number with a unit, like 90s, 45m or 1h30m{hint}"
    )


def _replay_speed(text: str) -> float:
    """A playback speed factor; `instant` (or `max`) plays without waiting (infinite speed)."""
    if text.lower() in ("instant", "max"):
        return math.inf
    return _speed(text)


def _terminal_size(text: str) -> tuple[int, int]:
    """`120x40`: columns and rows, at least 80x24 (what the TUI is made for)."""
    cols, sep, rows = text.lower().partition("x")
    if not (sep and cols.isdigit() and rows.isdigit()) or int(cols) < 80 or int(rows) < 24:
        raise argparse.ArgumentTypeError(
            f"invalid size {text!r}: use COLSxROWS, at least 80x24, like 120x40"
        )
    return int(cols), int(rows)


def _speed(text: str) -> float:
    """A speed factor above 0 (`10`, `0.5`, `100x`)."""
    try:
        value = float(text.rstrip("xX"))
    except ValueError:
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"invalid speed {text!r}: use a factor above 0 like 1, 10 or 0.5"
        )
    return value


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}: use a whole number of 1 or more")
    return int(text)


MAX_FLEET = 200
"""The most simulated Sovereigns `--fleet` starts (each is an API server and a scenario)."""


def _fleet_size(text: str) -> int:
    size = _count(text)
    if size > MAX_FLEET:
        raise argparse.ArgumentTypeError(
            f"invalid fleet size {text!r}: at most {MAX_FLEET} simulated Sovereigns"
        )
    return size


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: use 0 (any free port) to 65535")
    return int(text)


# -- parsers -----------------------------------------------------------------------------------


def _parser(prog: str, description: str, examples: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_view_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument(
        "-o",
        "--output",
        choices=OUTPUTS,
        help="tui (default on a terminal), plain (default otherwise: one line per change), "
        "json (NDJSON records)",
    )
    group.add_argument("--ascii", action="store_true", help="ASCII glyphs only")
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more (-v info, -vv debug); headless logs go to stderr",
    )
    group.add_argument(
        "--log-file",
        type=Path,
        metavar="FILE",
        help="append logs to FILE (0600; the TUI logs nowhere else), secrets redacted",
    )
    group.add_argument(
        "--no-color", dest="color", action="store_const", const="never", help="no colour"
    )
    group.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour in plain output: auto (never unless forced), always, never",
    )


def _add_wait_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("waiting (exit codes: 0 ready, 1 failed, 3 timeout, ...)")
    group.add_argument(
        "--once", action="store_true", help="print one snapshot once every stream has listed, exit"
    )
    group.add_argument(
        "--exit-on-done",
        action="store_true",
        help="exit when the rollout is ready, failed or timed out",
    )
    group.add_argument(
        "--fail-fast", action="store_true", help="with --exit-on-done: exit 1 on the first failure"
    )
    _add_outcome_flags(group)


def _add_outcome_flags(group: argparse._ActionsContainer) -> None:
    """The model's settings that decide the outcome (timeouts, the expected release count)."""
    group.add_argument(
        "--timeout",
        type=parse_duration,
        default=DEFAULT_TIMEOUT,
        metavar="DURATION",
        help="give up after this long (default 60m; 0 = never), e.g. 45m, 1h30m",
    )
    group.add_argument(
        "--first-seen-timeout",
        type=parse_duration,
        default=DEFAULT_FIRST_SEEN_TIMEOUT,
        metavar="DURATION",
        help="flux is not reconciling if no HelmRelease appears within this (default 15m)",
    )
    group.add_argument(
        "--expect",
        type=_count,
        metavar="N",
        help="the rollout has N HelmReleases (default: "
        "from the bootstrap Kustomization's inventory, else what has been seen)",
    )


def _add_record_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="append every watch event to FILE (JSON lines; gzip when it ends in .gz)",
    )


def _report_file(text: str) -> Path:
    """A report file whose suffix says its format."""
    path = Path(text)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"invalid report file {text!r}: end its name in .html (one self-contained page) "
            "or .md (a Markdown summary)"
        )
    return path


def _add_watching_flags(parser: argparse.ArgumentParser, *, record: bool) -> None:
    """The flags of every command that watches a rollout: the view, when to stop, the post-mortem
    report and (for live watches) recording."""
    _add_view_flags(parser)
    _add_wait_flags(parser)
    parser.add_argument(
        "--report",
        type=_report_file,
        action="append",
        default=[],
        metavar="FILE.html|FILE.md",
        help="at exit (also on Ctrl-C and failure) write a post-mortem report: HTML, or Markdown "
        "for a CI job summary; repeat for both",
    )
    if record:
        _add_record_flag(parser)
        parser.add_argument(
            "--no-logs",
            action="store_true",
            help="never read container logs (pods/log), not even the tail of a crashed root cause",
        )
        parser.add_argument(
            "--no-cache",
            action="store_true",
            help="neither show nor keep the last picture of the cluster on disk "
            "($XDG_CACHE_HOME/sovwatch)",
        )


def _add_scenario_flags(parser: argparse.ArgumentParser, *, default_speed: str) -> None:
    parser.add_argument(
        "--scenario",
        metavar="NAME|FILE",
        help="bootstrap-kit (default), stuck, large, or a scenario YAML file",
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        metavar="X",
        help=f"play the scenario X times faster ({default_speed})",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    parser.add_argument(
        "--fleet",
        type=_fleet_size,
        default=0,
        metavar="N",
        help=f"N simulated Sovereigns at once (at most {MAX_FLEET}), one context each: mostly "
        "bootstrap-kit at different stages, one in four stuck, one whose API server goes away "
        "now and then; not with --scenario",
    )


def watch_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "sovwatch",
        "Watch a Flux-based Kubernetes Sovereign bootstrap itself, live. Read-only.\n\n"
        "commands (sovwatch COMMAND --help for each):\n"
        "  demo     watch the built-in simulated Sovereign (no cluster needed)\n"
        "  replay   play a recording made with --record\n"
        "  report   write the post-mortem report (HTML or Markdown) of a recording\n"
        "  sim      run the Kubernetes API emulator with a scenario",
        "  sovwatch demo\n"
        "  sovwatch --kubeconfig sov.yaml\n"
        "  sovwatch --context sov-prod -o plain --exit-on-done --timeout 45m\n"
        "  sovwatch --context sov-a --context sov-b -o plain --exit-on-done   (a fleet)\n"
        "  sovwatch --kubeconfig-dir /var/lib/catalyst/kubeconfigs   (a fleet, followed live)\n"
        "  sovwatch --once -o json | jq '.progress'\n"
        "  sovwatch --record bootstrap.ndjson.gz\n"
        "  sovwatch -o plain --exit-on-done --report run.html --report summary.md\n"
        "  kubectl sovwatch --context sov-prod   (as a kubectl plugin)",
    )
    parser.usage = "sovwatch [flags]\n       sovwatch {demo,replay,report,sim} [flags]"
    parser.add_argument(
        "--version",
        action="version",
        version=version_text(os.environ),
        help="print the version, the Python it runs on and the build (executable, zipapp or "
        "installed), and exit",
    )
    group = parser.add_argument_group("cluster")
    group.add_argument(
        "--kubeconfig", metavar="PATH", help="kubeconfig file (default $KUBECONFIG, ~/.kube/config)"
    )
    group.add_argument(
        "--context",
        metavar="NAME",
        action="append",
        help="kubeconfig context (default: current); repeat it to watch several clusters at once",
    )
    group.add_argument(
        "--all-contexts",
        action="store_true",
        help="watch every context of the kubeconfig (merged from $KUBECONFIG), one cluster each",
    )
    group.add_argument(
        "--kubeconfig-dir",
        type=Path,
        metavar="DIR",
        help="watch every kubeconfig file in DIR as one cluster each (its current context), "
        "following files that appear, change or disappear while running",
    )
    group.add_argument(
        "-n", "--namespace", metavar="NS", help="watch namespaced kinds in NS only (default: all)"
    )
    group.add_argument(
        "--exec-timeout",
        type=parse_duration,
        default=DEFAULT_EXEC_TIMEOUT,
        metavar="DURATION",
        help="how long an exec credential plugin may take before it is killed (default 2m)",
    )
    _add_watching_flags(parser, record=True)
    return parser


def demo_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "sovwatch demo",
        "Start the built-in Kubernetes API emulator on 127.0.0.1 with a bootstrap scenario and watch\n"
        "it through the real watch path. No kubeconfig or network needed.",
        "  sovwatch demo\n"
        "  sovwatch demo --scenario stuck\n"
        "  sovwatch demo -o plain --speed 100 --exit-on-done\n"
        "  sovwatch demo --seed 7 --record demo.ndjson.gz\n"
        "  sovwatch demo --fleet 12",
    )
    _add_scenario_flags(parser, default_speed="default: the scenario in about two minutes")
    _add_watching_flags(parser, record=True)
    return parser


def replay_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "sovwatch replay",
        "Play a recording made with --record through the same model into any view.",
        "  sovwatch replay bootstrap.ndjson.gz\n"
        "  sovwatch replay bootstrap.ndjson.gz --speed 10\n"
        "  sovwatch replay bootstrap.ndjson.gz --speed instant -o json\n"
        "  sovwatch replay bootstrap.ndjson.gz --speed instant -o json | tail -1   (the outcome)\n"
        "  sovwatch replay bootstrap.ndjson.gz --cast bootstrap.cast && asciinema play bootstrap.cast",
    )
    parser.add_argument(
        "file", type=Path, metavar="FILE", help="a recording (.ndjson or .ndjson.gz)"
    )
    parser.add_argument(
        "--speed",
        type=_replay_speed,
        default=1.0,
        metavar="X",
        help="X times real time (default 1), or 'instant'",
    )
    parser.add_argument(
        "--real-gaps",
        action="store_true",
        help="play stretches where nothing was recorded, and what came before the first "
        "HelmRelease, as long as they were (default: at most a second each, the lead-in at once)",
    )
    parser.add_argument(
        "--cast",
        type=Path,
        metavar="FILE",
        help="write the TUI's rendering as an asciicast v2 file (asciinema play FILE) and exit",
    )
    parser.add_argument(
        "--cast-size",
        type=_terminal_size,
        default=(120, 40),
        metavar="COLSxROWS",
        help="terminal size of --cast (default 120x40)",
    )
    _add_watching_flags(parser, record=False)
    return parser


def sim_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "sovwatch sim",
        "Run the Kubernetes API emulator standalone on 127.0.0.1 with a scenario until Ctrl-C.\n"
        "It prints its URL and writes a kubeconfig that kubectl and sovwatch can use.",
        "  sovwatch sim --write-kubeconfig /tmp/sim.yaml\n"
        "  kubectl --kubeconfig /tmp/sim.yaml get hr -A -w\n"
        "  sovwatch --kubeconfig /tmp/sim.yaml\n"
        "  sovwatch sim --scenario stuck --speed 20 --port 6443 --write-kubeconfig sim.yaml\n"
        "  sovwatch sim --no-tls --port 8080   (plain HTTP: sovwatch and curl, not kubectl)\n"
        "  sovwatch sim --scenario large --no-watch-list --no-serialization-cache   (an older,\n"
        "      simpler API server: paginated lists, every object encoded for every request)\n"
        "  sovwatch sim --fleet 12 --write-kubeconfig fleet.yaml   (12 contexts in one file)",
    )
    _add_scenario_flags(parser, default_speed="default 1")
    parser.add_argument(
        "--port", type=_port, default=0, metavar="P", help="port (default: any free)"
    )
    parser.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve HTTPS with a generated CA (default; kubectl sends no token over plain HTTP)",
    )
    parser.add_argument(
        "--write-kubeconfig",
        type=Path,
        metavar="PATH",
        help="write a kubeconfig for the emulator here (default: a temporary file)",
    )
    parser.add_argument(
        "--watch-list",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve streamed lists (sendInitialEvents, default); --no-watch-list refuses them "
        "(422) as an older API server does",
    )
    parser.add_argument(
        "--serialization-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep each object's encoding as kube-apiserver's watch cache does (default); "
        "--no-serialization-cache encodes every object for every request",
    )
    return parser


def report_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "sovwatch report",
        "Write the post-mortem report of a recording: one self-contained HTML file (verdict,\n"
        "timeline by wave, root causes, stream health), or a Markdown summary for CI.",
        "  sovwatch report bootstrap.ndjson.gz                 (writes bootstrap.html)\n"
        "  sovwatch report bootstrap.ndjson.gz -o run.html\n"
        "  sovwatch report bootstrap.ndjson.gz -o summary.md && cat summary.md >> $GITHUB_STEP_SUMMARY",
    )
    parser.add_argument(
        "file", type=Path, metavar="RECORDING", help="a recording (.ndjson or .ndjson.gz)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=_report_file,
        metavar="FILE.html|FILE.md",
        help="where to write it (default: the recording's name with .html)",
    )
    _add_outcome_flags(parser.add_argument_group("outcome (as the recorded run had them)"))
    return parser


def default_report_path(recording: Path) -> Path:
    """`run.ndjson.gz` -> `run.html`, beside the recording."""
    name = recording.name
    for suffix in (".gz", ".ndjson", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return recording.with_name(f"{name or 'report'}.html")


_PARSERS = {
    "watch": watch_parser,
    "demo": demo_parser,
    "replay": replay_parser,
    "sim": sim_parser,
    "report": report_parser,
}


# -- validation --------------------------------------------------------------------------------


def _default_output(args: argparse.Namespace, *, stdout_is_tty: bool) -> str:
    if args.output:
        return args.output
    if stdout_is_tty and not (args.once or args.exit_on_done or args.fail_fast):
        return "tui"
    return "plain"


def _wants_color(args: argparse.Namespace, *, environ: dict[str, str]) -> bool:
    """Colour in plain output only when forced: `--color always` (and not `NO_COLOR`)."""
    return args.color == "always" and not environ.get("NO_COLOR")


def _check_conflicts(
    parser: argparse.ArgumentParser, args: argparse.Namespace, output: str
) -> None:
    if args.fail_fast:
        args.exit_on_done = True
    if args.once and args.exit_on_done:
        parser.error(
            "--once prints one snapshot and exits; it cannot be combined with --exit-on-done/--fail-fast"
        )
    if output == "tui" and args.once:
        parser.error("--once prints a snapshot; use it with -o plain or -o json, not -o tui")
    if getattr(args, "kubeconfig_dir", None) is not None and (
        args.kubeconfig or args.context or args.all_contexts
    ):
        parser.error(
            "--kubeconfig-dir watches each file's current context: leave out --kubeconfig, "
            "--context and --all-contexts"
        )
    if getattr(args, "exec_timeout", None) == 0:
        parser.error("--exec-timeout 0 would let a plugin hang sovwatch: give a duration like 2m")
    if output == "tui" and args.exit_on_done:
        parser.error("--exit-on-done is for scripts; use it with -o plain or -o json, not -o tui")
    if getattr(args, "all_contexts", False) and args.context:
        parser.error("--all-contexts watches every context; leave out --context")
    if getattr(args, "cast", None) is not None:
        if args.output or args.once or args.exit_on_done:
            parser.error(
                "--cast writes the TUI's rendering to a file; leave out -o, --once and --exit-on-done"
            )
        if math.isinf(args.speed):
            parser.error("--cast plays at the recording's pace: give --speed a factor like 1 or 10")


def parse(
    argv: list[str], *, stdout_is_tty: bool, environ: dict[str, str] | None = None
) -> Invocation:
    """Parse and validate a command line.

    Raises:
        SystemExit: on `--help`/`--version` (code 0) or bad input (code 2, after printing usage).
    """
    environ = dict(os.environ) if environ is None else environ
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else "watch"
    rest = argv[1:] if command != "watch" else argv
    parser = _PARSERS[command]()
    args = parser.parse_args(rest)
    if getattr(args, "fleet", 0) and args.scenario:
        parser.error("--fleet plays its own mix of scenarios: leave out --scenario")
    if command == "sim":
        return Invocation(
            command="sim",
            scenario=args.scenario,
            speed=args.speed or 1.0,
            seed=args.seed,
            port=args.port,
            tls=args.tls,
            write_kubeconfig=args.write_kubeconfig,
            fleet=args.fleet,
            watch_list=args.watch_list,
            serialization_cache=args.serialization_cache,
        )
    if command == "report":
        return Invocation(
            command="report",
            file=args.file,
            reports=(args.output or default_report_path(args.file),),
            speed=math.inf,
            timeout=args.timeout,
            first_seen_timeout=args.first_seen_timeout,
            expect=args.expect,
        )
    output = _default_output(args, stdout_is_tty=stdout_is_tty)
    _check_conflicts(parser, args, output)
    contexts = tuple(dict.fromkeys(getattr(args, "context", None) or ()))
    return Invocation(
        command=command,
        output=output,
        kubeconfig=getattr(args, "kubeconfig", None),
        context=contexts[0] if len(contexts) == 1 else None,
        contexts=contexts if len(contexts) > 1 else (),
        all_contexts=getattr(args, "all_contexts", False),
        kubeconfig_dir=getattr(args, "kubeconfig_dir", None),
        namespace=getattr(args, "namespace", None),
        once=args.once,
        exit_on_done=args.exit_on_done,
        fail_fast=args.fail_fast,
        timeout=args.timeout,
        first_seen_timeout=args.first_seen_timeout,
        expect=args.expect,
        record=getattr(args, "record", None),
        ascii=args.ascii,
        color=_wants_color(args, environ=environ),
        file=getattr(args, "file", None),
        speed=getattr(args, "speed", 1.0),
        scenario=getattr(args, "scenario", None),
        seed=getattr(args, "seed", 0),
        fleet=getattr(args, "fleet", 0),
        verbosity=args.verbose,
        log_file=args.log_file,
        reports=tuple(args.report),
        exec_timeout=getattr(args, "exec_timeout", DEFAULT_EXEC_TIMEOUT),
        real_gaps=getattr(args, "real_gaps", False),
        cast=getattr(args, "cast", None),
        cast_size=getattr(args, "cast_size", (120, 40)),
        no_logs=getattr(args, "no_logs", False),
        no_cache=getattr(args, "no_cache", False),
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of `sovwatch`, `python -m sovwatch` and `kubectl-sovwatch`; returns the exit code.

    SIGTERM and SIGHUP interrupt like Ctrl-C from the start (exit 130, no traceback), also while
    the heavy modules load; once running, the launcher's event loop takes them over."""
    interrupt_on_termination()
    try:
        invocation = parse(
            sys.argv[1:] if argv is None else argv, stdout_is_tty=sys.stdout.isatty()
        )
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else ExitCode.USAGE
    try:
        from sovwatch import launch

        return launch.run(invocation)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
