"""Command-line parsing: kubectl-like flags, clear errors, exit code 2 for anything wrong."""

from __future__ import annotations

import argparse
import math

import pytest

from sovwatch.cli import main, parse, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45m", 2700), ("90s", 90), ("1h30m", 5400), ("1.5h", 5400), ("2h15m30s", 8130),
     ("500ms", 0.5), ("0", 0)],
    ids=["minutes", "seconds", "hours-minutes", "fraction", "h-m-s", "millis", "zero"],
)  # fmt: skip
def test_durations(text: str, seconds: float):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "hint"),
    [("45", "did you mean 45s or 45m"), ("45 min", "with a unit"), ("m", "with a unit"),
     ("-5m", "with a unit"), ("1h30", "with a unit"), ("", "with a unit")],
    ids=["no-unit", "word-unit", "no-number", "negative", "trailing-number", "empty"],
)  # fmt: skip
def test_bad_durations_say_what_a_good_one_looks_like(text: str, hint: str):
    with pytest.raises(argparse.ArgumentTypeError, match=hint):
        parse_duration(text)


def _usage_error(argv: list[str], capsys, *, tty: bool = False) -> str:
    with pytest.raises(SystemExit) as stop:
        parse(argv, stdout_is_tty=tty, environ={})
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sovwatch")
    assert "Traceback" not in err
    return err.splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--timeout", "45"], "invalid duration '45'"),
        (["--once", "-o", "tui"], "use it with -o plain or -o json"),
        (["--exit-on-done", "-o", "tui"], "use it with -o plain or -o json"),
        (["--once", "--exit-on-done"], "cannot be combined"),
        (["--once", "--fail-fast"], "cannot be combined"),
        (["--watch"], "unrecognized arguments: --watch"),
        (["-o", "yaml"], "invalid choice: 'yaml'"),
        (["--expect", "0"], "whole number of 1 or more"),
        (["replay"], "the following arguments are required: FILE"),
        (["replay", "x.ndjson", "--speed", "0"], "factor above 0"),
        (["demo", "--speed", "instant"], "factor above 0"),
        (["demo", "--kubeconfig", "x"], "unrecognized arguments: --kubeconfig"),
        (["sim", "--port", "70000"], "0 (any free port) to 65535"),
        (["sim", "-o", "plain"], "unrecognized arguments: -o"),
        (["replay", "r.gz", "--cast", "r.cast", "--cast-size", "120"], "invalid size '120'"),
        (["replay", "r.gz", "--cast", "r.cast", "--cast-size", "60x20"], "at least 80x24"),
        (["replay", "r.gz", "--cast", "r.cast", "--once"], "leave out -o, --once"),
        (["replay", "r.gz", "--cast", "r.cast", "--speed", "instant"], "give --speed a factor"),
        (["--real-gaps"], "unrecognized arguments: --real-gaps"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_usage_errors_name_the_problem(argv: list[str], message: str, capsys):
    assert message in _usage_error(argv, capsys)


@pytest.mark.parametrize(
    ("argv", "tty", "output"),
    [
        ([], True, "tui"),
        ([], False, "plain"),
        (["--once"], True, "plain"),
        (["--exit-on-done"], True, "plain"),
        (["-o", "json"], True, "json"),
        (["replay", "r.ndjson"], True, "tui"),
        (["demo"], False, "plain"),
    ],
    ids=[
        "tty",
        "pipe",
        "once-on-tty",
        "exit-on-done-on-tty",
        "explicit",
        "replay-tty",
        "demo-pipe",
    ],
)
def test_output_defaults_to_tui_only_on_a_terminal(argv: list[str], tty: bool, output: str):
    assert parse(argv, stdout_is_tty=tty, environ={}).output == output


def test_watch_flags_are_kept():
    inv = parse(
        ["--kubeconfig", "sov.yaml", "--context", "sov-prod", "-n", "flux-system", "--fail-fast",
         "--timeout", "45m", "--first-seen-timeout", "90s", "--expect", "38", "--record", "r.gz"],
        stdout_is_tty=False, environ={},
    )  # fmt: skip
    assert (inv.command, inv.kubeconfig, inv.context, inv.namespace) == (
        "watch", "sov.yaml", "sov-prod", "flux-system",
    )  # fmt: skip
    assert inv.exit_on_done  # --fail-fast implies it
    assert (inv.timeout, inv.first_seen_timeout, inv.expect, str(inv.record)) == (
        2700,
        90,
        38,
        "r.gz",
    )


def test_subcommand_flags():
    replay = parse(
        ["replay", "r.ndjson", "--speed", "instant", "-o", "json"], stdout_is_tty=True, environ={}
    )
    assert (replay.command, str(replay.file), replay.speed, replay.output) == (
        "replay",
        "r.ndjson",
        math.inf,
        "json",
    )
    demo = parse(
        ["demo", "--scenario", "stuck", "--speed", "100x", "--seed", "7"],
        stdout_is_tty=False,
        environ={},
    )
    assert (demo.scenario, demo.speed, demo.seed) == ("stuck", 100, 7)
    assert parse(["demo"], stdout_is_tty=False, environ={}).speed is None  # the scenario's own pace
    sim = parse(
        ["sim", "--tls", "--port", "6443", "--write-kubeconfig", "k.yaml"],
        stdout_is_tty=True,
        environ={},
    )
    assert (sim.command, sim.tls, sim.port, str(sim.write_kubeconfig)) == (
        "sim",
        True,
        6443,
        "k.yaml",
    )


@pytest.mark.parametrize(
    ("argv", "environ", "color"),
    [
        ([], {}, False),
        (["--color", "always"], {}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, False),
        (["--color", "always", "--no-color"], {}, False),
        (["--color", "auto"], {}, False),
    ],
    ids=["default", "forced", "no-color-env", "no-color-flag-last", "auto"],
)
def test_color_only_when_forced(argv: list[str], environ: dict, color: bool):
    assert parse(["-o", "plain", *argv], stdout_is_tty=True, environ=environ).color is color


@pytest.mark.parametrize(
    "command", [[], ["demo"], ["replay"], ["sim"]], ids=["watch", "demo", "replay", "sim"]
)
def test_every_command_has_help_with_examples(command: list[str], capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: sovwatch")
    assert "examples:\n  sovwatch" in out


def test_bad_flags_from_main_return_2(capsys):
    assert main(["--bogus"]) == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_replay_flags_are_kept():
    inv = parse(
        ["replay", "r.ndjson.gz", "--speed", "4", "--real-gaps", "--cast", "r.cast", "--cast-size", "100X30"],
        stdout_is_tty=True, environ={},
    )  # fmt: skip
    assert (inv.file.name, inv.speed, inv.real_gaps) == ("r.ndjson.gz", 4.0, True)
    assert (inv.cast.name, inv.cast_size) == ("r.cast", (100, 30))
    plain = parse(["replay", "r.ndjson.gz"], stdout_is_tty=True, environ={})
    assert (plain.real_gaps, plain.cast, plain.cast_size) == (False, None, (120, 40))
