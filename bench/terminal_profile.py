"""Where a TUI's terminal bytes go: a capture of what it wrote, replayed on a small screen model,
every byte charged to the screen area it changed.

Control bytes (cursor moves, styles) are charged to the cell written next, so each area's figure
is what updating it cost. Areas are the screen's lines (the first line, the table's header, the
last lines) and, on the table's rows, its columns (found from the header's labels). It also
counts frames (Textual brackets each with the synchronized-output mode, `CSI ? 2026 h/l`), rows
whose first column changed (a row moved: another Sovereign took that line) and bytes that rewrote
a cell with what it already showed.

    python -m bench.terminal_profile CAPTURE [--from OFFSET] [--columns 120] [--rows 40]
        [--header Outcome] [--seconds S]

`bench.fleet_profile` captures the fleet screen during the fleet bench and prints this.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CSI = re.compile(rb"\x1b\[([0-9;?<>=]*)([ -/]*)([@-~])")
OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
SYNC_END = b"?2026"


@dataclass
class Profile:
    """Bytes by kind and by area, frames and row moves."""

    by_kind: Counter = field(default_factory=Counter)
    by_area: Counter = field(default_factory=Counter)
    frames: int = 0
    frame_bytes: list[int] = field(default_factory=list)
    row_moves: int = 0
    rewritten: int = 0
    """Cells written with the character they already showed."""
    total: int = 0


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


class Replay:
    """A screen of `columns` x `rows` characters, fed the bytes a program wrote."""

    def __init__(self, columns: int, rows: int, header: str) -> None:
        self.columns, self.rows, self.header = columns, rows, header
        self.grid = [[" "] * columns for _ in range(rows)]
        self.x = self.y = 0
        self.region: tuple[int, int] | None = None
        self.pending: Counter = Counter()
        self.profile = Profile()
        self.frame_start = 0
        self.offset = 0
        self.counting = False
        self.touched_rows: set[int] = set()
        self.keys_before: dict[int, str] = {}

    # -- the screen's layout, read from what it shows --------------------------------------

    def header_row(self) -> int | None:
        for y, line in enumerate(self.grid):
            if "".join(line).lstrip().startswith(self.header):
                return y
        return None

    def columns_of(self, y: int) -> list[tuple[int, str]]:
        """(start column, label) of each header label on line `y`."""
        line = "".join(self.grid[y])
        found: list[tuple[int, str]] = []
        for m in re.finditer(r"\S+", line):
            if found and m.group(0)[0].islower():  # "Worst root cause": one label
                found[-1] = (found[-1][0], f"{found[-1][1]} {m.group(0)}")
            else:
                found.append((m.start(), m.group(0)))
        return found

    def area(self, y: int, x: int) -> str:
        header = self.header_row()
        if header is None:
            return f"line {y}"
        if y < header:
            return "top line"
        if y == header:
            return "table header"
        if y >= self.rows - 4 or not "".join(self.grid[y]).strip():
            return "bottom lines"
        label = "row start"
        for start, name in self.columns_of(header):
            if x >= start - 1:
                label = name
        return f"column {label}"

    def key_of(self, y: int) -> str:
        """The second header column's text on line `y` (the row's identity: the context)."""
        header = self.header_row()
        if header is None or y <= header:
            return ""
        starts = self.columns_of(header)
        if len(starts) < 2:
            return ""
        start = starts[1][0]
        end = starts[2][0] if len(starts) > 2 else self.columns
        return "".join(self.grid[y][start:end]).strip()

    # -- feeding --------------------------------------------------------------------------

    def feed(self, data: bytes, *, count_from: int = 0) -> Profile:
        i = 0
        while i < len(data):
            self.counting = i >= count_from
            if data[i] == 0x1B:
                match = CSI.match(data, i) or OSC.match(data, i)
                end = match.end() if match else min(i + 2, len(data))
                self._control(data[i:end], match)
                i = end
                continue
            if data[i] < 0x20:
                self._c0(data[i])
                self._charge_pending("cursor moves", 1)
                i += 1
                continue
            length = 1 if data[i] < 0x80 else 2 if data[i] < 0xE0 else 3 if data[i] < 0xF0 else 4
            char = data[i : i + length].decode("utf-8", "replace")
            self._text(char, length)
            i += length
        self._end_frame()
        return self.profile

    def _charge_pending(self, kind: str, n: int) -> None:
        if self.counting:
            self.pending[kind] += n

    def _control(self, seq: bytes, match: re.Match | None) -> None:
        if match is None or match.re is OSC:
            self._charge_pending("other sequences", len(seq))
            return
        params, final = match.group(1), match.group(3)
        numbers = [int(p) if p.isdigit() else 0 for p in params.split(b";")] if params else []
        if final in (b"h", b"l") and params.startswith(SYNC_END):
            if final == b"h":
                self._end_frame()
            else:
                self._end_frame()
            self._charge_pending("frame brackets", len(seq))
            return
        if final == b"m":
            self._charge_pending("styles", len(seq))
            return
        if final in (b"H", b"f"):
            row = numbers[0] if numbers and numbers[0] else 1
            col = numbers[1] if len(numbers) > 1 and numbers[1] else 1
            if (row, col) == (1, 1) and self.counting:
                # Textual parks the cursor after each update: the update's tail
                self._charge_pending("cursor moves", len(seq))
                self._frame_tail()
                self.y = self.x = 0
                return
            self.y, self.x = min(row - 1, self.rows - 1), min(col - 1, self.columns - 1)
        elif final in b"ABCDG":
            n = numbers[0] if numbers and numbers[0] else 1
            if final == b"A":
                self.y = max(self.y - n, 0)
            elif final == b"B":
                self.y = min(self.y + n, self.rows - 1)
            elif final == b"C":
                self.x = min(self.x + n, self.columns - 1)
            elif final == b"D":
                self.x = max(self.x - n, 0)
            else:
                self.x = min(n - 1, self.columns - 1)
        elif final == b"r":
            self.region = (numbers[0] - 1, numbers[1] - 1) if len(numbers) == 2 else None
            self.y = self.x = 0
            self._charge_pending("line shifts", len(seq))
            return
        elif final in (b"L", b"M"):
            top, bottom = self.region or (0, self.rows - 1)
            block = self.grid[self.y : bottom + 1]
            blank = [" "] * self.columns
            block = [blank, *block[:-1]] if final == b"L" else [*block[1:], blank]
            self.grid[self.y : bottom + 1] = block
            self._charge_pending("line shifts", len(seq))
            return
        elif final == b"J":
            self.grid = [[" "] * self.columns for _ in range(self.rows)]
            self._charge_pending("clears", len(seq))
            return
        elif final == b"K":
            for x in range(self.x, self.columns):
                self.grid[self.y][x] = " "
            self._charge_pending("clears", len(seq))
            return
        else:
            self._charge_pending("other sequences", len(seq))
            return
        self._charge_pending("cursor moves", len(seq))

    def _c0(self, byte: int) -> None:
        if byte == 0x0D:
            self.x = 0
        elif byte == 0x0A:
            self.y = min(self.y + 1, self.rows - 1)
        elif byte == 0x08:
            self.x = max(self.x - 1, 0)

    def _text(self, char: str, length: int) -> None:
        if self.counting:
            area = self.area(self.y, self.x)
            profile = self.profile
            for kind, n in self.pending.items():
                profile.by_kind[kind] += n
                profile.by_area[area] += n
                profile.total += n
            self.pending.clear()
            profile.by_kind["text"] += length
            profile.by_area[area] += length
            profile.total += length
            if self.grid[self.y][self.x] == char:
                profile.rewritten += length
            if self.y not in self.keys_before:
                self.keys_before[self.y] = self.key_of(self.y)
        self.grid[self.y][self.x] = char
        width = _width(char)
        if width == 2 and self.x + 1 < self.columns:
            self.grid[self.y][self.x + 1] = ""
        self.x = min(self.x + width, self.columns - 1)

    def _frame_tail(self) -> None:
        """Bytes after an update's last cell (its style reset and cursor park) end a frame."""
        profile = self.profile
        for kind, n in self.pending.items():
            profile.by_kind[kind] += n
            profile.by_area["update tails (reset, park)"] += n
            profile.total += n
        self.pending.clear()
        self._end_frame()

    def _end_frame(self) -> None:
        if not self.counting:
            self.keys_before.clear()
            return
        profile = self.profile
        spent = profile.total - self.frame_start
        if spent:
            profile.frames += 1
            profile.frame_bytes.append(spent)
        self.frame_start = profile.total
        for y, before in self.keys_before.items():
            after = self.key_of(y)
            if before and after and before != after:
                profile.row_moves += 1
        self.keys_before.clear()


