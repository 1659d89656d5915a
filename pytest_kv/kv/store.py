"""The truth: every live entry of a namespace, sorted by the UTF-8 bytes of its key.

Expiry is lazy and has one rule everywhere: an entry is expired when
``now >= expiration``. Expired entries are dropped when a read meets them, so
moving the clock never costs more than reading the clock.
"""

from __future__ import annotations

import heapq
import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from sortedcontainers import SortedDict, SortedList


@dataclass(slots=True)
class Entry:
    """What production keeps for one key (the key itself is the store's dict key)."""

    value: bytes
    expiration: int | None = None
    # Metadata is kept as the JSON text production stores, so every read returns a
    # fresh object and callers cannot change the store by mutating a result.
    metadata: str | None = None

    def expired(self, now: float) -> bool:
        return self.expiration is not None and now >= self.expiration


_set_existing: Final = dict.__setitem__

# What every store holds until its first put; never written to.
_NO_ENTRIES: SortedDict = SortedDict()


class Store:
    """A namespace's entries, keyed by UTF-8 bytes so ``list`` order is production's."""

    __slots__ = ("_entries", "_expiring", "_seconds", "dropped", "lock", "next_expiry")

    # Reads here leave nothing behind but the lazy removal of expired entries.
    pure_reads = True

    def __init__(self) -> None:
        # Each binding call holds the lock for its whole store access, so a
        # namespace can be shared by the threads of a sync app under test.
        self.lock = threading.Lock()
        # A SortedDict costs more to make than the rest of a namespace, and most tests
        # write to few of theirs: every store reads the one empty dict until its first
        # put makes its own (only ``put`` adds entries).
        self._entries: SortedDict = _NO_ENTRIES
        # Keys by the second they expire in, so that expired keys nobody reads again
        # are dropped as time passes them, at the cost of what is dropped: moving
        # the clock still costs nothing.
        self._expiring: dict[int, list[bytes]] = {}
        self._seconds: list[int] = []  # a heap of the seconds in _expiring
        self.next_expiry: float = math.inf
        # The keys dropped as expired, for an edge that must know (eventual mode sets
        # a list here and empties it); None keeps no record.
        self.dropped: list[bytes] | None = None

    def expire(self, now: float) -> None:
        """Drop the entries that have expired by ``now`` (call when ``now`` has
        reached ``next_expiry``)."""
        entries, expiring, seconds = self._entries, self._expiring, self._seconds
        dropped = self.dropped
        while seconds and seconds[0] <= now:
            second = heapq.heappop(seconds)
            for key in expiring.pop(second):
                entry = entries.get(key)
                if entry is not None and entry.expiration == second:
                    del entries[key]
                    if dropped is not None:
                        dropped.append(key)
        self.next_expiry = seconds[0] if seconds else math.inf

    def peek(self, key: bytes, now: float) -> Entry | None:
        """The live entry, without dropping an expired one (as ``read`` does)."""
        entry: Entry | None = self._entries.get(key)
        if entry is None or entry.expired(now):
            return None
        return entry

    def put(self, key: bytes, entry: Entry) -> None:
        entries = self._entries
        if entries is _NO_ENTRIES:
            entries = self._entries = SortedDict()
        second = entry.expiration
        before = entries.get(key)
        if before is None:
            entries[key] = entry
        else:
            # A key already in the sorted order: SortedDict's own __setitem__ would
            # only look that up again, at the cost of a Python call.
            _set_existing(entries, key, entry)
        if second is None:
            return
        # A key rewritten with the same expiration is in its bucket already: a loop
        # that refreshes a session under a frozen clock must not grow the bucket.
        if before is None or before.expiration != second:
            bucket = self._expiring.get(second)
            if bucket is None:
                bucket = self._expiring[second] = []
                heapq.heappush(self._seconds, second)
                if second < self.next_expiry:
                    self.next_expiry = second
            bucket.append(key)

    def delete(self, key: bytes) -> None:
        self._entries.pop(key, None)

    # The binding's backend interface, for strong consistency: one location, no cache.

    def read(self, key: bytes, now: float, cache_ttl: int) -> tuple[Entry | None, str | None]:
        if now >= self.next_expiry:
            self.expire(now)
        entry: Entry | None = self._entries.get(key)
        if entry is not None and entry.expiration is not None and now >= entry.expiration:
            del self._entries[key]
            if self.dropped is not None:
                self.dropped.append(key)
            return None, None
        return entry, None

    def probe(self, key: bytes, now: float, cache_ttl: int) -> tuple[Entry | None, str | None]:
        return self.peek(key, now), None

    def entry(self, key: bytes) -> Entry | None:
        """The stored entry, expired or not."""
        entry: Entry | None = self._entries.get(key)
        return entry

    def keys_from(self, prefix: bytes, after: bytes | None) -> Iterator[bytes]:
        return keys_from(self._entries, prefix, after)

    def prepare(self, name: str, now: float) -> None:
        """Nothing to work out before a write: one location, no propagation."""
        return

    def write(
        self,
        key: bytes,
        name: str,
        entry: Entry | None,
        now: float,
        cache_ttl: int,
        prepared: object = None,
    ) -> None:
        if now >= self.next_expiry:
            self.expire(now)
        if entry is None:
            self.delete(key)
        else:
            self.put(key, entry)

    def page(
        self, prefix: bytes, after: bytes | None, limit: int, now: float
    ) -> tuple[list[tuple[bytes, Entry]], bool]:
        """Up to ``limit`` live ``(key, entry)`` pairs under ``prefix`` after ``after``.

        Returns them and whether more live entries follow. Costs O(log n + page),
        plus the expired entries that time has passed, which are dropped.
        """
        if now >= self.next_expiry:
            self.expire(now)
        # Every entry left is live: one that expired by now had its second in
        # ``_expiring``, and ``expire`` has dropped it.
        entries = self._entries
        keys = keys_under(entries._list, prefix, after, limit + 1)
        more = len(keys) > limit
        if more:
            keys.pop()
        return [(key, entries[key]) for key in keys], more

    def live(self, prefix: bytes, now: float) -> Iterator[tuple[bytes, Entry]]:
        """Every live ``(key, entry)`` under ``prefix``, in order, without side effects."""
        entries = self._entries
        for key in entries.irange(minimum=prefix):
            if not key.startswith(prefix):
                return
            entry: Entry = entries[key]
            if not entry.expired(now):
                yield key, entry


