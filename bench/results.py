"""What every benchmark returns, and the one table (plus JSON) `python -m bench` prints.

A benchmark measures subjects (sovwatch headless, kubectl, ...) on one metric; one subject is the
peer the ratios are taken against. A subject that cannot run yet (its code is not merged) keeps
its row with `value=None` and the reason, never a made-up figure.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Measurement:
    subject: str
    value: float | None
    """None: not measured (see `note`)."""
    note: str = ""
    extra: dict = field(default_factory=dict)
    """Supporting raw figures (totals, samples, durations) for the JSON output."""


@dataclass(frozen=True)
class Target:
    """`subject`'s value must be at most `limit` (absolute) or at most `ratio` x the peer's."""

    text: str
    subject: str
    limit: float | None = None
    ratio: float | None = None


@dataclass(frozen=True)
class BenchResult:
    name: str
    title: str
    unit: str
    peer: str
    """The subject ratios are taken against; "" when there is no peer (latency)."""
    measurements: tuple[Measurement, ...]
    targets: tuple[Target, ...] = ()
    notes: tuple[str, ...] = ()

    def value(self, subject: str) -> float | None:
        for m in self.measurements:
            if m.subject == subject:
                return m.value
        return None

    def ratio(self, subject: str) -> float | None:
        """subject / peer, when both were measured and the peer's value is not zero."""
        if not self.peer:
            return None
        mine, peer = self.value(subject), self.value(self.peer)
        if mine is None or peer is None or peer == 0:
            return None
        return mine / peer

    def verdict(self, target: Target) -> str:
        value = self.value(target.subject)
        if value is None:
            return "n/a (not measured)"
        bound = target.limit
        if target.ratio is not None:
            peer = self.value(self.peer)
            if peer is None:
                return "n/a (peer not measured)"
            bound = target.ratio * peer
        if bound is None:
            return "n/a"
        if value <= bound:
            return "pass"
        over = (value / bound - 1) * 100 if bound else math.inf
        return f"MISS by {over:.0f}%"

    def to_json(self) -> dict:
        doc = asdict(self)
        doc["ratios"] = {m.subject: self.ratio(m.subject) for m in self.measurements}
        doc["verdicts"] = [{"target": t.text, "verdict": self.verdict(t)} for t in self.targets]
        return doc


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(results: list[BenchResult]) -> str:
    """Plain-text table: one line per subject, ratios against the benchmark's peer, then targets."""
    rows = [("benchmark", "subject", "value", "unit", "vs peer", "note")]
    for r in results:
        for i, m in enumerate(r.measurements):
            ratio = r.ratio(m.subject)
            rows.append(
                (
                    r.name if i == 0 else "",
                    m.subject + (" (peer)" if m.subject == r.peer else ""),
                    _fmt(m.value) if m.value is not None else "not available yet",
                    r.unit,
                    f"{ratio:.2f}x" if ratio is not None and m.subject != r.peer else "",
                    m.note,
                )
            )
    widths = [max(len(row[c]) for row in rows) for c in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[5]
        )
        if n == 0:
            lines.append("-" * (sum(widths) + 12))
    lines.append("")
    lines.append("targets:")
    for r in results:
        for t in r.targets:
            lines.append(f"  {r.name}: {t.text}: {r.verdict(t)}")
    return "\n".join(line.rstrip() for line in lines)


def dump_json(results: list[BenchResult], machine: dict, others: dict | None = None) -> str:
    """The whole run as one JSON document; `others` holds other bench scripts' output."""
    document = {"machine": machine, "results": [r.to_json() for r in results]}
    if others:
        document["other_scripts"] = others
    return json.dumps(document, indent=2, default=str)
