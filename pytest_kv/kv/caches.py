"""Each location's read cache: what it serves for a key (a value, or a miss) until the
read's ``cacheTtl`` runs out, whatever the truth.

Copies are evicted soon after they run out (from buckets by the second they expire
in, so eviction costs what it frees), and the copies that disagree with the truth
are tracked, so that waiting for them costs what is pending, not what is cached.
"""

from __future__ import annotations

import heapq
import math
import sys
from dataclasses import dataclass
from typing import Any, TypeVar

from .store import Entry

K = TypeVar("K")
V = TypeVar("V")


@dataclass(slots=True)
class Cached:
    """A location's copy of a key: an entry, or a miss (``None``)."""

    entry: Entry | None
    until: float


class Caches:
    """The read caches of every location of a namespace."""

    __slots__ = ("_buckets", "_seconds", "by_location", "held", "next_expiry", "stale")

    def __init__(self, locations: tuple[str, ...]) -> None:
        self.by_location: dict[str, dict[bytes, Cached]] = {loc: {} for loc in locations}
        # Copies that may disagree with the truth: (location, key) -> when they end.
        self.stale: dict[tuple[str, bytes], float] = {}
        # How many locations have a copy of each key: a write marks the others' copies
        # stale, and most keys written have none, so most writes need not look.
        self.held: dict[bytes, int] = {}
        # Keys to look at when a second has passed: second -> [location, key, ...],
        # pairs laid flat: a tuple for each would be one more object for each copy,
        # for the garbage collector to go through while the copy lives.
        self._buckets: dict[int, list[Any]] = {}
        self._seconds: list[int] = []  # a heap of the buckets' seconds
        self.next_expiry = math.inf

    def put(self, location: str, key: bytes, cached: Cached) -> None:
        cache = self.by_location[location]
        if key not in cache:
            held = self.held
            held[key] = held.get(key, 0) + 1
        cache[key] = cached
        try:  # cheaper than asking math.isfinite first, and reads' copies all are
            second = math.ceil(cached.until)
        except (OverflowError, ValueError):
            return  # a copy for ever (or of a NaN clock reading) is never evicted
        bucket = self._buckets.get(second)
        if bucket is None:
            bucket = self._buckets[second] = []
            heapq.heappush(self._seconds, second)
            if second < self.next_expiry:
                self.next_expiry = second
        bucket.append(location)
        bucket.append(key)

    def drop(self, location: str, key: bytes) -> None:
        if self.by_location[location].pop(key, None) is not None:
            self._let_go(key)
        self.stale.pop((location, key), None)

    def _let_go(self, key: bytes) -> None:
        """One location fewer has a copy of ``key``."""
        held = self.held
        count = held[key] - 1
        if count:
            held[key] = count
        else:
            del held[key]

    def evict(self, now: float) -> None:
        """Drop every copy that has run out by ``now``."""
        seconds, buckets, held, stale = self._seconds, self._buckets, self.held, self.stale
        touched: set[str] = set()
        while seconds and seconds[0] <= now:
            bucket = iter(buckets.pop(heapq.heappop(seconds)))
            for location, key in zip(bucket, bucket, strict=True):
                cache = self.by_location[location]
                cached = cache.get(key)
                if cached is not None and cached.until <= now:
                    del cache[key]
                    count = held[key] - 1  # ``_let_go``, written out
                    if count:
                        held[key] = count
                    else:
                        del held[key]
                    if stale:
                        stale.pop((location, key), None)
                    touched.add(location)
        for location in touched:
            self.by_location[location] = compacted(self.by_location[location])
        self.stale = compacted(self.stale)
        self.held = compacted(self.held)
        self.next_expiry = seconds[0] if seconds else math.inf


def compacted(table: dict[K, V]) -> dict[K, V]:
    """``table``, or a fresh copy once most of it has been deleted: a Python dict
    never gives back the room of deleted entries. Copying only when the room is
    several times what the entries need keeps the copies' cost amortized O(1) a
    deletion."""
    if sys.getsizeof(table) <= 1024 + 256 * len(table):
        return table
    return dict(table)
