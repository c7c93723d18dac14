"""Command line: flags, subcommands and wiring. The only place that reads the environment.

Heavy imports (aiohttp, textual, the emulator) are deferred into the subcommand that needs them, so
`sovwatch --version` and `--help` stay instant.
"""

from __future__ import annotations

import argparse
import sys

from sovwatch import __version__
from sovwatch.exitcodes import ExitCode


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sovwatch",
        description="Watch a Flux-based Kubernetes Sovereign bootstrap itself, live. Read-only.",
    )
    parser.add_argument("--version", action="version", version=f"sovwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "demo",
        help="watch the built-in simulated Sovereign (no cluster needed)",
        description="Start the built-in API emulator with a bootstrap scenario and watch it.",
    )
    sub.add_parser(
        "sim",
        help="run the Kubernetes API emulator with a scenario",
        description="Run the Kubernetes API emulator standalone.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    print(f"sovwatch {args.command}: not implemented yet", file=sys.stderr)
    return ExitCode.USAGE
