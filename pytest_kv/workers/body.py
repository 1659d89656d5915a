"""Bodies of requests and responses: what may be one, the ``ReadableStream`` stand-in,
and the single-read rule."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, Final

from pytest_kv.binding.values import KVStream

from .jsvalues import JsBuffer, JsException, JsProxy

__all__ = ["Body", "BodyUsedError", "ReadableStream"]

TEXT_PLAIN: Final = "text/plain;charset=UTF-8"

# Workers' own message for a second read of a body.
_USED: Final = (
    "Body has already been used. It can only be used once. Use tee() first if you need "
    "to read it twice."
)


class BodyUsedError(OSError):
    """A body was read twice (``pyodide.http.BodyUsedError``)."""

    def __init__(self, *args: Any) -> None:
        super().__init__("Response body is already used")


class ReadableStream(JsProxy):
    """A body as a stream: an async iterable of ``Uint8Array`` chunks (``chunk.to_bytes()``).

    KV's ``"stream"`` results (``KVStream``) count as streams too.
    """

    js_type = "ReadableStream"

    def __init__(self, source: Body) -> None:
        self._source = source

    @property
    def locked(self) -> bool:
        """Whether the stream has been read from."""
        return self._source.used

    async def __aiter__(self) -> AsyncIterator[JsBuffer]:
        async for chunk in self._source.chunks():
            yield JsBuffer(chunk)

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """The chunks as ``bytes``, for a binding that takes a stream."""
        async for chunk in self._source.chunks():
            yield chunk


def stream_source(value: Any) -> AsyncIterable[bytes] | None:
    """The chunks of a stream-like body value, or ``None`` when it is not one."""
    if isinstance(value, ReadableStream):
        return value.iter_bytes()
    if isinstance(value, KVStream):
        return value
    return None


class Body:
    """The body of one request or response: bytes, a stream, or none (``null``)."""

    __slots__ = ("_data", "_stream", "used")

    def __init__(self, data: bytes | None = None, stream: AsyncIterable[bytes] | None = None):
        self._data = data
        self._stream = stream
        self.used = False

    @classmethod
    def of(cls, value: Any) -> tuple[Body, str | None]:
        """The body for a JavaScript body init, and the content-type it implies."""
        if value is None:
            return cls(), None
        if isinstance(value, str):
            return cls(value.encode("utf-8", "surrogatepass")), TEXT_PLAIN
        if isinstance(value, (bytes, bytearray, memoryview)):
            return cls(bytes(value)), None
        if isinstance(value, JsBuffer):
            return cls(value.to_bytes()), None
        stream = stream_source(value)
        if stream is not None:
            return cls(stream=stream), None
        raise TypeError(
            f"a body must be a string, bytes, a typed array or a ReadableStream, got "
            f"{type(value).__name__}"
        )

    @property
    def is_null(self) -> bool:
        """Whether there is no body at all (JavaScript ``null``)."""
        return self._data is None and self._stream is None

    @property
    def is_empty(self) -> bool:
        """Whether the body is null or zero bytes."""
        return self._stream is None and not self._data

    def stream(self) -> ReadableStream | None:
        """The body as JavaScript's ``body`` property: a stream, or null."""
        return None if self.is_null else ReadableStream(self)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body's chunks; reading them uses the body up."""
        self._take()
        if self._data:
            yield self._data
        if self._stream is not None:
            async for chunk in self._stream:
                yield bytes(chunk)

    async def read(self) -> bytes:
        """The whole body; a second read fails as in JavaScript (a ``TypeError``)."""
        return b"".join([chunk async for chunk in self.chunks()])

    def _take(self) -> None:
        if self.used:
            raise JsException("TypeError", _USED)
        self.used = True

    def copy(self) -> Body:
        """A second body with the same bytes (``clone()``); streams are read first."""
        if self.used:
            raise JsException("TypeError", _USED)
        if self._stream is not None:
            raise JsException(
                "TypeError", "pytest-kv cannot clone a streamed body; read it into bytes first"
            )
        return Body(self._data)
