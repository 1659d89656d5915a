"""Key names as the KV service receives them: the name and its UTF-8 bytes."""

from __future__ import annotations

from typing import NamedTuple

from pytest_kv.js.text import encode_text


class Key(NamedTuple):
    """A key name and the bytes the service stores it under (built on every call,
    so it must be cheap)."""

    name: str
    encoded: bytes
    # False when the name holds a lone surrogate, which the KV service cannot
    # URL-decode for single-key calls.
    well_formed: bool = True


def key_of(name: str) -> Key:
    """The key workerd sends for a JavaScript string: well-formed UTF-8 where it can
    be, with surrogate pairs joined; a lone surrogate makes it ill-formed."""
    try:
        return Key(name, name.encode("utf-8"))
    except UnicodeEncodeError:
        encoded = encode_text(name)
    try:
        return Key(encoded.decode("utf-8"), encoded)  # surrogate pairs, now joined
    except UnicodeDecodeError:
        return Key(encoded.decode("utf-8", "replace"), encoded, well_formed=False)


def name_of(key: bytes) -> str:
    """A stored key's name. Keys the god view seeded may hold lone surrogates."""
    return key.decode("utf-8", "surrogatepass")
