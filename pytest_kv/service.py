"""The KV service's side of each binding call: checks, storage, result shapes.

The binding (``namespace.py``) converts a call's arguments; the functions here then do
what the KV service does with the request, in the order Miniflare's validator does
it, against one ``now`` read once for the whole call.
"""

from __future__ import annotations

from typing import Any, Protocol

from .arguments import GetArgs, Key, PutArgs
from .errors import DELETE, GET, GET_BULK, PUT, KVSyntaxError, http_error
from .jsvalues import json_parse
from .limits import (
    MAX_BULK_BYTES,
    MAX_BULK_KEYS,
    check_bulk_key,
    check_cache_ttl,
    check_metadata_size,
    check_value_size,
    resolve_expiration,
)
from .results import JsDict
from .store import Entry
from .values import JSON, TEXT, decode_text, decode_value


class Backend(Protocol):
    """What one location of a namespace offers the binding (``Store`` or ``LocationView``)."""

    @property
    def lock(self) -> Any: ...

    def read(self, key: bytes, now: float, cache_ttl: int) -> tuple[Entry | None, str | None]: ...

    def write(
        self, key: bytes, name: str, entry: Entry | None, now: float, cache_ttl: int
    ) -> None: ...

    def page(
        self, prefix: bytes, after: bytes | None, limit: int, now: float
    ) -> tuple[list[tuple[bytes, Entry]], bool]: ...


def _metadata(entry: Entry) -> Any:
    return None if entry.metadata is None else json_parse(entry.metadata)


def check_url_key(op: str, key: Key) -> None:
    """The service reads single keys from the URL, where a lone surrogate cannot be."""
    if not key.well_formed:
        raise http_error(op, 400, "Could not URL-decode key name")


def get_one(
    backend: Backend, args: GetArgs, key: Key, now: float, with_metadata: bool, cache_ttl: int
) -> tuple[Any, str | None]:
    """A single-key read and its cache status; ``cache_ttl`` is the namespace's default
    for reads that give none."""
    if not key.well_formed:
        check_url_key(GET, key)
    if args.cache_ttl is not None:
        check_cache_ttl(GET, args.cache_ttl)
        cache_ttl = args.cache_ttl
    with backend.lock:
        entry, cache_status = backend.read(key.encoded, now, cache_ttl)
    # workerd checks the type only once the service has answered, so a miss with
    # an unknown type is still just a miss.
    if entry is None:
        value = metadata = None
    else:
        response_type = args.response_type
        if response_type is None or response_type == TEXT:
            value = entry.value.decode("utf-8", "replace")
        else:
            value = decode_value(entry.value, response_type)
        metadata = _metadata(entry) if with_metadata else None
    if not with_metadata:
        return value, cache_status
    return JsDict(value=value, metadata=metadata, cacheStatus=cache_status), cache_status


def _bulk_type(response_type: str | None) -> str:
    if not response_type or response_type == TEXT:
        return TEXT
    if response_type == JSON:
        return JSON
    raise http_error(GET_BULK, 400, f'"{response_type}" is not a valid type. Use "json" or "text"')


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _is_array_index(name: str) -> bool:
    """Whether V8 treats ``name`` as an array index (canonical 0 .. 2**32 - 2)."""
    if not name.isdigit() or not name.isascii() or (name[0] == "0" and name != "0"):
        return False
    return int(name) <= 4294967294


def _bulk_value(entry: Entry, response_type: str) -> Any:
    text = decode_text(entry.value)
    if response_type == TEXT:
        return text
    try:
        return json_parse(text)
    except KVSyntaxError:
        raise http_error(
            GET_BULK, 400, "At least one of the requested keys corresponds to a non-json value"
        ) from None


def get_bulk(
    backend: Backend,
    args: GetArgs,
    keys: list[Key],
    now: float,
    with_metadata: bool,
    cache_ttl: int,
) -> JsDict:
    """A bulk read: a dict in request order, ``None`` for each miss."""
    response_type = _bulk_type(args.response_type)
    if len(keys) > MAX_BULK_KEYS:
        raise http_error(GET_BULK, 400, "You can request a maximum of 100 keys")
    if not keys:
        raise http_error(GET_BULK, 400, "You must request a minimum of 1 key")
    result = JsDict()
    found: list[Entry] = []
    texts_size = 0
    ttl = cache_ttl if args.cache_ttl is None else args.cache_ttl
    with backend.lock:
        for key in keys:
            check_bulk_key(key.name, key.encoded)
            check_cache_ttl(GET_BULK, args.cache_ttl)
            entry, _ = backend.read(key.encoded, now, ttl)
            if entry is None:
                result[key.name] = None
                continue
            found.append(entry)
            texts_size += len(entry.value)
            value = _bulk_value(entry, response_type)
            if not with_metadata:
                result[key.name] = value
            elif value is None:
                # Miniflare's service answers a stored JSON null as a miss.
                result[key.name] = None
            else:
                result[key.name] = JsDict(value=value, metadata=_metadata(entry))
    # The service totals the decoded strings' JavaScript lengths (UTF-16 units),
    # never more than the UTF-8 byte count, so only a large read needs counting.
    if texts_size > MAX_BULK_BYTES:
        total = sum(_utf16_length(decode_text(entry.value)) for entry in found)
        if total > MAX_BULK_BYTES:
            raise http_error(GET_BULK, 413, "Total size of request exceeds the limit of 25MB")
    # workerd builds the returned Map from the answer's property names while
    # skipping array indices, so keys like "42" never come back from a bulk read,
    # found or not. Production does this too; code that bulk-reads numeric keys
    # loses them there, so it loses them here.
    for name in [name for name in result if _is_array_index(name)]:
        del result[name]
    return result


def check_put(args: PutArgs, metadata: str | None, now: float) -> int | None:
    """The service's checks before it reads the value; returns the expiration to store.

    ``metadata`` is the JSON text of ``args.metadata``, or ``None`` when there is none
    or ``JSON.stringify`` gave ``undefined`` (which the service answers with a 500).
    """
    check_url_key(PUT, args.key)
    if metadata is None and args.metadata is not None:
        raise http_error(PUT, 500, "Internal Server Error")
    expiration = resolve_expiration(int(now // 1), args.expiration, args.expiration_ttl)
    check_metadata_size(metadata)
    return expiration


def store_put(
    backend: Backend,
    key: Key,
    data: bytes,
    expiration: int | None,
    metadata: str | None,
    now: float,
    cache_ttl: int,
) -> None:
    check_value_size(len(data))
    entry = Entry(data, expiration, metadata)
    with backend.lock:
        backend.write(key.encoded, key.name, entry, now, cache_ttl)


def delete(backend: Backend, key: Key, now: float, cache_ttl: int) -> None:
    check_url_key(DELETE, key)
    with backend.lock:
        backend.write(key.encoded, key.name, None, now, cache_ttl)
