"""What a KV value is on the way in (``put``) and on the way out (``get`` types)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Coroutine
from typing import Any, Final

from pytest_kv.errors import PUT_VALUE_TYPE, UNKNOWN_RESPONSE_TYPE, KVTypeError, not_sendable
from pytest_kv.js.convert import to_js_string
from pytest_kv.js.json_memo import parsed_json
from pytest_kv.js.text import decode_text, encode_text
from pytest_kv.kv.limits import MAX_VALUE_BYTES, value_too_large
from pytest_kv.suspension import stepping

__all__ = ["KVStream"]

DISTURBED_STREAM: Final = (
    "This ReadableStream is disturbed (has already been read from), and cannot be used as a body."
)
TEXT: Final = "text"
JSON: Final = "json"
ARRAY_BUFFER: Final = "arrayBuffer"
STREAM: Final = "stream"


def encode_value(value: object) -> bytes | AsyncIterable[Any]:
    """A ``put`` value as bytes, or the stream to read them from.

    Strings, buffers (``bytes``, ``memoryview``, typed arrays) and async iterables of
    bytes are what production accepts; numbers, booleans and ``None`` are coerced
    to their JavaScript string, as workerd does (``put(k, None)`` stores ``"null"``).
    """
    if isinstance(value, str):
        return encode_text(value)
    if isinstance(value, bytes):
        return value
    if isinstance(value, (tuple, bytearray)):
        raise not_sendable(value)
    if value is None or isinstance(value, (bool, int, float)):
        return to_js_string(value).encode("utf-8")
    if isinstance(value, KVStream) and value.disturbed:
        raise KVTypeError(DISTURBED_STREAM)
    if isinstance(value, AsyncIterable):
        return value
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        raise KVTypeError(PUT_VALUE_TYPE) from None
    return view.tobytes()


def _chunk_bytes(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    try:
        return memoryview(chunk).tobytes()  # type: ignore[arg-type]
    except TypeError:
        raise KVTypeError(
            f"KV put() stream chunks must be bytes-like, got {type(chunk).__name__}."
        ) from None


async def read_stream(stream: AsyncIterable[Any]) -> bytes:
    """Every byte of a stream; production reports the full streamed length if too big."""
    chunks = []
    size = 0
    iterator = aiter(stream)
    try:
        async for chunk in iterator:
            data = _chunk_bytes(chunk)
            size += len(data)
            chunks.append(data)
    except KVTypeError:
        # Production cancels a stream it rejects; close the generator likewise.
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()
        raise
    if size > MAX_VALUE_BYTES:
        raise value_too_large(size)
    return b"".join(chunks)


def read_stream_blocking(stream: AsyncIterable[Any]) -> bytes:
    """``read_stream`` for the sync facade: runs it without an event loop.

    Streams built from data in memory never really suspend, so the coroutine can be
    stepped by hand; one that waits on real I/O needs the async binding.
    """
    coroutine: Coroutine[Any, Any, bytes] = read_stream(stream)
    with stepping():  # a KV call inside the stream must not suspend either
        try:
            coroutine.send(None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        coroutine.close()
    raise KVTypeError(
        "This stream waits on real I/O, which the blocking ns.sync binding cannot do; "
        "use the async binding instead: await ns.put(key, stream)."
    )


def decode_value(data: bytes, response_type: str) -> Any:
    """A stored value as ``get(key, response_type)`` returns it."""
    if response_type == TEXT:
        return decode_text(data)
    if response_type == JSON:
        return parsed_json(data)
    if response_type == ARRAY_BUFFER:
        return memoryview(bytearray(data))
    if response_type == STREAM:
        return KVStream(data)
    raise KVTypeError(UNKNOWN_RESPONSE_TYPE)


class KVStream:
    """The byte stream ``get(key, "stream")`` returns: an async iterable of ``bytes``.

    Like a JavaScript ``ReadableStream`` it can be read once. ``put`` accepts it (or
    any async iterable of bytes) as a value.

    Example::

        stream = await kv.get("blob", "stream")
        data = b"".join([chunk async for chunk in stream])
    """

    __slots__ = ("_chunk_size", "_data", "disturbed")

    def __init__(self, data: bytes, chunk_size: int = 65536) -> None:
        if not isinstance(data, bytes):
            raise TypeError(f"KVStream holds bytes, got {type(data).__name__}")
        if type(chunk_size) is not int or chunk_size < 1:
            raise ValueError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")
        self._data: bytes | None = data
        self._chunk_size = chunk_size
        # Read from already: production refuses such a stream as a put() body.
        self.disturbed = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        self.disturbed = True
        data, self._data = self._data, None
        if data is None:
            return
        for start in range(0, len(data), self._chunk_size):
            yield data[start : start + self._chunk_size]

    async def read(self) -> bytes:
        """Everything left in the stream, as one ``bytes`` (a pytest-kv convenience)."""
        return b"".join([chunk async for chunk in self])

    def __repr__(self) -> str:
        state = "consumed" if self._data is None else f"{len(self._data)} bytes"
        return f"<KVStream {state}>"