def keys_from(keys: SortedDict | SortedList, prefix: bytes, after: bytes | None) -> Iterator[bytes]:
    """The sorted keys where a list() page starts: at ``prefix``, or just after the
    cursor's key when that comes later. The caller stops at the end of the prefix."""
    if after is not None and after >= prefix:
        return iter(keys.irange(minimum=after, inclusive=(False, True)))
    return iter(keys.irange(minimum=prefix))


def keys_under(keys: SortedList, prefix: bytes, after: bytes | None, count: int) -> list[bytes]:
    """Up to ``count`` of the sorted ``keys`` under ``prefix``, from where a list() page
    starts (as ``keys_from``).

    A page takes whole slices of the sorted list's inner lists, found by bisection:
    ``irange``'s iterator chain costs more to set up than a short page costs to
    walk. The inner lists (``_lists``, and ``_maxes``, the last key of each) are
    sortedcontainers' private layout, described in its implementation notes; the
    tests that cross inner lists would catch a release that changed it.
    """
    if after is not None and after >= prefix:
        start, find = after, bisect_right
    else:
        start, find = prefix, bisect_left
    lists, maxes = keys._lists, keys._maxes
    found: list[bytes] = []
    place = find(maxes, start)
    if place == len(maxes) or count <= 0:
        return found
    at = find(lists[place], start)
    while True:
        chunk = lists[place][at : at + count - len(found)]
        if not chunk[-1].startswith(prefix):
            # The keys under a prefix are contiguous: the rest of them are the ones
            # below the first key above the prefix.
            found += chunk[: bisect_left(chunk, _above(prefix))]
            return found
        found += chunk
        place += 1
        if len(found) == count or place == len(lists):
            return found
        at = 0


def _above(prefix: bytes) -> bytes:
    """The least key above every key that starts with ``prefix`` (a key that does not
    start with it exists, so ``prefix`` is not empty or all 0xff bytes)."""
    stem = prefix.rstrip(b"\xff")
    return stem[:-1] + bytes((stem[-1] + 1,))
