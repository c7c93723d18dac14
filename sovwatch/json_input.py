"""Decoding JSON that sovwatch did not write: a server's answers, a plugin's output, a recording.

Decoding is msgspec's (`msgspec.json.Decoder`, untyped: the same dicts, lists, strings and
arbitrary-size integers as `json.loads`, in about half the CPU on the list pages and watch lines
sovwatch decodes). Its errors (`msgspec.DecodeError`) are `ValueError`s, as `json.loads`'s are.
Nesting deeper than the interpreter's recursion limit (`[` x 200,000) fails with a
`RecursionError`, which no caller expects from a decoder. `loads` turns it into the `ValueError`
(a subclass of) every caller already handles as "not valid JSON", so such input is one clear message (or a
reconnecting stream, or a damaged-line notice), never a traceback.
"""

from __future__ import annotations

from typing import Any

import msgspec

_decode = msgspec.json.Decoder().decode


class TooDeepError(ValueError):
    """The JSON is nested deeper than the decoder can go."""


def loads(data: str | bytes | bytearray) -> Any:
    """The decoded JSON value; raises `ValueError` for invalid JSON (`TooDeepError` when too
    deep)."""
    try:
        return _decode(data)
    except RecursionError:
        raise TooDeepError("JSON nested too deeply") from None
