"""HTTP headers on both sides of the boundary: ``JsHeaders`` (JavaScript's ``Headers``)
and ``HTTPMessageMapping``, the case-insensitive mapping the SDK hands to Python.

JavaScript's ``Headers`` lowercases names, iterates in sorted order and joins repeated
fields with ``", "`` (``Set-Cookie`` aside). The SDK copies them into an
``http.client.HTTPMessage`` that is also a ``Mapping``: a missing name reads as
``None``, ``h[k] = v`` appends, and every access builds a fresh copy.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from .jsvalues import JsArray, JsObject, JsProxy

__all__ = ["HTTPMessageMapping", "JsHeaders", "http_message", "to_js_headers"]

_TOKEN: Final = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SET_COOKIE: Final = "set-cookie"


class HTTPMessageMapping(http.client.HTTPMessage, Mapping[str, Any]):  # type: ignore[misc]
    """Headers as the SDK gives them to Python: case-insensitive, ``None`` when missing.

    Example::

        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["x-missing"] is None
    """


class JsHeaders(JsProxy):
    """JavaScript's ``Headers`` (``js.Headers.new(...)``).

    Example: ``JsHeaders([("Set-Cookie", "a=1"), ("Accept", "*/*")]).get("accept")``.
    """

    js_type = "Headers"

    def __init__(self, init: Any = None) -> None:
        self._fields: list[tuple[str, str]] = []
        if init is None:
            return
        if isinstance(init, JsHeaders):
            self._fields = list(init._fields)
            return
        if isinstance(init, JsObject):
            pairs: Iterable[Any] = init.as_object_map().items()
        elif isinstance(init, Mapping):
            pairs = init.items()
        else:
            pairs = init
        for pair in pairs:
            items = list(pair)
            if len(items) != 2:
                raise TypeError(
                    "Failed to construct 'Headers': a header must be a [name, value] pair"
                )
            self.append(items[0], items[1])

    @staticmethod
    def _name(name: Any) -> str:
        text = str(name)
        if not _TOKEN.match(text):
            raise TypeError(f"Invalid header name: {text!r}")
        return text.lower()

    @staticmethod
    def _value(value: Any) -> str:
        text = str(value).strip(" \t\r\n")
        if "\r" in text or "\n" in text or "\0" in text:
            raise TypeError(f"Invalid header value: {text!r}")
        return text

    def append(self, name: Any, value: Any) -> None:
        """Add a field, keeping any that are already there."""
        self._fields.append((self._name(name), self._value(value)))

    def set(self, name: Any, value: Any) -> None:
        """Replace every field of ``name`` with one."""
        key = self._name(name)
        self._fields = [(k, v) for k, v in self._fields if k != key]
        self._fields.append((key, self._value(value)))

    def delete(self, name: Any) -> None:
        """Remove every field of ``name``."""
        key = self._name(name)
        self._fields = [(k, v) for k, v in self._fields if k != key]

    def has(self, name: Any) -> bool:
        """Whether a field of ``name`` exists."""
        key = self._name(name)
        return any(k == key for k, _ in self._fields)

    def get(self, name: Any) -> str | None:
        """The values of ``name`` joined with ``", "``, or ``None`` (JavaScript null)."""
        key = self._name(name)
        values = [v for k, v in self._fields if k == key]
        return ", ".join(values) if values else None

    def getSetCookie(self) -> JsArray:
        """Every ``Set-Cookie`` value, one each."""
        return JsArray(v for k, v in self._fields if k == _SET_COOKIE)

    def entries(self) -> Iterator[JsArray]:
        """``[name, value]`` pairs: sorted, lowercase, repeated fields joined."""
        for name in sorted({k for k, _ in self._fields}):
            if name == _SET_COOKIE:
                for value in self.getSetCookie():
                    yield JsArray([name, value])
            else:
                yield JsArray([name, self.get(name)])

    def keys(self) -> Iterator[str]:
        """The names, as ``entries()`` gives them."""
        return (pair[0] for pair in self.entries())

    def values(self) -> Iterator[str]:
        """The values, as ``entries()`` gives them."""
        return (pair[1] for pair in self.entries())

    def __iter__(self) -> Iterator[JsArray]:
        return self.entries()

    def pairs(self) -> list[tuple[str, str]]:
        """The iteration order as Python tuples (for the test side)."""
        return [(pair[0], pair[1]) for pair in self.entries()]


def to_js_headers(headers: Any) -> JsHeaders:
    """The SDK's rule for a ``headers=`` argument: a list of pairs, a dict, or
    ``js.Headers``; anything else is a ``TypeError``."""
    if isinstance(headers, list):
        return JsHeaders(headers)
    if isinstance(headers, dict):
        return JsHeaders(headers.items())
    if isinstance(headers, JsHeaders):
        return headers
    raise TypeError("Received unexpected type for headers argument")


def http_message(headers: JsHeaders, preserve_commas: bool) -> HTTPMessageMapping:
    """A fresh ``HTTPMessageMapping`` of ``headers``, as the SDK builds one."""
    result = HTTPMessageMapping()
    if not preserve_commas:
        for name, value in headers.pairs():
            result[name] = value.strip()
        return result
    # python_request_headers_preserve_commas: Set-Cookie fields first, one each.
    for value in headers.getSetCookie():
        result.add_header("Set-Cookie", value.strip())
    for name, value in headers.pairs():
        if name != _SET_COOKIE:
            result.add_header(name, value.strip())
    return result
