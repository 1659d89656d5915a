"""Responses: ``JsResponse`` (JavaScript's ``Response``) and ``Response``, the SDK's
Python class around it, which is also what ``kv_worker.fetch`` returns to a test."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, Final

from pytest_kv.binding.values import KVStream
from pytest_kv.js.json_stringify import json_stringify

from .body import Body, BodyUsedError
from .context import current_runtime
from .headers import HTTPMessageMapping, JsHeaders, http_message, to_js_headers
from .jsconvert import parse_json, to_python
from .jsvalues import JsBuffer, JsException, JsObject, JsProxy, jsnull
from .request import normalise_url
from .status import NULL_BODY_STATUSES, REDIRECT_STATUSES, HttpStatusError, status_text

__all__ = ["HttpStatusError", "JsResponse", "Response"]

# The JavaScript body types the SDK's Response accepts (by constructor name).
ACCEPTED_JS_TYPES: Final = frozenset(
    [
        "Blob",
        "ArrayBuffer",
        "TypedArray",
        "DataView",
        "Uint8Array",
        "Uint8ClampedArray",
        "Int8Array",
        "Uint16Array",
        "Int16Array",
        "Uint32Array",
        "Int32Array",
        "Float16Array",
        "Float32Array",
        "Float64Array",
        "BigInt64Array",
        "BigUint64Array",
        "FormData",
        "ReadableStream",
        "URLSearchParams",
        "Response",
    ]
)


class JsResponse(JsProxy):
    """JavaScript's ``Response`` (``js.Response.new(body, status=..., headers=...)``)."""

    js_type = "Response"
    status: int
    statusText: str  # noqa: N815 - the JavaScript name
    headers: JsHeaders
    url: str
    type: str
    redirected: bool
    _body: Body

    def __init__(self, body: Any = None, init: Any = None, **options: Any) -> None:
        if isinstance(init, JsResponse):
            options = {
                "status": init.status,
                "statusText": init.statusText,
                "headers": JsHeaders(init.headers),
            }
        elif init is not None:
            options = {**(init.as_object_map() if isinstance(init, JsObject) else init), **options}
        status = int(options.get("status") or 200)
        if options.get("webSocket") is not None:
            raise JsException("TypeError", "pytest-kv does not provide WebSockets")
        if not 200 <= status <= 599:
            raise JsException(
                "RangeError",
                "Responses may only be constructed with status codes in the range 200 to "
                "599, inclusive.",
            )
        text = options.get("statusText")
        if text is not None and any(ord(c) < 0x20 for c in str(text)):
            raise JsException("TypeError", "Invalid statusText")
        headers = options.get("headers")
        self.headers = JsHeaders(headers) if headers is not None else JsHeaders()
        if isinstance(body, JsResponse):
            body = body._body
        content, content_type = (body, None) if isinstance(body, Body) else Body.of(body)
        if status in NULL_BODY_STATUSES and not content.is_null:
            if not content.is_empty:
                raise JsException(
                    "TypeError",
                    "Response with null body status (101, 204, 205, or 304) cannot have a body.",
                )
            content = Body()
        if content_type and not self.headers.has("content-type"):
            self.headers.set("content-type", content_type)
        self.status = status
        self.statusText = str(text) if text else status_text(status)
        self.url = str(options.get("url", ""))
        self.type = "default"
        self.redirected = bool(options.get("redirected", False))
        self._body = content

    @property
    def ok(self) -> bool:
        """Whether the status is 200..299."""
        return 200 <= self.status <= 299

    @property
    def body(self) -> Any:
        """A ``ReadableStream``, or null."""
        stream = self._body.stream()
        if stream is not None:
            return stream
        return jsnull if current_runtime().jsnull else None

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
        return parse_json(await self.text(), jsnull if current_runtime().jsnull else None)

    def clone(self) -> JsResponse:
        """A copy with its own, unread body."""
        copy = JsResponse(None, self)
        copy._body = self._body.copy()
        copy.url, copy.redirected = self.url, self.redirected
        return copy


