"""``JSON.stringify`` of what a Python value becomes in JavaScript, byte for byte V8's."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Final

from pytest_kv.errors import BIGINT_TO_JSON, KVTypeError

from .convert import (
    MAX_SAFE_INTEGER,
    buffer_bytes,
    check_sendable,
    date_value,
    number_to_string,
    property_key,
    utc_of,
)
from .jsdict import js_property_order
from .plain import plain_json
from .text import join_surrogates

__all__ = ["json_stringify"]


def json_stringify(value: object) -> str | None:
    """``JSON.stringify`` of what ``value`` becomes in JavaScript, or ``None`` for ``undefined``.

    Output is byte-for-byte V8's: JS number formatting, JS key order (array-index
    keys first), lone surrogates escaped, functions dropped from objects and
    ``null`` in arrays. A BigInt raises production's ``TypeError``.

    Objects that reach JavaScript as a PyProxy (instances of arbitrary classes) raise
    :class:`~pytest_kv.KVTypeError` naming their type: what V8 does with a
    PyProxy depends on Pyodide's proxy traps, which the fake does not reproduce.

    Example::

        >>> json_stringify({"b": 1.0, 2: [None, float("nan")], "a": "\\u2028"})
        '{"2":[null,null],"b":1,"a":"\\u2028"}'
    """
    text = plain_json(value)  # the common case, in C
    if text is not None:
        return text
    check_sendable(value)
    return _json(value)


def _date_to_iso(ms: int) -> str:
    d = utc_of(ms)
    return (
        f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:"
        f"{d.second:02d}.{d.microsecond // 1000:03d}Z"
    )


# JSON.stringify's QuoteJSONString (well-formed since ES2019).
_NEEDS_ESCAPE: Final = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')
_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _quote(text: str) -> str:
    # Pairs first: only surrogates still unpaired in the JS string get escaped.
    return '"' + _NEEDS_ESCAPE.sub(_escape, join_surrogates(text)) + '"'


def _json(value: object) -> str | None:
    """The JSON text of ``value`` (already checked to be sendable, so free of cycles),
    walked without recursion so that deep values cannot exhaust Python's stack."""
    if not isinstance(value, (dict, list)):
        return _scalar(value)
    stack: list[_Frame] = [_Frame(value)]
    while True:
        frame = stack[-1]
        for name, item in frame.items:
            if isinstance(item, (dict, list)):
                stack.append(_Frame(item, name))
                break
            frame.add(name, _scalar(item))
        else:
            text = frame.close()
            stack.pop()
            if not stack:
                return text
            stack[-1].add(frame.name, text)


class _Frame:
    """An object or array being written: its members so far, and what comes next."""

    __slots__ = ("is_object", "items", "name", "parts")

    def __init__(self, value: dict[object, object] | list[object], name: str = "") -> None:
        self.name = name  # this value's property name in its parent object
        self.parts: list[str] = []
        self.is_object = isinstance(value, dict)
        if isinstance(value, dict):
            members = js_property_order((property_key(k), v) for k, v in value.items())
            self.items: Iterator[tuple[str, object]] = iter(members.items())
        else:
            self.items = (("", item) for item in value)

    def add(self, name: str, text: str | None) -> None:
        if not self.is_object:
            self.parts.append("null" if text is None else text)
        elif text is not None:  # undefined members are left out of objects
            self.parts.append(_quote(name) + ":" + text)

    def close(self) -> str:
        inside = ",".join(self.parts)
        return "{" + inside + "}" if self.is_object else "[" + inside + "]"


def _scalar(value: object) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise KVTypeError(BIGINT_TO_JSON)
        return str(value)
    if isinstance(value, float):
        return number_to_string(value) if math.isfinite(value) else "null"
    if isinstance(value, (bytes, memoryview)):
        # A Uint8Array serialises as an object keyed by index.
        return "{" + ",".join(f'"{i}":{b}' for i, b in enumerate(buffer_bytes(value))) + "}"
    if isinstance(value, (set, frozenset, Exception)):
        return "{}"  # no enumerable own properties
    if isinstance(value, datetime):
        return _quote(_date_to_iso(date_value(value)))
    if callable(value):
        return None
    raise KVTypeError(
        f"pytest-kv cannot JSON.stringify a {type(value).__qualname__!r} object (a PyProxy "
        "in production); convert it to dict, list, str, int, float, bool or None first"
    )
