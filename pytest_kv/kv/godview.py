"""The test's view of a namespace: seed it, look inside it, with no side effects.

The god view reads and writes the truth directly: it ignores the binding's limits on
expiration (so a test can seed keys that expire in a second, or already expired)
but keeps the limits no stored key can break (key names, value and metadata sizes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pytest_kv.errors import PUT, KVError, shown
from pytest_kv.js.json_parse import json_parse
from pytest_kv.js.json_stringify import json_stringify
from pytest_kv.js.text import decode_text, encode_text

from .bulk import parse_bulk_entry
from .keys import key_of, name_of
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


def god_key(key: object) -> bytes:
    """The stored bytes of a key that a test names: a ``str``, nothing else (the
    binding coerces like JavaScript; the test's own view does not guess)."""
    if not isinstance(key, str):
        raise TypeError(f"a key must be a str, got {type(key).__name__} {shown(key)}")
    return key_of(key).encoded


def metadata_json(metadata: object, what: str = "metadata") -> str | None:
    """The JSON text of metadata to store, or ``None`` for none; refuses what JSON
    cannot hold (``JSON.stringify`` would give undefined, so it would be dropped)."""
    if metadata is None:
        return None
    text = json_stringify(metadata)
    if text is None:
        raise TypeError(f"{what} must be JSON, got {type(metadata).__name__} {shown(metadata)}")
    return text


def _seconds(value: object, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{what} must be a finite number of seconds or None, got {value!r}")
    return value


def _expiration(now: float, expiration: object, ttl: object) -> int | None:
    ttl = _seconds(ttl, "expirationTtl")
    if ttl is not None:
        return math.floor(now) + int(ttl)
    expiration = _seconds(expiration, "expiration")
    return None if expiration is None else int(expiration)


def entry_for(
    name: str, data: bytes, expiration: int | None, metadata: str | None
) -> tuple[bytes, Entry]:
    """A key and its entry, checked against the limits no stored key can break."""
    encoded = key_of(name).encoded
    try:
        check_key(PUT, name, encoded)
        check_metadata_size(metadata)
        check_value_size(len(data))
    except KVError as error:
        raise ValueError(f"cannot store key {shown(name)}: {error}") from None
    return encoded, Entry(data, expiration, metadata)


def prepare(
    now: float,
    data: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    expiration: object,
    expiration_ttl: object,
    metadata: Any,
) -> list[tuple[bytes, Entry]]:
    """Every item to seed, checked, so that an invalid one stops them all."""
    shared_metadata = metadata_json(metadata)
    shared_expiration = _expiration(now, expiration, expiration_ttl)
    prepared: list[tuple[bytes, Entry]] = []
    if isinstance(data, Mapping):
        for name, value in data.items():
            if not isinstance(name, str):
                raise TypeError(f"seed keys must be str, got {type(name).__name__} {shown(name)}")
            prepared.append(entry_for(name, seed_bytes(value), shared_expiration, shared_metadata))
        return prepared
    if isinstance(data, (str, bytes, bytearray, memoryview)) or not isinstance(data, Iterable):
        raise TypeError(
            "seed() takes a mapping of keys to values, or a list of wrangler bulk-put "
            f"entries ({{key, value, ...}}), got {type(data).__name__} {shown(data)}"
        )
    for index, raw in enumerate(data):
        item = parse_bulk_entry(raw, f"seed entry {index}")
        own = _expiration(now, item.expiration, item.expiration_ttl)
        prepared.append(
            entry_for(
                item.key,
                item.value,
                shared_expiration if own is None else own,
                shared_metadata if item.metadata is None else item.metadata,
            )
        )
    return prepared


# What a planted copy may hold: the binding's int32 expirations, cacheTtl's range.
_MAX_SECONDS: Final = 2_147_483_647


def planted(
    key: object, value: object, metadata: object, expiration: object
) -> tuple[bytes, Entry]:
    """A stale copy to plant at a location, checked as a stored key would be."""
    if not isinstance(key, str):
        raise TypeError(f"a key must be a str, got {type(key).__name__} {shown(key)}")
    if expiration is not None and (
        type(expiration) is not int or not 0 <= expiration <= _MAX_SECONDS
    ):
        raise ValueError(
            "expiration must be None or whole epoch seconds from 0 to 2147483647, "
            f"got {expiration!r}"
        )
    return entry_for(key, seed_bytes(value), expiration, metadata_json(metadata))


def plant_seconds(seconds: object) -> float:
    """How long a planted copy lasts: more than 0, finite, at most cacheTtl's maximum."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"seconds must be a number, got {seconds!r}")
    if not 0 < seconds <= _MAX_SECONDS:
        raise ValueError(f"seconds must be more than 0 and at most 2147483647, got {seconds!r}")
    return float(seconds)


def peek(store: Store, key: object, now: float) -> KVEntry | None:
    encoded = god_key(key)
    with store.lock:
        entry = store.peek(encoded, now)
    if entry is None:
        return None
    metadata = None if entry.metadata is None else json_parse(entry.metadata)
    return KVEntry(name_of(encoded), entry.value, entry.expiration, metadata)


def keys(store: Store, prefix: object, now: float) -> list[str]:
    if prefix is not None and not isinstance(prefix, str):
        raise TypeError(
            f"prefix must be a str or None, got {type(prefix).__name__} {shown(prefix)}"
        )
    with store.lock:
        return [name_of(key) for key, _ in store.live(encode_text(prefix or ""), now)]
