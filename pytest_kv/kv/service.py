"""The KV service's side of every call: its checks, in the order Miniflare's validator
makes them, and what it stores and answers, against one ``now`` read once per call.

Front doors (the binding, the REST API) convert their own arguments and make their
own client-side checks first; what they then ask of the service is the same.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from pytest_kv.errors import DELETE, GET, GET_BULK, PUT, KVSyntaxError, http_error
from pytest_kv.js.json_memo import parsed_json
from pytest_kv.js.text import decode_text, utf16_length

from .faults import Faults
from .keys import Key
from .limits import (
    MAX_BULK_BYTES,
    MAX_BULK_KEYS,
    MAX_KEY_BYTES,
    MIN_CACHE_TTL,
    check_bulk_key,
    check_cache_ttl,
    check_metadata_size,
    check_value_size,
    resolve_expiration,
)
from .store import Entry

TEXT = "text"
JSON = "json"


class Backend(Protocol):
    """What one location of a namespace offers (``Store`` or ``LocationView``)."""

    @property
    def lock(self) -> Any: ...

    @property
    def pure_reads(self) -> bool:
        """Whether a read leaves nothing behind (no cache, no read count)."""
        ...

    def read(self, key: bytes, now: float, cache_ttl: int) -> tuple[Entry | None, str | None]: ...

    def probe(self, key: bytes, now: float, cache_ttl: int) -> tuple[Entry | None, str | None]:
        """What ``read`` would return, with no side effects."""
        ...

    def prepare(self, name: str, now: float) -> Any:
        """What a write needs worked out before the lock is taken (or ``None``)."""
        ...

    def write(
        self,
        key: bytes,
        name: str,
        entry: Entry | None,
        now: float,
        cache_ttl: int,
        prepared: Any = None,
    ) -> None: ...

    def page(
        self, prefix: bytes, after: bytes | None, limit: int, now: float
    ) -> tuple[list[tuple[bytes, Entry]], bool]: ...


def check_url_key(op: str, key: Key) -> None:
    """The service reads single keys from the URL, where a lone surrogate cannot be."""
    if not key.well_formed:
        raise http_error(op, 400, "Could not URL-decode key name")


def get_one(
    backend: Backend, key: Key, cache_ttl: int | None, now: float, default_ttl: int
) -> tuple[Entry | None, str | None]:
    """A single-key read: the live entry (or ``None``) and the cache status.
    ``cache_ttl`` is the read's own, ``default_ttl`` the namespace's for reads that
    give none."""
    if not key.well_formed:
        check_url_key(GET, key)
    if cache_ttl is not None:
        check_cache_ttl(GET, cache_ttl)
        default_ttl = cache_ttl
    with backend.lock:
        return backend.read(key.encoded, now, default_ttl)


def bulk_type(response_type: str | None) -> str:
    """The type of a bulk read: only text and JSON can be read in bulk."""
    if not response_type or response_type == TEXT:
        return TEXT
    if response_type == JSON:
        return JSON
    raise http_error(GET_BULK, 400, f'"{response_type}" is not a valid type. Use "json" or "text"')


def _json_bulk_value(entry: Entry) -> Any:
    try:
        return parsed_json(entry.value)
    except KVSyntaxError:
        raise http_error(
            GET_BULK, 400, "At least one of the requested keys corresponds to a non-json value"
        ) from None


def get_bulk(
    backend: Backend,
    response_type: str | None,
    keys: list[Key],
    cache_ttl: int | None,
    now: float,
    default_ttl: int,
) -> list[tuple[Key, Entry | None, Any]]:
    """A bulk read: each key in request order with its entry (or ``None``) and its
    value as the service answers it (text, or parsed JSON).

    The whole request is checked before any location reads anything: a bulk read
    that fails (a bad key, a value that is not JSON, too large an answer) leaves every
    cache and read count as it was.
    """
    kind = bulk_type(response_type)
    if len(keys) > MAX_BULK_KEYS:
        raise http_error(GET_BULK, 400, "You can request a maximum of 100 keys")
    if not keys:
        raise http_error(GET_BULK, 400, "You must request a minimum of 1 key")
    ttl = default_ttl if cache_ttl is None else cache_ttl
    # Every key is checked in turn (Miniflare's order: each key's checks, lookup and
    # decoding); the checks are called only where one can fail.
    bad_ttl = cache_ttl is not None and cache_ttl < MIN_CACHE_TTL
    answer: list[tuple[Key, Entry | None, Any]] = []
    size = 0
    with backend.lock:
        look = backend.read if backend.pure_reads else backend.probe
        for key in keys:
            encoded = key.encoded
            if bad_ttl or not 2 < len(encoded) <= MAX_KEY_BYTES:
                check_bulk_key(key.name, encoded)
                check_cache_ttl(GET_BULK, cache_ttl)
            entry = look(encoded, now, ttl)[0]
            if entry is None:
                answer.append((key, None, None))
                continue
            size += len(entry.value)
            if kind == TEXT:
                answer.append((key, entry, decode_text(entry.value)))
            else:
                answer.append((key, entry, _json_bulk_value(entry)))
        if size > MAX_BULK_BYTES:
            _check_bulk_size([entry for _, entry, _ in answer if entry is not None])
        if not backend.pure_reads:
            for key in keys:  # now the reads happen: caches fill, replica reads count
                backend.read(key.encoded, now, ttl)
    return answer


def _check_bulk_size(entries: list[Entry]) -> None:
    # The service totals the decoded strings' JavaScript lengths (UTF-16 units),
    # never more than the UTF-8 byte count (the caller's first count), so only a
    # large read needs counting.
    total = sum(utf16_length(decode_text(entry.value)) for entry in entries)
    if total > MAX_BULK_BYTES:
        raise http_error(GET_BULK, 413, "Total size of request exceeds the limit of 25MB")


def check_put(
    key: Key,
    metadata_given: bool,
    metadata: str | None,
    expiration: int | None,
    expiration_ttl: int | None,
    now: float,
) -> int | None:
    """The service's checks before it reads the value; returns the expiration to store.

    ``metadata`` is the JSON text of the metadata, or ``None`` when there is none or
    ``JSON.stringify`` gave ``undefined`` (which the service answers with a 500).
    """
    check_url_key(PUT, key)
    if metadata is None and metadata_given:
        raise http_error(PUT, 500, "Internal Server Error")
    resolved = resolve_expiration(math.floor(now), expiration, expiration_ttl)
    check_metadata_size(metadata)
    return resolved


def store_put(
    backend: Backend,
    key: Key,
    data: bytes,
    expiration: int | None,
    metadata: str | None,
    now: float,
    cache_ttl: int,
    faults: Faults | None,
) -> None:
    """Store a put's value: read-only and rate limits, then the value's size, then the
    write, all under the lock, so that a rejected put leaves no trace."""
    entry = Entry(data, expiration, metadata)
    prepared = backend.prepare(key.name, now)  # user code (a propagation model) runs here
    with backend.lock:
        if faults is not None:
            faults.check_write(PUT, f"put({key.name!r})", key.encoded, now, put=True)
        check_value_size(len(data))
        backend.write(key.encoded, key.name, entry, now, cache_ttl, prepared)
        if faults is not None:
            faults.wrote(key.encoded, now)


def delete(backend: Backend, key: Key, now: float, cache_ttl: int, faults: Faults | None) -> None:
    check_url_key(DELETE, key)
    prepared = backend.prepare(key.name, now)
    with backend.lock:
        if faults is not None:
            faults.check_write(DELETE, f"delete({key.name!r})", key.encoded, now, put=False)
        backend.write(key.encoded, key.name, None, now, cache_ttl, prepared)


def store_many(
    backend: Backend,
    items: list[tuple[Key, bytes, int | None, str | None]],
    now: float,
    faults: Faults | None,
) -> None:
    """A bulk write of already-checked ``(key, value, expiration, metadata)`` items:
    read-only and rate limits for every key first, then every write, all under the
    lock, so that a refused bulk write writes nothing."""
    prepared = [backend.prepare(key.name, now) for key, *_ in items]  # user code: no lock
    with backend.lock:
        if faults is not None:
            for key, *_ in items:
                faults.check_write(PUT, f"put({key.name!r})", key.encoded, now, put=True)
        for (key, data, expiration, metadata), ready in zip(items, prepared, strict=True):
            entry = Entry(data, expiration, metadata)
            backend.write(key.encoded, key.name, entry, now, 0, ready)
            if faults is not None:
                faults.wrote(key.encoded, now)


def delete_many(backend: Backend, keys: list[Key], now: float, faults: Faults | None) -> None:
    """A bulk delete of already-checked keys: all of them, or (read-only) none."""
    prepared = [backend.prepare(key.name, now) for key in keys]
    with backend.lock:
        if faults is not None:
            for key in keys:
                faults.check_write(DELETE, f"delete({key.name!r})", key.encoded, now, put=False)
        for key, ready in zip(keys, prepared, strict=True):
            backend.write(key.encoded, key.name, None, now, 0, ready)
