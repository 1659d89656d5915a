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
from typing import TypeVar

from .store import Entry

K = TypeVar("K")
V = TypeVar("V")


@dataclass(slots=True)
class Cached:
    """A location's copy of a key: an entry, or a miss (``None``)."""

    entry: Entry | None
    until: float
    planted: bool = False


class Caches:
    """The read caches of every location of a namespace."""

    __slots__ = ("_buckets", "_seconds", "by_location", "next_expiry", "stale")

    def __init__(self, locations: tuple[str, ...]) -> None:
        self.by_location: dict[str, dict[bytes, Cached]] = {loc: {} for loc in locations}
        # Copies that may disagree with the truth: (location, key) -> when they end.
        self.stale: dict[tuple[str, bytes], float] = {}
        # Keys to look at when a second has passed: second -> [(location, key)].
        self._buckets: dict[int, list[tuple[str, bytes]]] = {}
        self._seconds: list[int] = []  # a heap of the buckets' seconds
        self.next_expiry = math.inf

    def put(self, location: str, key: bytes, cached: Cached) -> None:
        self.by_location[location][key] = cached
        second = math.ceil(cached.until) if math.isfinite(cached.until) else None
        if second is None:
            return
        bucket = self._buckets.get(second)
        if bucket is None:
            bucket = self._buckets[second] = []
            heapq.heappush(self._seconds, second)
            if second < self.next_expiry:
                self.next_expiry = second
        bucket.append((location, key))

    def drop(self, location: str, key: bytes) -> None:
        self.by_location[location].pop(key, None)
        self.stale.pop((location, key), None)

    def evict(self, now: float) -> None:
        """Drop every copy that has run out by ``now``."""
        seconds, buckets = self._seconds, self._buckets
        touched: set[str] = set()
        while seconds and seconds[0] <= now:
            for location, key in buckets.pop(heapq.heappop(seconds)):
                cache = self.by_location[location]
                cached = cache.get(key)
                if cached is not None and cached.until <= now:
                    del cache[key]
                    self.stale.pop((location, key), None)
                    touched.add(location)
        for location in touched:
            self.by_location[location] = compacted(self.by_location[location])
        self.stale = compacted(self.stale)
        self.next_expiry = seconds[0] if seconds else math.inf


def compacted(table: dict[K, V]) -> dict[K, V]:
    """``table``, or a fresh copy once most of it has been deleted: a Python dict
    never gives back the room of deleted entries. Copying only when the room is
    several times what the entries need keeps the copies' cost amortized O(1) a
    deletion."""
    if sys.getsizeof(table) <= 1024 + 256 * len(table):
        return table
    return dict(table)
