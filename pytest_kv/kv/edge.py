"""Edge locations: what each one sees of a namespace, and when.

The model (see the README's "Eventual consistency"), all of it deterministic:

* every write is kept as a version, ordered by write time (last write wins);
* a version is visible at the writing location at once, and at another location
  once the propagation model says so;
* each location caches what it reads, values and misses, for the read's
  ``cacheTtl`` and keeps serving that copy until it runs out, however new the truth;
  a write at a location refreshes that location's copy; an expired key is never
  served from a cache;
* ``list()`` reflects a change ``list_lag`` seconds after it was made, everywhere.

Versions that every location (and ``list()``) has moved past are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from sortedcontainers import SortedDict

from .history import Events
from .keys import name_of
from .propagation import Propagation, per_write
from .store import Entry, Store, keys_from

HIT = "HIT"
MISS = "MISS"
# Where the REST API reads and writes: KV's central storage, which no edge location
# is, so its writes reach every location by propagation.
CENTRAL = "central"


@dataclass(slots=True, eq=False)
class Version:
    """One write (or delete, when ``entry`` is ``None``) of one key."""

    key: bytes
    name: str
    entry: Entry | None
    written_at: float
    origin: str
    seq: int
    # Seeded from the god view: visible everywhere, in list() too, from the start.
    seeded: bool = False
    # Memo of when this version reaches each destination (made on first use).
    visible_at: dict[str, float] | None = None
    # For read-counting models: each location's replica-read count at write time.
    read_base: dict[str, int] | None = None

    @property
    def order(self) -> tuple[float, int]:
        return (self.written_at, self.seq)


@dataclass(slots=True)
class Cached:
    """A location's cached copy of a key: a version, or a miss (``None``)."""

    version: Version | None
    until: float
    planted: bool = False


