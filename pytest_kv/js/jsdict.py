"""JavaScript objects as Python sees them: ``JsDict``, and own-property order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, TypeVar

__all__ = ["JsDict"]

_V = TypeVar("_V")

# Array indices are canonical decimal strings of 0 .. 2**32 - 2.
_MAX_ARRAY_INDEX: Final = 2**32 - 2
_DIGITS: Final = frozenset("0123456789")


class JsDict(dict[str, Any]):
    """A ``dict`` that also allows attribute access, like the runtime's ``JsDict``.

    The Python Workers SDK turns every JavaScript object it returns into one of
    these. Methods of ``dict`` win over keys, exactly as in production, so a list
    result's keys are ``result["keys"]`` (``result.keys`` is the dict method).

    Example::

        meta = await kv.getWithMetadata("k")
        assert meta.value == meta["value"]
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


def is_array_index(key: str) -> bool:
    """Whether V8 treats the property name ``key`` as an array index."""
    if key[:1] not in _DIGITS:
        return False
    if key == "0":
        return True
    return key[0] != "0" and key.isascii() and key.isdigit() and int(key) <= _MAX_ARRAY_INDEX


def js_property_order(pairs: Iterable[tuple[str, _V]]) -> dict[str, _V]:
    """Build a dict whose key order is a JavaScript object's own-property order.

    Later duplicates overwrite the value but keep the first position (what
    ``Object.fromEntries`` and ``JSON.parse`` do); array-index keys then move to the
    front in ascending numeric order, because that is the order in which
    ``Object.entries``, ``JSON.stringify`` and Pyodide's ``to_py`` visit them.
    """
    result = dict(pairs)
    if not any(key[:1] in _DIGITS for key in result):
        return result
    indices = sorted((k for k in result if is_array_index(k)), key=int)
    if not indices:
        return result
    ordered = {k: result[k] for k in indices}
    ordered.update((k, v) for k, v in result.items() if k not in ordered)
    return ordered
