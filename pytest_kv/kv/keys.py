"""Key names as the KV service receives them: the name and its UTF-8 bytes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final, NamedTuple, cast

from pytest_kv.js.text import encode_text


class Key(NamedTuple):
    """A key name and the bytes the service stores it under (built on every call,
    so it must be cheap)."""

    name: str
    encoded: bytes
    # False when the name holds a lone surrogate, which the KV service cannot
    # URL-decode for single-key calls.
    well_formed: bool = True


# ``Key(name, encoded)`` from its three fields, without the Python frame of the named
# tuple's generated ``__new__`` (half the cost): every key of a call is built.
make_key: Final = cast("Callable[[tuple[str, bytes, bool]], Key]", partial(tuple.__new__, Key))


def key_of(name: str) -> Key:
    """The key workerd sends for a JavaScript string: well-formed UTF-8 where it can
    be, with surrogate pairs joined; a lone surrogate makes it ill-formed."""
    try:
        return make_key((name, name.encode("utf-8"), True))
    except UnicodeEncodeError:
        encoded = encode_text(name)
    try:
        return Key(encoded.decode("utf-8"), encoded)  # surrogate pairs, now joined
    except UnicodeDecodeError:
        return Key(encoded.decode("utf-8", "replace"), encoded, well_formed=False)


def name_of(key: bytes) -> str:
    """A stored key's name. Keys the god view seeded may hold lone surrogates."""
    return key.decode("utf-8", "surrogatepass")
