"""The README's Usage section documents every flag `--help` offers, for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovwatch.cli import demo_parser, replay_parser, report_parser, sim_parser, watch_parser

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _usage_section() -> str:
    start = README.index("## Usage")
    return README[start : README.index("\n## ", start + 1)]


@pytest.mark.parametrize(
    "parser",
    [watch_parser, demo_parser, replay_parser, sim_parser, report_parser],
    ids=lambda p: p.__name__,
)
def test_every_flag_is_in_the_readme(parser):
    usage = _usage_section()
    flags = [
        f
        for action in parser()._actions
        for f in action.option_strings
        if f not in ("-h", "--help", "--version")
    ]
    assert flags
    missing = [
        f for f in flags if f"`{f}" not in usage and f"/`{f}`" not in usage and f" {f}" not in usage
    ]
    assert missing == []
