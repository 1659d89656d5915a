"""``JSON.parse`` of stored text, remembered: tests read the same session, config or
metadata again and again, and copying a parsed value costs a fraction of parsing it.

Every caller gets its own copy, so changing a result never changes the next one,
exactly as when each read parses afresh. What is remembered is bounded (small texts
only, a few megabytes in all), and a text that is not JSON is never remembered: it
raises V8's error on every read.
"""

from __future__ import annotations

from typing import Any, Final

from .jsdict import JsDict
from .json_parse import json_parse

__all__ = ["parsed_json"]

# Texts up to this size are remembered, up to this much text in all.
_MAX_TEXT: Final = 16 * 1024
_MAX_TOTAL: Final = 4 * 1024 * 1024
# Deeper values are parsed each time: the copy below recurses.
_MAX_DEPTH: Final = 48

_memo: dict[str | bytes, tuple[Any, Any]] = {}
_total = 0


class _TooDeepError(Exception):
    pass


def parsed_json(text: str | bytes) -> Any:
    """``JSON.parse(text)`` as :func:`~pytest_kv.js.json_parse.json_parse` gives it
    (bytes are read as UTF-8, invalid sequences as U+FFFD), a fresh copy each time.

    Example::

        >>> first = parsed_json(b'{"roles": ["admin"]}')
        >>> first["roles"].append("owner")
        >>> parsed_json(b'{"roles": ["admin"]}')
        {'roles': ['admin']}
    """
    global _total
    remembered = _memo.get(text)
    if remembered is not None:
        template, layout = remembered
        if layout is None:  # a string, number, boolean or null: nothing to copy
            return template
        if not layout:  # no container inside: a shallow copy is a full one
            return JsDict(template) if type(template) is JsDict else template.copy()
        return _copy(template, layout)
    value = json_parse(text if isinstance(text, str) else text.decode("utf-8", "replace"))
    if len(text) <= _MAX_TEXT:
        shape: _Shape | None = None
        kept = value
        if type(value) in _CONTAINERS:
            try:
                shape = _shape_of(value, 0)
            except _TooDeepError:
                return value
            kept = _copy(value, shape)
        if _total + len(text) > _MAX_TOTAL:
            _memo.clear()
            _total = 0
        _memo[text] = (kept, shape)
        _total += len(text)
    return value


_CONTAINERS: Final = (JsDict, list)

# Where a parsed value holds containers: (place, the container's own shape) for each,
# so a copy visits only those, not every member.
_Shape = tuple[tuple[Any, "_Shape"], ...]


def _shape_of(value: Any, depth: int) -> _Shape:
    if depth > _MAX_DEPTH:
        raise _TooDeepError
    members: Any = value.items() if type(value) is JsDict else enumerate(value)
    return tuple(
        (place, _shape_of(member, depth + 1))
        for place, member in members
        if type(member) in _CONTAINERS
    )


def _copy(template: Any, shape: _Shape) -> Any:
    """A copy of a parsed value that shares no dict or list with it."""
    copy: Any = JsDict(template) if type(template) is JsDict else template.copy()
    for place, inner in shape:
        member = template[place]
        if inner:
            copy[place] = _copy(member, inner)
        else:  # no container inside (most are so): a shallow copy, without a call
            copy[place] = JsDict(member) if type(member) is JsDict else member.copy()
    return copy
