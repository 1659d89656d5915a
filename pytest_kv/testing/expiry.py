"""Helpers for the expiry arithmetic users get wrong most: TTLs and expirations.

They read the god view (the truth, no cache, no lag) and work from sync and async
tests alike.
"""

from __future__ import annotations

import math
from typing import Any

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.errors import shown

from .arguments import namespace_of, seconds_text, whole_or_none

__all__ = ["assert_expired", "assert_expires", "assert_live", "expiration_of"]


def _entry_or_fail(ns: object, key: str, helper: str) -> Any:
    __tracebackhide__ = True
    namespace = namespace_of(ns, helper)
    entry = namespace.peek(key)
    if entry is None:
        raise AssertionError(
            f"{helper}: {shown(key)} is not a live key (never written, deleted or already "
            f"expired); live keys: {shown(namespace.keys()[:10], 300)}"
        )
    return entry


def expiration_of(ns: KVNamespace, key: str) -> int | None:
    """The absolute expiration (epoch seconds) of a live key, or ``None`` if it never
    expires. Fails if the key is not live.

    Example: ``assert expiration_of(kv, "session:1") == int(kv_clock.now()) + 3600``.
    """
    __tracebackhide__ = True
    expiration: int | None = _entry_or_fail(ns, key, "expiration_of").expiration
    return expiration


def assert_expires(
    ns: KVNamespace, key: str, *, at: int | None = None, ttl: int | None = None
) -> None:
    """The key is live and expires: at ``at`` (epoch seconds) and/or in ``ttl`` seconds
    from now (rounded up to the whole second, as TTLs count from the current second).

    Example: ``assert_expires(kv, "session:1", ttl=3600)``.
    """
    __tracebackhide__ = True
    at = whole_or_none(at, "assert_expires", "at")
    ttl = whole_or_none(ttl, "assert_expires", "ttl")
    expiration = _entry_or_fail(ns, key, "assert_expires").expiration
    now = namespace_of(ns, "assert_expires")._now()
    if expiration is None:
        raise AssertionError(
            f"assert_expires: {key!r} never expires; was it written without "
            "expiration or expirationTtl?"
        )
    left = math.ceil(expiration - now)
    if at is not None and expiration != at:
        raise AssertionError(
            f"assert_expires: {key!r} expires at {expiration}, not {at} "
            f"({expiration - at:+d} s); check the arithmetic that computes it"
        )
    if ttl is not None and left != ttl:
        raise AssertionError(
            f"assert_expires: {key!r} expires in {left} s (at {expiration}), not in {ttl} s "
            f"({left - ttl:+d} s); check the TTL your code passes"
        )


def assert_live(ns: KVNamespace, key: str) -> None:
    """The key exists now (the truth: no cache, no lag).

    Example: ``assert_live(kv, "session:1")``.
    """
    __tracebackhide__ = True
    _entry_or_fail(ns, key, "assert_live")


def assert_expired(ns: KVNamespace, key: str) -> None:
    """The key is not live now: expired (or never written, or deleted).

    Example: ``kv_clock.advance(3600); assert_expired(kv, "session:1")``.
    """
    __tracebackhide__ = True
    namespace = namespace_of(ns, "assert_expired")
    entry = namespace.peek(key)
    if entry is not None:
        when = (
            "it never expires"
            if entry.expiration is None
            else f"it expires at {entry.expiration}, in "
            f"{seconds_text(entry.expiration - namespace._now())} s"
        )
        raise AssertionError(f"assert_expired: {shown(key)} is still live; {when}")