class Edge:
    """The versions, caches and replica reads behind every location of a namespace.

    Callers hold the namespace's lock around every method.
    """

    def __init__(
        self, locations: Sequence[str], model: Propagation, list_lag: float, store: Store
    ) -> None:
        self.locations = tuple(locations)
        self.model = model
        self.per_write = per_write(model)
        self.list_lag = list_lag
        self.store = store
        self.history: SortedDict = SortedDict()  # key bytes -> list[Version], oldest first
        self.caches: dict[str, dict[bytes, Cached]] = {loc: {} for loc in self.locations}
        self.replica_reads: dict[tuple[bytes, str], int] = {}
        self.events = Events()
        self._seq = 0

    # -- visibility -------------------------------------------------------------------

    def visible(self, version: Version, location: str, now: float) -> bool:
        if version.seeded or version.origin == location:
            return True
        if self.model.reads:
            count = self.replica_reads.get((version.key, location), 0)
            base = 0 if version.read_base is None else version.read_base.get(location, 0)
            return count - base >= self.model.reads
        return now >= self.visible_time(version, location)

    def visible_time(self, version: Version, location: str) -> float:
        if version.seeded or version.origin == location:
            return -math.inf
        memo = version.visible_at
        if memo is None:
            memo = version.visible_at = {}
        at = memo.get(location)
        if at is None:
            delay = self.model.delay(version.name, version.origin, location, version.seq)
            at = memo[location] = version.written_at + delay
        return at

    def replica(self, key: bytes, location: str, now: float) -> Version | None:
        """The newest version that has reached ``location``'s replica."""
        versions: list[Version] = self.history.get(key, [])
        for version in reversed(versions):
            if self.visible(version, location, now):
                return version
        return None

    def newest(self, key: bytes) -> Version | None:
        versions: list[Version] | None = self.history.get(key)
        return versions[-1] if versions else None

    # -- reads and writes ------------------------------------------------------------

    def read_at(
        self, location: str, key: bytes, now: float, cache_ttl: int
    ) -> tuple[Entry | None, str]:
        cache = self.caches[location]
        cached = cache.get(key)
        if cached is not None and now < cached.until:
            version, status = cached.version, HIT
        else:
            version, status = self.replica(key, location, now), MISS
            if self.model.reads:
                count = self.replica_reads.get((key, location), 0)
                self.replica_reads[(key, location)] = count + 1
            if cache_ttl > 0:
                cache[key] = Cached(version, now + cache_ttl)
            elif cached is not None:
                del cache[key]
        entry = None if version is None else version.entry
        if entry is not None and entry.expiration is not None and now >= entry.expiration:
            entry = None  # expiry beats caching
        self.events.append(
            (key, now, location, "read", None if entry is None else entry.value, status)
        )
        return entry, status

    def probe(self, key: bytes, location: str, now: float) -> Entry | None:
        """What a read at ``location`` would return now, without caching or counting it."""
        cached = self.caches[location].get(key)
        if cached is not None and now < cached.until:
            return _live(cached.version, now)
        return _live(self.replica(key, location, now), now)

    def write(
        self, key: bytes, name: str, entry: Entry | None, location: str, now: float, cache_ttl: int
    ) -> None:
        """A put (or a delete, with ``entry=None``) made at ``location``."""
        self._seq += 1
        version = Version(key, name, entry, now, location, self._seq)
        if self.model.reads:
            version.read_base = {
                loc: self.replica_reads.get((key, loc), 0) for loc in self.locations
            }
        versions = self.history.setdefault(key, [])
        index = len(versions)
        while index and versions[index - 1].order > version.order:
            index -= 1  # the clock went back: last write wins by write time
        versions.insert(index, version)
        # A write that no location could ever see, because the next one reaches every
        # location no later, need not be kept: many writes to a key within one
        # instant (a loop under a frozen clock) keep one version, not thousands.
        while index and self._hidden_by(versions[index - 1], version):
            del versions[index - 1]
            index -= 1
        cache = self.caches.get(location)  # central storage has no read cache
        if cache is None:
            pass
        elif cache_ttl > 0:
            cache[key] = Cached(version, now + cache_ttl)
        else:
            cache.pop(key, None)
        self.events.append(
            (key, now, location, "delete" if entry is None else "put", _value(entry), None)
        )
        self._sync_truth(key)
        self.prune(key, now)

    def seed(self, key: bytes, entry: Entry, now: float) -> None:
        """A god-view write: visible everywhere, list() included, at once."""
        self._seq += 1
        name = name_of(key)
        self.history[key] = [Version(key, name, entry, -math.inf, "", self._seq, seeded=True)]
        for cache in self.caches.values():
            cache.pop(key, None)
        self.events.append((key, now, "*", "seed", entry.value, None))

    def plant(
        self, key: bytes, name: str, entry: Entry | None, location: str, now: float, seconds: float
    ) -> None:
        """Make ``location`` serve ``entry`` (or a miss) for ``key`` for ``seconds``."""
        self._seq += 1
        version = None if entry is None else Version(key, name, entry, now, "", self._seq)
        self.caches[location][key] = Cached(version, now + seconds, planted=True)
        self.events.append((key, now, location, "plant", _value(entry), None))

    def _sync_truth(self, key: bytes) -> None:
        newest = self.history[key][-1]
        if newest.entry is None:
            self.store.delete(key)
        else:
            self.store.put(key, newest.entry)

    # -- list() --------------------------------------------------------------------------

    def listed_version(self, versions: list[Version], now: float) -> Version | None:
        """The version ``list()`` reflects for a key: its newest at least list_lag old."""
        lag = self.list_lag
        for version in reversed(versions):
            # The same sum as settled() and settle_time(), so that floating point can
            # never make them disagree about the moment list() catches up.
            if version.seeded or version.written_at + lag <= now:
                return version
        return None

    def listed(self, versions: list[Version], now: float) -> Entry | None:
        """The entry ``list()`` shows for a key, if any."""
        return _live(self.listed_version(versions, now), now)

    def page(
        self, prefix: bytes, after: bytes | None, limit: int, now: float
    ) -> tuple[list[tuple[bytes, Entry]], bool]:
        history = self.history
        keys = keys_from(history, prefix, after)
        found: list[tuple[bytes, Entry]] = []
        settled: list[bytes] = []
        more = False
        for key in keys:
            if not key.startswith(prefix):
                break
            versions = history[key]
            entry = self.listed(versions, now)
            if entry is None:
                if self._gone(versions[-1], now):
                    settled.append(key)
                continue
            if len(found) == limit:
                more = True
                break
            found.append((key, entry))
        for key in settled:
            del history[key]
        return found, more

    # -- settling -------------------------------------------------------------------------

    def settled(self, version: Version, now: float) -> bool:
        """Whether every location, and list(), has reached ``version``."""
        if version.seeded:
            return True
        if now < version.written_at + self.list_lag:
            return False
        return all(self.visible(version, loc, now) for loc in self.locations)

    def _gone(self, version: Version, now: float) -> bool:
        # A deleted or expired key everyone has caught up with needs no history.
        return _live(version, now) is None and self.settled(version, now)

    def _hidden_by(self, older: Version, newer: Version) -> bool:
        if older.seeded or older.written_at != newer.written_at:
            return False
        if self.model.reads:
            # Each is visible at once where it was written: from the same place, with
            # no replica read between them, the newer reaches everywhere no later.
            return older.origin == newer.origin and older.read_base == newer.read_base
        if older.origin == newer.origin and not self.per_write:
            return True  # same instant, same place, same delays
        return all(
            self.visible_time(newer, location) <= self.visible_time(older, location)
            for location in self.locations
        )

    def prune(self, key: bytes, now: float) -> None:
        """Drop the versions older than the newest that everyone has reached.

        Versions settle roughly in write order, so the scan stops at the first one
        still on its way: cheap for every write, at worst keeping a few extra.
        """
        versions = self.history.get(key)
        if not versions:
            return
        newest_settled = -1
        for index, version in enumerate(versions):
            if not self.settled(version, now):
                break
            newest_settled = index
        if newest_settled > 0:
            del versions[:newest_settled]
        if len(versions) == 1 and self._gone(versions[0], now):
            del self.history[key]

    def keys_in_play(self) -> Iterator[bytes]:
        """Every key any location may still see differently from the truth."""
        seen: set[bytes] = set(self.history.keys())
        for cache in self.caches.values():
            seen.update(cache)
        return iter(sorted(seen))

    def settle_time(self, now: float) -> float:
        """The first moment every location and list() agree with the truth."""
        if self.model.reads:
            for versions in self.history.values():
                newest = versions[-1]
                if not all(self.visible(newest, loc, now) for loc in self.locations):
                    raise RuntimeError(
                        f"settle(): key {newest.name!r} waits for replica reads "
                        "(AfterReads propagation), which no amount of time delivers; "
                        "read it at each location instead"
                    )
        target = now
        for key, versions in self.history.items():
            newest = versions[-1]
            if newest.seeded:
                continue
            truth = _live(newest, now)
            # A view that already shows the truth, with nothing else on the way to it,
            # has nothing to wait for: a delete of a key nobody had changes nothing.
            if not _settled_view(versions, self.listed_version(versions, now), truth, now):
                target = max(target, newest.written_at + self.list_lag)
            for location in self.locations:
                if not _settled_view(versions, self.replica(key, location, now), truth, now):
                    target = max(target, self.visible_time(newest, location))
        for cache in self.caches.values():
            for key, cached in cache.items():
                if cached.until > now and _entry_of(cached.version) is not _entry_of(
                    self.newest(key)
                ):
                    target = max(target, cached.until)
        return target

    def next_change(self, key: bytes, locations: Sequence[str], now: float) -> float | None:
        """The first moment after ``now`` when a read of ``key`` at one of ``locations``
        may return something else, or ``None`` if nothing will change with time."""
        times: list[float] = []
        for location in locations:
            cached = self.caches[location].get(key)
            if cached is not None and cached.until > now:
                times.append(cached.until)
            if not self.model.reads:
                times.extend(
                    at
                    for version in self.history.get(key, ())
                    if (at := self.visible_time(version, location)) > now
                )
            for version in (cached.version if cached else None, self.replica(key, location, now)):
                expiration = (
                    None if version is None or version.entry is None else (version.entry.expiration)
                )
                if expiration is not None and expiration > now:
                    times.append(float(expiration))
        return min(times, default=None)


