"""What a step of the race explorer touches, and when the order of two steps cannot
matter: the rule of its partial-order reduction.

Two steps (each: one invocation's KV call completing, with any call the invocation
then makes without suspending, such as ``ns.sync``) are **independent**, so that only
one of their two orders is explored, when neither is a clock move and

- they touch no key in common (``get``, ``getWithMetadata``, ``put`` and ``delete``
  touch their key, a bulk ``get`` each of its keys, ``list()`` every key under its
  prefix, and every key when its prefix is not text), or
- both only read, and, in an eventual namespace, at different locations (a read fills
  its location's cache, so the second read there may be a ``HIT`` and keep the first
  read's ``cacheTtl``),

unless the namespace has injected failures (``fail``, ``fail_next``: their countdowns
make every call depend on every other), or, in an eventual namespace whose
propagation delays depend on a write's number among all writes (``RandomDelay``, or a
model of the user's own), both write. A key given as anything but text is taken to
touch every key.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from pytest_kv.suspension import Pending


class Footprint(NamedTuple):
    """What a step touches: exact keys, key prefixes (``""`` is every key), or all.
    ``location`` is ``"*"`` for a step that touched several."""

    keys: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    writes: bool = False
    location: str = ""
    everything: bool = False

    def joined(self, other: Footprint) -> Footprint:
        if self.everything or other.everything:
            return EVERYTHING
        return Footprint(
            self.keys | other.keys,
            self.prefixes | other.prefixes,
            self.writes or other.writes,
            self.location if self.location == other.location else "*",
        )


EVERYTHING: Final = Footprint(everything=True)
_READS: Final = frozenset({"get", "getWithMetadata", "list"})
_WRITES: Final = frozenset({"put", "delete"})


def _overlap(a: Footprint, b: Footprint) -> bool:
    if a.keys & b.keys:
        return True
    for prefix in a.prefixes:
        if any(key.startswith(prefix) for key in b.keys):
            return True
        if any(other.startswith(prefix) or prefix.startswith(other) for other in b.prefixes):
            return True
    return any(key.startswith(prefix) for prefix in b.prefixes for key in a.keys)


def dependent(a: Footprint, b: Footprint, eventual: bool, numbered: bool) -> bool:
    """Whether the order of two steps can matter (the module docstring's rule).
    ``numbered``: propagation delays depend on a write's number among all writes."""
    if a.everything or b.everything:
        return True
    if numbered and a.writes and b.writes:
        return True
    if not _overlap(a, b):
        return False
    if a.writes or b.writes:
        return True
    return eventual and (a.location == b.location or "*" in (a.location, b.location))


def footprint_of(method: str, key: object, options: object, location: str) -> Footprint:
    """The footprint of one binding call, from the call as made (not yet checked)."""
    if method == "list":
        prefix = options.get("prefix") if isinstance(options, dict) else None
        if prefix is not None and not isinstance(prefix, str):
            return EVERYTHING
        return Footprint(prefixes=frozenset({prefix or ""}), location=location)
    if method not in _READS and method not in _WRITES:
        return EVERYTHING
    if isinstance(key, str):
        keys = frozenset({key})
    elif isinstance(key, list) and key and all(isinstance(item, str) for item in key):
        keys = frozenset(key)
    else:
        return EVERYTHING
    return Footprint(keys, frozenset(), method in _WRITES, location)


def of_pending(pending: Pending, location: str) -> Footprint:
    """The footprint of a call waiting at its suspension point."""
    options = pending.args[0] if pending.args else (pending.kwargs or None)
    return footprint_of(pending.method, pending.key, options, location)
