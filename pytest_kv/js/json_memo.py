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

_memo: dict[str | bytes, Any] = {}
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
    template = _memo.get(text, _memo)
    if template is not _memo:
        return _copy(template, 0) if type(template) in _CONTAINERS else template
    value = json_parse(text if isinstance(text, str) else text.decode("utf-8", "replace"))
    if len(text) <= _MAX_TEXT:
        try:
            kept = _copy(value, 0) if type(value) in _CONTAINERS else value
        except _TooDeepError:
            return value
        if _total + len(text) > _MAX_TOTAL:
            _memo.clear()
            _total = 0
        _memo[text] = kept
        _total += len(text)
    return value


_CONTAINERS: Final = (JsDict, list)


def _copy(value: Any, depth: int) -> Any:
    """A copy of a parsed value that shares no dict or list with it."""
    if depth > _MAX_DEPTH:
        raise _TooDeepError
    copy: Any = JsDict(value) if type(value) is JsDict else value.copy()
    members: Any = copy.items() if type(copy) is JsDict else enumerate(copy)
    for place, member in members:
        if type(member) in _CONTAINERS:
            copy[place] = _copy(member, depth + 1)
    return copy
