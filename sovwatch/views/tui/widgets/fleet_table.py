"""The fleet table: one row per Sovereign (`model.fleet.FleetRow`), failing first.

Columns adapt to the width as the release table's do: outcome, context, "31/38" with a bar,
failed and waiting counts and the worst root cause are always there; stream health, elapsed time,
ETA (a bound, `rough_eta`: estimates wobble with every finished release) and the server join, in that order, while the cause keeps at least `CAUSE_MIN` cells (at 80
columns none of them fit, so a stream in trouble leads the cause instead: "reconnecting: …").
Every column but the cause has a fixed width or one sized for every member, so data updates
never rebuild the table; the cells that changed are rewritten (`KeyedTable.sync`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding

from sovwatch.model.fleet import CONNECTING, TROUBLE, FleetRow
from sovwatch.model.outcome import Outcome
from sovwatch.model.states import State
from sovwatch.views.tui.glyphs import Glyphs
from sovwatch.views.tui.palette import Palette
from sovwatch.views.tui.viewmodel import age, rough_eta, truncate
from sovwatch.views.tui.widgets.keyed_table import Column, KeyedTable

OUTCOME_STATE = {
    Outcome.READY: State.READY,
    Outcome.IN_PROGRESS: State.PROGRESSING,
    Outcome.FAILED: State.FAILED,
    Outcome.TIMEOUT: State.FAILED,
    Outcome.FLUX_NOT_RECONCILING: State.FAILED,
    TROUBLE: State.STALLED,
    CONNECTING: State.UNKNOWN,
}
"""Which state's glyph and colour an outcome is drawn with."""
OUTCOME_WORD = {Outcome.FLUX_NOT_RECONCILING: "flux stuck"}
"""Outcome words too long for the column (the header's totals say it in full)."""
OUTCOME_WIDTH = 14
"""Glyph, space, the longest word ("in-progress", "connecting") and the gap."""
BAR = 6
"""Cells of the progress bar between its ends."""
STREAMS_WIDTH = 17
""""reconnecting pods" and the gap; longer summaries are cut."""
CAUSE_MIN = 30
SCROLLBAR = 1
CAUSE_LABELS = ("Worst root cause", "Cause")
WARNED = "!"
"""After the context of a Sovereign with a warning (the pane below says it)."""
HELD = "recovered, held with failing"
"""The cause cell, dimmed, of a row kept among the failing ones with nothing broken now
(`FleetRow.held`): why it sits there. Constant, so the hold adds no bytes per second."""


def _column(key: str, label: str, content: int) -> Column:
    """A column wide enough for its content and its whole header, plus the one-cell gap."""
    return Column(key, label, max(content, len(label)) + 1)


def layout(width: int, rows: Sequence[FleetRow]) -> tuple[Column, ...]:
    """The columns for a table `width` cells wide, sized for `rows`; every header stays whole."""
    longest = max((len(r.context) + (2 if r.warnings else 0) for r in rows), default=7)
    context = _column("context", "Context", min(longest, 28))
    # sized for the targets, not the counts: a first "10/38" does not widen (and repaint) the table
    counts = max((len(f"{r.target}/{r.target}") for r in rows), default=5)
    fixed = [
        Column("outcome", "Outcome", OUTCOME_WIDTH),
        context,
        _column("ready", "Ready", counts + 1 + BAR + 2),
        _column("failed", "Fail", 3),
        _column("waiting", "Wait", 3),
    ]
    candidates = {
        "streams": _column("streams", "Streams", STREAMS_WIDTH - 1),
        "elapsed": _column("elapsed", "Elapsed", 5),
        "eta": _column("eta", "ETA", 5),
        "server": _column(
            "server", "Server", min(max((len(r.server) for r in rows), default=6), 40)
        ),
    }
    room = width - sum(c.width for c in fixed) - SCROLLBAR
    shown = set()
    for key, column in candidates.items():
        if room - column.width >= CAUSE_MIN:
            shown.add(key)
            room -= column.width
    columns = fixed[:2]
    if "server" in shown:
        columns.append(candidates["server"])
    columns += fixed[2:]
    columns += [candidates[k] for k in ("streams", "elapsed", "eta") if k in shown]
    label = next((c for c in CAUSE_LABELS if len(c) < room), CAUSE_LABELS[-1])
    columns.append(Column("cause", label, max(room, len(label) + 1)))
    return tuple(columns)


def outcome_text(outcome: str, glyphs: Glyphs) -> str:
    state = OUTCOME_STATE.get(outcome, State.UNKNOWN)
    return f"{glyphs.state[state]} {OUTCOME_WORD.get(outcome, outcome)}"


