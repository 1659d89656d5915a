"""Requests: ``JsRequest`` (JavaScript's ``Request``, what workerd hands over) and
``Request``, the SDK's Python class around it."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from .body import Body
from .context import current_runtime
from .headers import HTTPMessageMapping, JsHeaders, http_message, to_js_headers
from .jsconvert import parse_json
from .jsvalues import JsBuffer, JsException, JsObject, JsProxy, jsnull

if sys.version_info >= (3, 11):
    from http import HTTPMethod
else:  # pragma: no cover - Python 3.10

    class HTTPMethod(str, enum.Enum):
        """``http.HTTPMethod`` of Python 3.11, for 3.10."""

        CONNECT = "CONNECT"
        DELETE = "DELETE"
        GET = "GET"
        HEAD = "HEAD"
        OPTIONS = "OPTIONS"
        PATCH = "PATCH"
        POST = "POST"
        PUT = "PUT"
        TRACE = "TRACE"

        def __str__(self) -> str:
            return self.value


__all__ = ["HTTPMethod", "JsRequest", "Request", "normalise_url"]

# The methods workerd knows (kj::HttpMethod); since upper_case_all_http_methods
# (2024-10-14) any of them is accepted in any case.
_METHODS: Final = frozenset(
    [
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "DELETE",
        "PATCH",
        "PURGE",
        "OPTIONS",
        "TRACE",
        "COPY",
        "LOCK",
        "MKCOL",
        "MOVE",
        "PROPFIND",
        "PROPPATCH",
        "SEARCH",
        "UNLOCK",
        "ACL",
        "REPORT",
        "MKACTIVITY",
        "CHECKOUT",
        "MERGE",
        "MSEARCH",
        "NOTIFY",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "QUERY",
        "BAN",
    ]
)
_SPECIAL_SCHEMES: Final = ("http", "https", "ws", "wss")


def normalise_url(url: str, error: str = "Invalid URL: ") -> str:
    """A URL as the WHATWG parser serialises the common cases: lowercase scheme and
    host, ``/`` for an empty path. A relative or malformed URL is a ``TypeError``."""
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise JsException("TypeError", f"{error}{text}") from None
    if not parts.scheme or (parts.scheme.lower() in _SPECIAL_SCHEMES and not parts.hostname):
        raise JsException("TypeError", f"{error}{text}")
    scheme = parts.scheme.lower()
    if scheme not in _SPECIAL_SCHEMES:
        return text
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}[scheme]
    host = (parts.hostname or "").lower()
    netloc = host if port in (None, default) else f"{host}:{port}"
    if parts.username is not None:
        auth = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{auth}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def _method(value: Any) -> str:
    text = value.value if isinstance(value, HTTPMethod) else str(value)
    if text in _METHODS:
        return text
    if text.upper() in _METHODS:
        return text.upper()
    raise JsException("TypeError", f"Invalid HTTP method string: {text}")


class JsRequest(JsProxy):
    """JavaScript's ``Request`` (``js.Request.new(url, method=..., headers=..., body=...)``).

    Its methods return awaitables, like JavaScript promises.
    """

    js_type = "Request"
    method: str
    url: str
    headers: JsHeaders
    redirect: str
    cf: Any
    _body: Body

    def __init__(self, input: Any, init: Mapping[str, Any] | None = None, **options: Any):
        if init is not None:
            if isinstance(init, JsObject):
                init = init.as_object_map()
            options = {**init, **options}
        if isinstance(input, JsRequest):
            base: JsRequest | None = input
            url = input.url
        else:
            base = None
            url = normalise_url(input)
        method = _method(options.get("method", base.method if base else "GET"))
        headers = JsHeaders(options["headers"]) if options.get("headers") is not None else None
        if headers is None:
            headers = JsHeaders(base.headers) if base else JsHeaders()
        body_init = options.get("body")
        if body_init is not None and method in ("GET", "HEAD"):
            raise JsException("TypeError", "Request with a GET or HEAD method cannot have a body.")
        if body_init is not None:
            body, content_type = Body.of(body_init)
            if content_type and not headers.has("content-type"):
                headers.set("content-type", content_type)
        else:
            body = base._body.copy() if base is not None else Body()
        redirect = str(options.get("redirect", base.redirect if base else "follow"))
        if redirect.lower() not in ("follow", "manual"):
            raise JsException(
                "TypeError",
                'Invalid redirect value, must be one of "follow" or "manual" ("error" won\'t '
                'be implemented since it does not make sense at the edge; use "manual" and '
                "check the response status code).",
            )
        cf = options.get("cf", base.cf if base else jsnull)
        self.method = method
        self.url = url
        self.headers = headers
        self.redirect = redirect.lower()
        self.cf = JsObject(cf) if isinstance(cf, dict) else cf
        self._body = body

    @property
    def body(self) -> Any:
        """A ``ReadableStream``, or null when there is no body."""
        stream = self._body.stream()
        return stream if stream is not None else _null()

    @property
    def bodyUsed(self) -> bool:
        """Whether the body has been read."""
        return self._body.used

    async def text(self) -> str:
        """The body as text (UTF-8)."""
        return (await self._body.read()).decode("utf-8", "replace")

    async def arrayBuffer(self) -> JsBuffer:
        """The body as an ``ArrayBuffer``."""
        return JsBuffer(await self._body.read(), "ArrayBuffer")

    async def json(self) -> Any:
        """The body parsed with ``JSON.parse`` (a JavaScript value)."""
        return parse_json(await self.text(), _null())

    def clone(self) -> JsRequest:
        """A copy with its own, unread copy of the body."""
        return JsRequest(self)


def _null() -> Any:
    return jsnull if current_runtime().jsnull else None


class Request:
    """The SDK's request (``workers.Request``): what a Worker's ``fetch`` receives.

    ``method`` is an ``http.HTTPMethod`` (equal to ``"GET"``); ``headers`` is a fresh
    case-insensitive mapping on every access; the body can be read once.

    Example::

        request = Request("https://example.com/items", method="POST", body='{"a": 1}')
        assert request.method == "POST"
        assert await request.json() == {"a": 1}
    """

    def __init__(self, input: Request | str | JsRequest, **other_options: Any) -> None:
        if isinstance(input, JsRequest):
            if other_options:
                raise ValueError("Expected no options when constructing Request from a js.Request")
            self._js_request = input
            return
        if "headers" in other_options:
            other_options["headers"] = to_js_headers(other_options["headers"])
        other_options.pop("fetcher", None)
        source = input._js_request if isinstance(input, Request) else input
        self._js_request = JsRequest(source, **other_options)

    def __repr__(self) -> str:
        return f"Request(method={self._js_request.method!r}, url={self._js_request.url!r})"

    @property
    def js_object(self) -> JsRequest:
        """The JavaScript ``Request`` underneath (pass it to ``asgi.fetch``)."""
        return self._js_request

    @property
    def body(self) -> Any:
        """The body as a JavaScript ``ReadableStream`` (null when there is none)."""
        return self._js_request.body

    @property
    def body_used(self) -> bool:
        """Whether the body has been read."""
        return self._js_request.bodyUsed

    @property
    def cf(self) -> Any:
        """Cloudflare's request properties (here ``colo``: the location), or ``None``."""
        cf = self._js_request.cf
        return None if cf is jsnull else cf

    @property
    def headers(self) -> HTTPMessageMapping:
        """A fresh case-insensitive copy of the headers; a missing name gives ``None``."""
        return http_message(self._js_request.headers, current_runtime().preserve_commas)

    @property
    def method(self) -> HTTPMethod:
        """The method as ``http.HTTPMethod``; a non-standard one is a ``KeyError``."""
        return HTTPMethod[self._js_request.method]

    @property
    def redirect(self) -> str:
        """``"follow"`` or ``"manual"``."""
        return self._js_request.redirect

    @property
    def url(self) -> str:
        """The full URL, normalised (``https://example.com/``)."""
        return self._js_request.url

    def _raise_if_failed(self) -> None:
        if self.body_used:
            raise OSError("Body already used")

    async def text(self) -> str:
        """The body as text."""
        self._raise_if_failed()
        return await self._js_request.text()

    async def json(self, **kwargs: Any) -> Any:
        """The body parsed with ``json.loads(..., **kwargs)``."""
        self._raise_if_failed()
        return json.loads(await self.text(), **kwargs)

    async def bytes(self) -> bytes:
        """The body as bytes."""
        self._raise_if_failed()
        return (await self._js_request.arrayBuffer()).to_bytes()

    async def buffer(self) -> JsBuffer:
        """The body as a JavaScript ``ArrayBuffer``."""
        self._raise_if_failed()
        return await self._js_request.arrayBuffer()

    def clone(self) -> Request:
        """A copy whose body can be read separately."""
        if self.body_used:
            raise OSError("Body already used")
        return Request(self._js_request.clone())