def js_json_response(data: Any, init: Any = None, **options: Any) -> JsResponse:
    """``Response.json(data, init)``: compact JSON (``JSON.stringify``)."""
    headers = JsHeaders((init or {}).get("headers") if isinstance(init, dict) else None)
    headers = JsHeaders(options.pop("headers", None) or headers)
    if not headers.has("content-type"):
        headers.set("content-type", "application/json")
    text = json_stringify(to_python(data))
    if text is None:
        raise JsException("TypeError", "Value is not JSON serializable")
    merged = {**(init if isinstance(init, dict) else {}), **options, "headers": headers}
    return JsResponse(text, merged)


def js_redirect(url: Any, status: int = 302) -> JsResponse:
    """``Response.redirect(url, status)``: a redirect with a null body."""
    if status not in REDIRECT_STATUSES:
        raise JsException(
            "RangeError",
            f"{status} is not a redirect status code. It must be one of: 301, 302, 303, "
            "307, or 308.",
        )
    location = normalise_url(str(url), "Unable to parse URL: ")
    return JsResponse(None, status=status, headers=[("location", location)])


def _python_error(error: JsException) -> Exception:
    """The SDK maps JavaScript RangeError to ValueError and TypeError to TypeError."""
    if error.name == "RangeError":
        return ValueError(error.message)
    if error.name == "TypeError":
        return TypeError(error.message)
    return error


class _JsonMethod:
    """``Response.json(data, ...)`` on the class builds a JSON response; on an
    instance, ``await response.json()`` parses the body, as in the SDK."""

    def __get__(self, instance: Response | None, owner: type[Response]) -> Any:
        if instance is None:
            return owner.from_json
        return instance._parse_json


