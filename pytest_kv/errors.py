"""The errors the fake raises, and builders for production's exact messages.

Every message here is quoted from production Workers KV (workerd and Miniflare 4);
see ``shared/reference/kv-semantics.md``. Server-side failures read
``KV <OP> failed: <status> <text>`` where ``OP`` is ``GET`` (also used by
``list()``), ``GET_BULK``, ``PUT`` or ``DELETE``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Final

__all__ = ["KVError", "KVSyntaxError", "KVTypeError"]


class KVError(Exception):
    """A Workers KV call failed; ``str(error)`` is production's message.

    ``status`` is the HTTP status production reports (400, 413, 414, 429, 500, ...)
    or ``None`` for errors the runtime raises before any request is sent.

    Example::

        with pytest.raises(KVError) as info:
            await kv.put("k", "v", expirationTtl=30)
        assert info.value.status == 400
    """

    status: int | None

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def message(self) -> str:
        """The message, exactly as production words it."""
        return str(self.args[0])


class KVTypeError(KVError, TypeError):
    """A call's arguments were rejected before any request (a JavaScript ``TypeError``).

    Example::

        with pytest.raises(KVTypeError, match="Key name cannot be empty."):
            await kv.get("")
    """


class KVSyntaxError(KVError, ValueError):
    """A value read with ``type="json"`` is not JSON (a JavaScript ``SyntaxError``).

    The message is V8's ``JSON.parse`` message, for example
    ``Unexpected end of JSON input``.

    Example::

        await kv.put("k", "not json")
        with pytest.raises(KVSyntaxError):
            await kv.get("k", "json")
    """


# Operation names as they appear in production's "KV <OP> failed" messages.
GET: Final = "GET"
GET_BULK: Final = "GET_BULK"
PUT: Final = "PUT"
DELETE: Final = "DELETE"


def http_error(op: str, status: int, text: str) -> KVError:
    """Production's error for a non-2xx answer from the KV service."""
    return KVError(f"KV {op} failed: {status} {text}", status)


def key_too_long(op: str, length: int) -> KVError:
    return http_error(op, 414, f"UTF-8 encoded length of {length} exceeds key length limit of 512.")


def invalid_cache_ttl(op: str, ttl: int) -> KVError:
    return http_error(op, 400, f"Invalid cache_ttl of {ttl}. Cache TTL must be at least 30.")


INT_OUT_OF_RANGE: Final = (
    "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."
)
BIGINT_TO_NUMBER: Final = "Cannot convert a BigInt value to a number"
BIGINT_TO_JSON: Final = "Do not know how to serialize a BigInt"
CIRCULAR: Final = (
    "This value refers to itself (a reference cycle), so it cannot be sent to JavaScript: "
    "the Python Workers SDK would recurse without end, and JSON.stringify would fail with "
    "'Converting circular structure to JSON'."
)
UNKNOWN_RESPONSE_TYPE: Final = (
    'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
)
PUT_VALUE_TYPE: Final = (
    "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
)


def not_sendable(value: object) -> KVTypeError:
    """The Python Workers SDK refuses tuples and bytearrays at the RPC boundary."""
    return KVTypeError(f"{type(value)} cannot be sent over RPC.")


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'cacheTtl'?"`` for a misspelled option, or ``""``."""
    options = list(known)

    def squash(option: str) -> str:
        return option.replace("_", "").replace("-", "").lower()

    for option in options:
        if squash(option) == squash(name):
            return f"; did you mean {option!r}?"
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` for a message or a report: cut to about ``limit`` characters
    (a key may be 512 bytes, a value 25 MiB), and never raising, even for an object
    whose ``__repr__`` does."""
    try:
        text = repr(value)
    except Exception as error:
        text = f"<{type(value).__name__} object; its repr() raised {type(error).__name__}>"
    if len(text) <= limit:
        return text
    return f"{text[: max(limit - 20, 10)]}...<{len(text):,} characters>"
