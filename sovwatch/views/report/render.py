"""Rendering: a `Report` through Jinja2 templates into one HTML file or a Markdown summary.

Every value a template prints is escaped by the engine: HTML by Jinja2's autoescape, Markdown by
`markdown_escape` run on every `{{ }}` (`finalize`), so text from the cluster (already through the
untrusted-text gate when it was slimmed) can neither add markup nor break a table. Every printed
value is first passed through `redaction.redact`, like every other exit (before escaping, which would
hide a quoted `"password": ...` from it). No markup is built in Python. The same report renders
to the same bytes: times are UTC and nothing reads the wall clock.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import jinja2

from sovwatch.exitcodes import ExitCode
from sovwatch.outfiles import open_private
from sovwatch.redaction import redact
from sovwatch.views.report import gantt
from sovwatch.views.report.facts import Report, Unreached
from sovwatch.views.report.fleet import FleetReport

MARKDOWN_SUFFIXES = (".md", ".markdown")
MARKDOWN_FAILURES = 20
"""The Markdown summary names at most this many releases that were not ready (failures first)."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
"""What could start markup inside a line (emphasis, code, links, HTML, table cells)."""


def format_of(path: Path) -> str:
    """`markdown` for a `.md` file, else `html` (the command line accepts only these suffixes)."""
    return "markdown" if path.suffix.lower() in MARKDOWN_SUFFIXES else "html"


def render(report: Report, fmt: str) -> str:
    """The report as HTML (`html`) or Markdown (`markdown`)."""
    if fmt == "html":
        page = _environment("html").get_template("report.html.j2")
        return page.render(r=report, g=gantt.layout(report))
    summary = _environment("markdown").get_template("summary.md.j2")
    return summary.render(r=report, limit=MARKDOWN_FAILURES)


def render_unreached(unreached: Unreached, fmt: str) -> str:
    """The report of a run that never reached its cluster, as HTML or Markdown (`render`)."""
    name = "unreached.html.j2" if fmt == "html" else "unreached.md.j2"
    return _environment(fmt).get_template(name).render(u=unreached)


def render_fleet(fleet: FleetReport, fmt: str) -> str:
    """A fleet's index as HTML (`html`, linking to each cluster's own page) or its Markdown
    summary (`markdown`: the fleet's table, then each cluster's summary)."""
    if fmt == "html":
        return _environment("html").get_template("fleet.html.j2").render(f=fleet)
    summary = _environment("markdown").get_template("fleet.md.j2")
    return summary.render(f=fleet, limit=MARKDOWN_FAILURES)


def write(path: Path, text: str) -> None:
    """Write `text` to `path`, replacing it (private, never through a symbolic link)."""
    fd = open_private(path, append=False, what="the report", flag="--report")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


# -- template helpers --------------------------------------------------------------------------------


def redacted(value: object) -> object:
    """A printed value with credentials masked (`redaction.redact`), before it is escaped."""
    return redact(value) if isinstance(value, str) else value


def markdown_escape(value: object) -> str:
    """Text that Markdown shows as it is: one line, special characters backslash-escaped."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def clock(epoch: float | None) -> str:
    """`09:20:16` (UTC)."""
    return "-" if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S")


def when(epoch: float | None) -> str:
    """`2026-12-06 09:20:16 UTC`."""
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float | None) -> str:
    """`45s`, `3m05s`, `1h02m`; `-` when unknown."""
    if seconds is None:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def exit_name(code: int) -> str:
    """`failed` for 1, `interrupted` for 130 (`ExitCode`'s names, lower case)."""
    try:
        return ExitCode(code).name.lower().replace("_", " ")
    except ValueError:
        return "other"


@cache
def _environment(fmt: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sovwatch.views.report", "templates"),
        autoescape=fmt == "html",
        finalize=(lambda v: markdown_escape(redacted(v))) if fmt == "markdown" else redacted,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(clock=clock, when=when, duration=duration, exit_name=exit_name)
    return env