def profile(
    data: bytes, *, start: int = 0, columns: int = 120, rows: int = 40, header: str = "Outcome"
) -> Profile:
    """The profile of `data[start:]`, the screen built from everything before it."""
    return Replay(columns, rows, header).feed(data, count_from=start)


def report(found: Profile, *, seconds: float | None = None) -> str:
    """The profile as lines: bytes (and per minute, given the window's `seconds`) by kind and area."""
    scale = 60.0 / seconds if seconds else None

    def figure(n: int) -> str:
        share = f"{100 * n / found.total:5.1f} %" if found.total else ""
        rate = f"{n * scale:10,.0f} B/min" if scale else ""
        return f"{n:10,d} B {share} {rate}"

    lines = [f"total {figure(found.total)}", "by kind:"]
    lines += [f"  {kind:<20} {figure(n)}" for kind, n in found.by_kind.most_common()]
    lines.append("by area:")
    lines += [f"  {area:<30} {figure(n)}" for area, n in found.by_area.most_common()]
    big = sorted(found.frame_bytes)
    median = big[len(big) // 2] if big else 0
    lines.append(
        f"frames {found.frames} (median {median} B, largest {big[-1] if big else 0} B); "
        f"rows moved {found.row_moves}; cells rewritten unchanged {found.rewritten} B"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("--from", dest="start", type=int, default=0, help="count from this byte")
    parser.add_argument("--columns", type=int, default=120)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--header", default="Outcome", help="the table header's first label")
    parser.add_argument("--seconds", type=float, help="the window's length, for rates")
    args = parser.parse_args(argv)
    found = profile(
        args.capture.read_bytes(),
        start=args.start,
        columns=args.columns,
        rows=args.rows,
        header=args.header,
    )
    print(report(found, seconds=args.seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
