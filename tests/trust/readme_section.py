"""The README's "Bad input" section: the table of every case, its message and its exit code."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def bad_input_section() -> str:
    text = README.read_text()
    start = text.index("\n## Bad input\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]
