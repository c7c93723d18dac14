"""A compact, exact form of a slim object for the store: mappings become tuples.

A slim Event is a dozen small dicts and ~1.4 KB; the store keeps 20,000 of them. Packed, each
mapping is one tuple whose first item is the mapping's key tuple, shared by every mapping with the
same keys (Events from one controller all have the same shape), so only the values are stored per
object: about half the memory. `unpack(pack(x)) == x` for any JSON-shaped value (JSON has no
tuples, so a tuple always is a packed mapping); unpacking builds new dicts, cheap next to what
a reader (`model.events.normalize`) does with them.
"""

from __future__ import annotations

from typing import Any

_SHAPES: dict[tuple, tuple] = {}
"""Every key tuple seen, so equal shapes share one tuple (a handful per kind)."""


def pack(value: Any) -> Any:
    """The packed form of a JSON-shaped value (dicts, lists, strings, numbers, bools, None)."""
    if type(value) is dict:
        keys = tuple(value)
        return (_SHAPES.setdefault(keys, keys), *map(pack, value.values()))
    if type(value) is list:
        return list(map(pack, value))
    return value


def unpack(value: Any) -> Any:
    """The value `pack` was given (new dicts and lists; strings and numbers shared)."""
    if type(value) is tuple:
        return dict(zip(value[0], map(unpack, value[1:]), strict=True))
    if type(value) is list:
        return list(map(unpack, value))
    return value


def field_of(packed: tuple, key: str) -> Any:
    """`unpack(packed).get(key)`, unpacking only that field."""
    keys = packed[0]
    return unpack(packed[keys.index(key) + 1]) if key in keys else None
