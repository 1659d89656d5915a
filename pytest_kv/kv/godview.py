"""The test's view of a namespace: seed it, look inside it, with no side effects.

The god view reads and writes the truth directly: it ignores the binding's limits on
expiration (so a test can seed keys that expire in a second, or already expired)
but keeps the limits no stored key can break (key names, value and metadata sizes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_kv.errors import PUT, KVError
from pytest_kv.js.json_parse import json_parse
from pytest_kv.js.json_stringify import json_stringify
from pytest_kv.js.text import decode_text, encode_text

from .bulk import parse_bulk_entry
from .keys import name_of
from .limits import check_key, check_metadata_size, check_value_size
from .store import Entry, Store

__all__ = ["KVEntry"]


@dataclass(frozen=True, slots=True)
class KVEntry:
    """A stored key as the god view sees it (``ns.peek(key)``).

    Example::

        kv.seed({"user:1": {"name": "Ada"}}, expirationTtl=3600)
        entry = kv.peek("user:1")
        assert entry.json() == {"name": "Ada"}
        assert entry.expiration == int(kv_clock.now()) + 3600
    """

    key: str
    value: bytes
    expiration: int | None
    metadata: Any

    @property
    def text(self) -> str:
        """The value decoded as UTF-8, as ``get(key)`` returns it."""
        return decode_text(self.value)

    def json(self) -> Any:
        """The value parsed as JSON, as ``get(key, "json")`` returns it."""
        return json_parse(self.text)


def seed_bytes(value: object) -> bytes:
    """A seeded value as stored: text as UTF-8, bytes as they are, the rest as JSON."""
    if isinstance(value, str):
        return encode_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    text = json_stringify(value)
    if text is None:
        raise TypeError(f"cannot seed a value of type {type(value).__name__}")
    return encode_text(text)


def _expiration(now: float, expiration: float | None, ttl: float | None) -> int | None:
    if ttl is not None:
        return int(now // 1) + int(ttl)
    return None if expiration is None else int(expiration)


def _entry(
    name: str, data: bytes, expiration: int | None, metadata: str | None
) -> tuple[bytes, Entry]:
    encoded = encode_text(name)
    try:
        check_key(PUT, name, encoded)
        check_metadata_size(metadata)
        check_value_size(len(data))
    except KVError as error:
        raise ValueError(f"cannot seed key {name!r}: {error}") from None
    return encoded, Entry(data, expiration, metadata)


def prepare(
    now: float,
    data: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    expiration: float | None,
    expiration_ttl: float | None,
    metadata: Any,
) -> list[tuple[bytes, Entry]]:
    """Every item to seed, checked, so that an invalid one stops them all."""
    shared_metadata = None if metadata is None else json_stringify(metadata)
    shared_expiration = _expiration(now, expiration, expiration_ttl)
    prepared: list[tuple[bytes, Entry]] = []
    if isinstance(data, Mapping):
        for name, value in data.items():
            if not isinstance(name, str):
                raise TypeError(f"seed keys must be str, got {type(name).__name__} {name!r}")
            prepared.append(_entry(name, seed_bytes(value), shared_expiration, shared_metadata))
    else:
        for index, raw in enumerate(data):
            item = parse_bulk_entry(raw, f"seed entry {index}")
            own = _expiration(now, item.expiration, item.expiration_ttl)
            prepared.append(
                _entry(
                    item.key,
                    item.value,
                    shared_expiration if own is None else own,
                    shared_metadata if item.metadata is None else item.metadata,
                )
            )
    return prepared


def peek(store: Store, key: str, now: float) -> KVEntry | None:
    encoded = encode_text(key)
    with store.lock:
        entry = store.peek(encoded, now)
    if entry is None:
        return None
    metadata = None if entry.metadata is None else json_parse(entry.metadata)
    return KVEntry(name_of(encoded), entry.value, entry.expiration, metadata)


def keys(store: Store, prefix: str | None, now: float) -> list[str]:
    with store.lock:
        return [name_of(key) for key, _ in store.live(encode_text(prefix or ""), now)]