def cells(
    row: FleetRow, columns: Sequence[Column], *, glyphs: Glyphs, palette: Palette
) -> tuple[Text, ...]:
    """The styled cells of one row for the given columns (fresh objects per call)."""
    style = palette.state[OUTCOME_STATE.get(row.outcome, State.UNKNOWN)]
    by_key = {c.key: c for c in columns}
    ready = _ready(row, by_key["ready"].width - BAR - 4, glyphs, palette)
    eta = ""
    if row.outcome == Outcome.IN_PROGRESS:
        eta = rough_eta(row.eta) if row.eta is not None else "?"
    lead = ""
    if "streams" not in by_key and not row.streams.quiet and row.outcome != TROUBLE:
        lead = f"{row.streams.state}: " if row.cause else row.streams.text
    values = {
        "outcome": Text(outcome_text(row.outcome, glyphs), style=style),
        "context": Text.assemble(
            row.context, (f" {WARNED}" if row.warnings else "", palette.state[State.WAITING])
        ),
        "server": Text(row.server, style=palette.muted),
        "ready": ready,
        "failed": _count(row.failed, glyphs, palette.state[State.FAILED]),
        "waiting": _count(row.waiting, glyphs, palette.state[State.WAITING]),
        "streams": Text(
            _streams(row, by_key["streams"].width - 1, glyphs) if "streams" in by_key else "",
            style="" if row.streams.quiet else palette.state[State.WAITING],
        ),
        "elapsed": Text(age(row.elapsed)),
        "eta": Text(eta),
        "cause": _cause(row, lead, by_key["cause"].width - 1, glyphs, palette),
    }
    return tuple(values[c.key] for c in columns)


def _cause(row: FleetRow, lead: str, width: int, glyphs: Glyphs, palette: Palette) -> Text:
    """The cause cell: a stream's trouble, then the cause (`HELD` for a held row without one)."""
    if row.held and not row.cause:
        return Text.assemble(lead, (truncate(HELD, width - len(lead), glyphs), palette.muted))
    style = palette.state[OUTCOME_STATE.get(row.outcome, State.UNKNOWN)] if row.failing else ""
    return Text(lead + fit_cause(row.cause, width - len(lead), glyphs), style=style)


def _streams(row: FleetRow, width: int, glyphs: Glyphs) -> str:
    """The stream summary in `width` cells: "reconnecting pods +2", else "reconnecting +2"."""
    summary = row.streams
    text = summary.text
    if len(text) > width and summary.others:
        text = f"{summary.state} +{summary.others}"
    return truncate(text, width, glyphs)


def _ready(row: FleetRow, count_width: int, glyphs: Glyphs, palette: Palette) -> Text:
    """ "31/38 ▕████░░▏"; a dash while no release is known (nothing listed yet, no connection)."""
    if not row.target:
        return Text(glyphs.dash.rjust(count_width))
    filled = round(BAR * row.fraction)
    ready = Text(f"{row.ready}/{row.target}".rjust(count_width) + " ")
    ready.append(glyphs.bar_left)
    ready.append(glyphs.bar_full * filled, style=palette.state[State.READY])
    ready.append(glyphs.bar_empty * (BAR - filled), style=palette.muted)
    ready.append(glyphs.bar_right)
    return ready


def fit_cause(links: Sequence[str], width: int, glyphs: Glyphs) -> str:
    """The cause's links in `width` cells: whole if they fit, else without the releases that only
    wait behind the culprit, then cut at the end ("bp-spire ← RetriesExceeded: Failed to in…")."""
    links = list(links)
    while len(links) > 2 and len(glyphs.chain.join(links)) > width:
        links.pop(0)
    return truncate(glyphs.chain.join(links), width, glyphs)


def _count(n: int, glyphs: Glyphs, style) -> Text:
    return Text(str(n), style=style) if n else Text(glyphs.dash)


class FleetTable(KeyedTable):
    """The Sovereigns, one keyed row each (the context)."""

    BINDINGS = [Binding("enter", "select_cursor", "Open")]

    def __init__(self, *, glyphs: Glyphs, id: str | None = None) -> None:
        super().__init__(id=id)
        self.glyphs = glyphs
        self._rows: list[FleetRow] = []

    def show(self, rows: Sequence[FleetRow], *, palette: Palette) -> None:
        """Display `rows` in this order."""
        self._rows = list(rows)
        width = self.size.width or self.app.size.width
        self.set_columns(layout(width, self._rows))
        columns = self.layout_columns
        self.sync(
            [
                (row.context, cells(row, columns, glyphs=self.glyphs, palette=palette))
                for row in self._rows
            ]
        )
