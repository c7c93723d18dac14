"""Decoding JSON that sovwatch did not write: a server's answers, a plugin's output, a recording.

`json.loads` fails on nesting deeper than the interpreter's recursion limit (`[` x 200,000) with a
`RecursionError`, which no caller expects from a decoder. `loads` turns it into the `ValueError`
(a subclass of) every caller already handles as "not valid JSON", so such input is one clear message (or a
reconnecting stream, or a damaged-line notice), never a traceback.
"""

from __future__ import annotations

import json
from typing import Any


class TooDeepError(ValueError):
    """The JSON is nested deeper than the decoder can go."""


def loads(data: str | bytes | bytearray) -> Any:
    """`json.loads(data)`; raises `ValueError` for invalid JSON (`TooDeepError` when too deep)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise TooDeepError("JSON nested too deeply") from None
