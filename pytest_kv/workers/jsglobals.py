"""The ``js`` module: the JavaScript globals Worker code reaches next to KV.

``Object.fromEntries``, ``JSON.stringify``/``parse``, ``Date.now()`` (on the test's
clock: it reads ``time.time()``), ``console``, ``Response``/``Request``/``Headers``/
``URL`` with ``.new(...)``, ``Array``, ``Map``, ``Uint8Array`` and ``fetch``. Other
globals raise ``NotProvidedError`` naming them.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from pytest_kv.js.json_stringify import json_stringify

from .context import js_null
from .fetch import js_fetch
from .headers import JsHeaders
from .jsconvert import from_entries, parse_json, to_python
from .jsvalues import JsArray, JsBuffer, JsException, JsMap, JsObject, JsProxy
from .request import JsRequest, normalise_url
from .response import JsResponse, js_json_response, js_redirect

__all__ = ["GLOBALS"]


class _Global(JsProxy):
    """A JavaScript global object or constructor, with ``.new(...)`` for ``new X(...)``."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def constructor(self) -> Any:
        return JsObject({"name": "Function"})

    @property
    def name(self) -> str:
        """The constructor's name."""
        return self._name

    def __str__(self) -> str:
        return f"function {self._name}() {{ [native code] }}"


class _Object(_Global):
    def fromEntries(self, entries: Iterable[Any]) -> JsObject:
        """``Object.fromEntries(pairs)``: also the ``dict_converter`` for ``to_js``."""
        return from_entries(entries)

    def new(self) -> JsObject:
        """``new Object()``."""
        return JsObject()

    def keys(self, value: JsObject) -> JsArray:
        """``Object.keys(obj)``."""
        return value.object_keys()

    def values(self, value: JsObject) -> JsArray:
        """``Object.values(obj)``."""
        return value.object_values()

    def entries(self, value: JsObject) -> JsArray:
        """``Object.entries(obj)``."""
        return value.object_entries()


class _JSON(_Global):
    def parse(self, text: Any) -> Any:
        """``JSON.parse(text)``: a JavaScript value (objects come back as ``JsProxy``;
        call ``.to_py()``), with V8's ``SyntaxError`` messages."""
        return parse_json(str(text), js_null())

    def stringify(self, value: Any, replacer: Any = None, space: Any = None) -> Any:
        """``JSON.stringify(value)`` of a JavaScript value (``to_js(...)``, ``JSON.parse``)."""
        if replacer is not None or space is not None:
            raise JsException(
                "TypeError", "pytest-kv's JSON.stringify takes no replacer or space argument"
            )
        if isinstance(value, dict):
            raise TypeError(
                "JSON.stringify got a Python dict, which reaches JavaScript as a PyProxy "
                "rather than an object: pass to_js(value, dict_converter=Object.fromEntries), "
                "or use json.dumps"
            )
        return json_stringify(to_python(value))


class _JsDate(JsProxy):
    js_type = "Date"

    def __init__(self, ms: float) -> None:
        self._ms = ms

    def getTime(self) -> float:
        """Milliseconds since the epoch."""
        return self._ms

    def valueOf(self) -> float:
        """Milliseconds since the epoch."""
        return self._ms

    def toISOString(self) -> str:
        """``2026-01-01T00:00:00.000Z``."""
        moment = datetime.fromtimestamp(self._ms / 1000, timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(self._ms) % 1000:03d}Z"

    def __str__(self) -> str:
        return self.toISOString()


class _Date(_Global):
    def now(self) -> int:
        """Milliseconds since the epoch, read from ``time.time()`` (the test's clock)."""
        return math.floor(time.time() * 1000)

    def new(self, ms: float | None = None) -> _JsDate:
        """``new Date()`` (now) or ``new Date(ms)``."""
        return _JsDate(self.now() if ms is None else float(ms))


def _console_text(value: Any) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Console(_Global):
    """``console``: ``log``/``info``/``debug`` print to stdout, ``warn``/``error`` to stderr
    (pytest captures both)."""

    def _write(self, stream: Any, args: tuple[Any, ...]) -> None:
        print(" ".join(_console_text(arg) for arg in args), file=stream)

    def log(self, *args: Any) -> None:
        """``console.log(...)``."""
        self._write(sys.stdout, args)

    info = debug = log

    def error(self, *args: Any) -> None:
        """``console.error(...)``."""
        self._write(sys.stderr, args)

    warn = error