def _settled_view(
    versions: list[Version], seen: Version | None, truth: Entry | None, now: float
) -> bool:
    """Whether a view that shows ``seen`` already agrees with the truth for good: it
    shows the newest version, or shows the same and no other version is on its way."""
    if seen is versions[-1]:
        return True
    first_pending = 0 if seen is None else versions.index(seen) + 1
    return first_pending == len(versions) - 1 and _live(seen, now) is truth


def _entry_of(version: Version | None) -> Entry | None:
    return None if version is None else version.entry


def _live(version: Version | None, now: float) -> Entry | None:
    if version is None or version.entry is None or version.entry.expired(now):
        return None
    return version.entry


def _value(entry: Entry | None) -> bytes | None:
    return None if entry is None else entry.value


class LocationView:
    """The namespace as one location reads and writes it: the binding's backend."""

    __slots__ = ("edge", "location", "lock", "read")

    pure_reads = False  # a read fills the location's cache

    def __init__(self, edge: Edge, location: str) -> None:
        self.edge = edge
        self.location = location
        self.lock = edge.store.lock
        # Reads are the hot path: bind the location once instead of on every call.
        self.read: Callable[[bytes, float, int], tuple[Entry | None, str | None]] = partial(
            edge.read_at, location
        )

    def probe(self, key: bytes, now: float, cache_ttl: int) -> tuple[Entry | None, str | None]:
        return self.edge.probe(key, self.location, now), None

    def write(self, key: bytes, name: str, entry: Entry | None, now: float, cache_ttl: int) -> None:
        self.edge.write(key, name, entry, self.location, now, cache_ttl)

    def page(
        self, prefix: bytes, after: bytes | None, limit: int, now: float
    ) -> tuple[list[tuple[bytes, Entry]], bool]:
        return self.edge.page(prefix, after, limit, now)


class CentralView:
    """The namespace as central storage serves it (the REST API's backend): reads see
    the truth at once, with no cache and no list lag; writes reach every edge
    location by propagation, as writes made at another location do."""

    __slots__ = ("edge", "lock", "probe", "read")

    pure_reads = True

    def __init__(self, edge: Edge) -> None:
        self.edge = edge
        self.lock = edge.store.lock
        self.read = edge.store.read
        self.probe = edge.store.probe

    def write(self, key: bytes, name: str, entry: Entry | None, now: float, cache_ttl: int) -> None:
        self.edge.write(key, name, entry, CENTRAL, now, 0)

    def page(
        self, prefix: bytes, after: bytes | None, limit: int, now: float
    ) -> tuple[list[tuple[bytes, Entry]], bool]:
        return self.edge.store.page(prefix, after, limit, now)
