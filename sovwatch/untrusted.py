"""The gate for untrusted text: what the cluster, a recording or a server writes, made safe to show.

Workloads control much of what sovwatch prints (an Event message, a condition message, the
termination message a container writes itself, an annotation); a shared recording or a server's
error body is no better. A terminal obeys the control characters in such text: `ESC ] 52` writes
the operator's clipboard, `ESC ] 0` retitles the window, a colour code bleeds past its cell, a
bidi override makes text read backwards. `neutralise` replaces each of them by a visible escape,
so the operator sees that something odd was there and the rest stays readable:

| character | shown as |
|---|---|
| C0 controls U+0000-U+001F except tab and newline | its Control Picture, one cell: ESC `␛`, CR `␍`, BEL `␇`, NUL `␀` |
| DEL U+007F | `␡` |
| C1 controls U+0080-U+009F (U+009B is an 8-bit CSI) | `\\x9b` (backslash, x, two hex digits) |
| bidi overrides and isolates U+202A-U+202E, U+2066-U+2069 | `\\u202e` (backslash, u, four hex digits) |
| lone surrogates U+D800-U+DFFF (JSON can escape one; no UTF-8 output can write it) | `\\ud800` |

Everything else (any printable text, Rich markup such as `[@click=app.quit]`, which every view
shows literally) is left as it is. Neutralising twice changes nothing.

Where it runs (one door per way in): `sovwatch.sources.slimming` (every string of every object
kept, from a live watch or a recording), `sovwatch.sources.recording` (a recording's header and
stream lines), `sovwatch.kube.errors` (a server's error body and malformed lines) and
`sovwatch.kube.api` (the server's version and transport error texts), and the reflector's stream
details. The store, the model, recordings and every view only ever hold neutralised text.

`holds_nothing_to_neutralise` answers the same question for a whole JSON text at once, from its
bytes: a watch line it passes can have none of its strings changed by `neutralise`, so slimming
may skip the per-string call (`slimming.slim_clean`); a line it does not pass goes string by
string as before.
"""

from __future__ import annotations

import re

_C0 = {c: chr(0x2400 + c) for c in range(0x20) if chr(c) not in "\t\n"}
_TABLE: dict[int, str] = {
    **_C0,
    0x7F: "\u2421",
    **{c: f"\\x{c:02x}" for c in range(0x80, 0xA0)},
    **{
        c: f"\\u{c:04x}"
        for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0xD800, 0xE000))
    },
}
"""Code point → its visible escape (a `str.translate` table)."""

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Any character of `_TABLE` (ranges: a class of ranges is several times faster to search)."""


def neutralise(text: str) -> str:
    """`text` with every terminal control and bidi override replaced by a visible escape (see the
    module docstring); `text` itself when it holds none (the common case: `isprintable`, true
    only when no character is a control or format character, else one regex scan)."""
    if text.isprintable() or _UNSAFE.search(text) is None:
        return text
    return text.translate(_TABLE)


_ESCAPED_UNSAFE = re.compile(rb"\\(?:[bfr]|u00[0189]|u007[fF]|u20)")
"""The escapes a character of `_TABLE` can be written with in JSON: `\\b \\f \\r`, `\\u0000`-`\\u001f`
(tab and newline too), `\\u007f`, `\\u0080`-`\\u009f`, and `\\u20XX` (bidi controls, among all
of U+2000-U+20FF). An escaped `&` or an escaped backslash before such letters matches too: a false
alarm costs only the string-by-string way. A surrogate escape is not among them: a pair decodes to
a character the gate keeps, and a lone one is refused by the strict decoder."""


def holds_nothing_to_neutralise(data: bytes) -> bool:
    """Whether no string (value or key) of the JSON text `data`, which a strict decoder accepted
    (a raw C0 control is invalid in a JSON string), can hold a character that `neutralise`
    replaces: then `neutralise` returns every one of them unchanged. Written raw, such a
    character is DEL, or non-ASCII starting with byte C2 (C1 controls) or E2 (bidi controls,
    among all of U+2000-U+2FFF); escaped, it starts with a backslash (a lone surrogate, which can
    only be written escaped, makes a strict decoder refuse the text). Each check is a scan in C
    (a line of a few KB: about a microsecond)."""
    if b"\x7f" in data:
        return False
    if not data.isascii() and (b"\xc2" in data or b"\xe2" in data):
        return False
    return b"\\" not in data or _ESCAPED_UNSAFE.search(data) is None