class _Response(_Global):
    def new(self, body: Any = None, init: Any = None, **options: Any) -> JsResponse:
        """``new Response(body, init)``; options may also be keyword arguments."""
        return JsResponse(body, init, **options)

    def json(self, data: Any, init: Any = None, **options: Any) -> JsResponse:
        """``Response.json(data, init)``: compact JSON."""
        return js_json_response(data, init, **options)

    def redirect(self, url: Any, status: int = 302) -> JsResponse:
        """``Response.redirect(url, status)``."""
        return js_redirect(url, status)


class _Request(_Global):
    def new(self, input: Any, init: Any = None, **options: Any) -> JsRequest:
        """``new Request(input, init)``; options may also be keyword arguments."""
        return JsRequest(input, init, **options)


class _Headers(_Global):
    def new(self, init: Any = None) -> JsHeaders:
        """``new Headers(init)``: pairs, a dict's ``.items()``, or another Headers."""
        return JsHeaders(init)


class _SearchParams(JsProxy):
    js_type = "URLSearchParams"

    def __init__(self, query: str) -> None:
        self._pairs = parse_qsl(query, keep_blank_values=True)

    def get(self, name: str) -> Any:
        """The first value of ``name``, or null."""
        for key, value in self._pairs:
            if key == name:
                return value
        return js_null()

    def getAll(self, name: str) -> JsArray:
        """Every value of ``name``."""
        return JsArray(value for key, value in self._pairs if key == name)

    def has(self, name: str) -> bool:
        """Whether ``name`` is present."""
        return any(key == name for key, _ in self._pairs)


class _JsURL(JsProxy):
    js_type = "URL"

    def __init__(self, url: Any, base: Any = None) -> None:
        text = str(url)
        if base is not None and not urlsplit(text).scheme:
            from urllib.parse import urljoin

            text = urljoin(normalise_url(str(base)), text)
        self.href = normalise_url(text)
        parts = urlsplit(self.href)
        self.protocol = f"{parts.scheme}:"
        self.hostname = parts.hostname or ""
        self.port = "" if parts.port is None else str(parts.port)
        self.host = self.hostname + (f":{self.port}" if self.port else "")
        self.origin = f"{parts.scheme}://{self.host}"
        self.pathname = parts.path or "/"
        self.search = f"?{parts.query}" if parts.query else ""
        self.hash = f"#{parts.fragment}" if parts.fragment else ""
        self.searchParams = _SearchParams(parts.query)

    def toString(self) -> str:
        """The URL as text."""
        return self.href

    def __str__(self) -> str:
        return self.href


class _URL(_Global):
    def new(self, url: Any, base: Any = None) -> _JsURL:
        """``new URL(url, base)``."""
        return _JsURL(url, base)


class _Array(_Global):
    def new(self, *items: Any) -> JsArray:
        """``new Array(...items)``."""
        return JsArray(items)

    def from_(self, items: Iterable[Any]) -> JsArray:
        """``Array.from(iterable)``."""
        return JsArray(items)

    def isArray(self, value: Any) -> bool:
        """``Array.isArray(value)``."""
        return isinstance(value, JsArray)


class _Map(_Global):
    def new(self, entries: Iterable[Any] = ()) -> JsMap:
        """``new Map(entries)``."""
        return JsMap(entries)


class _Uint8Array(_Global):
    def new(self, data: Any = b"") -> JsBuffer:
        """``new Uint8Array(data)`` from bytes, a list of ints or a buffer."""
        if isinstance(data, JsBuffer):
            return JsBuffer(data.to_bytes())
        if isinstance(data, int):
            return JsBuffer(bytes(data))
        return JsBuffer(bytes(to_python(data)))


async def _fetch(resource: Any, init: Any = None, **options: Any) -> JsResponse:
    """``fetch(resource, init)``: an outbound request, served through httpx."""
    return await js_fetch(resource, init, **options)


Object: Final = _Object("Object")
JSON: Final = _JSON("JSON")

GLOBALS: Final[dict[str, Any]] = {
    "Object": Object,
    "JSON": JSON,
    "Date": _Date("Date"),
    "console": _Console("console"),
    "Response": _Response("Response"),
    "Request": _Request("Request"),
    "Headers": _Headers("Headers"),
    "URL": _URL("URL"),
    "Array": _Array("Array"),
    "Map": _Map("Map"),
    "Uint8Array": _Uint8Array("Uint8Array"),
    "fetch": _fetch,
}