class Response:
    """The SDK's response (``workers.Response``), and what ``kv_worker.fetch`` returns.

    The body is a ``str``, ``bytes`` or ``None`` (or a stream, such as a KV
    ``"stream"`` read). Without ``status_text`` the status reads as workerd words it.

    Example::

        response = Response.json({"hits": 2}, status=201)
        assert response.status == 201 and response.status_text == "Created"
        assert response.headers["Content-Type"] == "application/json"
        assert await response.json() == {"hits": 2}
    """

    json = _JsonMethod()

    def __init__(
        self,
        body: Any = None,
        status: HTTPStatus | int | None = None,
        status_text: str = "",
        headers: Any = None,
        web_socket: Any = None,
    ) -> None:
        if isinstance(body, JsProxy):
            if body.constructor.name not in ACCEPTED_JS_TYPES:
                raise TypeError(f"Unsupported type in Response: {body.constructor.name}")
        elif not isinstance(body, (str, bytes, KVStream)) and body is not None:
            raise TypeError(f"Unsupported type in Response: {type(body).__name__}")
        if isinstance(body, JsResponse):
            if status is not None or len(status_text) > 0 or headers is not None:
                raise ValueError(
                    "Expected no options when constructing Response from a js.Response"
                )
            self._js = body
            return
        if web_socket is not None:
            raise TypeError("pytest-kv's stand-in does not provide WebSocket responses")
        options = self._create_options(status, status_text, headers)
        try:
            self._js = JsResponse(body, **options)
        except JsException as error:
            raise _python_error(error) from None

    @staticmethod
    def _create_options(
        status: HTTPStatus | int | None, status_text: str, headers: Any
    ) -> dict[str, Any]:
        # Falsy options are left out, as in the SDK: status 0 or None means 200.
        options: dict[str, Any] = {}
        if status:
            options["status"] = int(status)
        if status_text:
            options["statusText"] = status_text
        if headers:
            options["headers"] = to_js_headers(headers)
        return options

    @staticmethod
    def from_json(
        data: Any,
        status: HTTPStatus | int = HTTPStatus.OK,
        status_text: str = "",
        headers: Any = None,
    ) -> Response:
        """A JSON response: ``json.dumps(data)`` (Python's spacing), with
        ``content-type: application/json`` unless ``headers`` name one."""
        options = Response._create_options(status, status_text, headers)
        try:
            if isinstance(data, JsProxy):
                return Response(js_json_response(data, **options))
            js_headers = options.setdefault("headers", JsHeaders())
            if not js_headers.has("content-type"):
                js_headers.set("content-type", "application/json")
            return Response(JsResponse(json.dumps(data), **options))
        except JsException as error:
            raise _python_error(error) from None

    @staticmethod
    def redirect(url: str, status: HTTPStatus | int = HTTPStatus.FOUND) -> JsResponse:
        """A redirect, as a JavaScript ``Response`` (like the SDK, not a ``Response``)."""
        try:
            return js_redirect(url, int(status))
        except JsException as error:
            raise _python_error(error) from None

    def __repr__(self) -> str:
        parts = [f"status={self.status}"]
        if self._js.statusText:
            parts.append(f"status_text={self.status_text!r}")
        content_type = self._js.headers.get("content-type")
        if content_type is not None:
            parts.append(f"content_type={content_type!r}")
        if self._js.url:
            parts.append(f"url={self._js.url!r}")
        if self._js.type != "default":
            parts.append(f"type={self._js.type!r}")
        return f"Response({', '.join(parts)})"

    @property
    def js_object(self) -> JsResponse:
        """The JavaScript ``Response`` underneath."""
        return self._js

    js_response = js_object

    @property
    def status(self) -> int:
        """The status code."""
        return self._js.status

    @property
    def status_text(self) -> str:
        """The status text, workerd's default phrase unless one was given."""
        return self._js.statusText

    @property
    def ok(self) -> bool:
        """Whether the status is 200..299."""
        return self._js.ok

    @property
    def headers(self) -> HTTPMessageMapping:
        """A fresh case-insensitive copy of the headers; a missing name gives ``None``."""
        return http_message(self._js.headers, current_runtime().preserve_commas)

    @property
    def url(self) -> str:
        """The URL of a fetched response; empty for one the Worker built."""
        return self._js.url

    @property
    def redirected(self) -> bool:
        """Whether ``fetch`` followed a redirect to get this response."""
        return self._js.redirected

    @property
    def type(self) -> str:
        """The response type, ``"default"`` here."""
        return self._js.type

    @property
    def body(self) -> Any:
        """The body as a ``ReadableStream``, or ``None``."""
        body = self._js.body
        return None if body is jsnull else body

    @property
    def body_used(self) -> bool:
        """Whether the body has been read."""
        return self._js.bodyUsed

    def _raise_if_failed(self) -> None:
        if self._js.bodyUsed:
            raise BodyUsedError

    async def text(self) -> str:
        """The body as text; the body can be read once."""
        self._raise_if_failed()
        return await self._js.text()

    string = text

    async def _parse_json(self, **kwargs: Any) -> Any:
        self._raise_if_failed()
        return json.loads(await self._js.text(), **kwargs)

    async def bytes(self) -> bytes:
        """The body as bytes."""
        self._raise_if_failed()
        return (await self._js.arrayBuffer()).to_bytes()

    async def buffer(self) -> JsBuffer:
        """The body as a JavaScript ``ArrayBuffer``."""
        self._raise_if_failed()
        return await self._js.arrayBuffer()

    async def memoryview(self) -> memoryview:
        """The body as a ``memoryview``."""
        return memoryview(await self.bytes())

    def raise_for_status(self) -> None:
        """Raise ``HttpStatusError`` for a 4xx or 5xx status."""
        if 400 <= self.status < 600:
            raise HttpStatusError(self.status, self.status_text, self.url)

    def clone(self) -> Response:
        """A copy with its own body (the SDK returns a plain ``FetchResponse`` here)."""
        self._raise_if_failed()
        return Response(self._js.clone())

    def replace_body(self, body: Any) -> Response:
        """The same status, status text and headers with another body."""
        return Response(JsResponse(body, self._js))
