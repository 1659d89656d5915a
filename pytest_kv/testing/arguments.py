"""What the test helpers accept, checked, so a wrong argument is a clear ``TypeError``
or ``ValueError`` and a failed check is always the helper's own ``AssertionError``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.binding.sync import SyncKVNamespace
from pytest_kv.errors import shown
from pytest_kv.kv.limits import MAX_LIST_LIMIT
from pytest_kv.kv.propagation import MAX_SECONDS


def namespace_of(ns: object, helper: str) -> KVNamespace:
    """The namespace a helper works on: a ``KVNamespace``, or its ``ns.sync``."""
    if isinstance(ns, KVNamespace):
        return ns
    if isinstance(ns, SyncKVNamespace):
        return ns._ns
    raise TypeError(f"{helper}: expected a KVNamespace (or its .sync), got {shown(ns)}")


def names_of(names: object, helper: str, what: str) -> list[str]:
    """A list of key (or location) names; a single str is refused, since iterating it
    would give its characters."""
    if isinstance(names, (str, bytes)) or not isinstance(names, Iterable):
        raise TypeError(f"{helper}: {what} must be a list of names, got {shown(names)}")
    listed = list(names)
    odd = [name for name in listed if not isinstance(name, str)]
    if odd:
        raise TypeError(f"{helper}: {what} must be names (str), got {shown(odd[0])}")
    return listed


def prefix_of(prefix: object, helper: str) -> str | None:
    if prefix is not None and not isinstance(prefix, str):
        raise TypeError(f"{helper}: prefix must be a str or None, got {shown(prefix)}")
    return prefix


def limit_of(limit: object, helper: str) -> int:
    """A list() limit as the binding reads it: 0 or less means 1000."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"{helper}: limit must be a whole number, got {shown(limit)}")
    if limit > MAX_LIST_LIMIT:
        raise ValueError(f"{helper}: limit must be at most 1000 (production's), got {limit}")
    return MAX_LIST_LIMIT if limit <= 0 else limit


def seconds_of(seconds: object, helper: str, what: str) -> float:
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not 0 <= seconds <= MAX_SECONDS
    ):
        raise ValueError(
            f"{helper}: {what} must be a number of seconds from 0 to {MAX_SECONDS:,}, "
            f"got {shown(seconds)}"
        )
    return float(seconds)


def whole_or_none(value: object, helper: str, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{helper}: {what} must be whole seconds (an int) or None, got {shown(value)}"
        )
    return value


def key_name(item: Any, helper: str) -> str:
    """A name a listing function returned: a str, or a key dict with ``name``."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return item["name"]  # type: ignore[no-any-return]
    raise TypeError(
        f"{helper}: the listing function must return key names (str) or the key dicts "
        f"of list() (with 'name'), got {shown(item)}"
    )


def seconds_text(seconds: float) -> str:
    """Seconds as a person wrote them: to the millisecond, never in exponent form."""
    text = f"{round(seconds, 3):.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
