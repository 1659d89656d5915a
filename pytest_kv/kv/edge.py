"""Edge locations: what each one sees of a namespace, and when.

The model (see the README's "Eventual consistency"), all of it deterministic:

* every write is kept as a version, ordered by write time (last write wins);
* a version is visible at the writing location at once, and at another location
  once the propagation model says so; a replica never goes back to an older write;
* each location caches what it reads, values and misses, for the read's
  ``cacheTtl`` and keeps serving that copy until it runs out, however new the truth;
  a write at a location refreshes that location's copy; an expired key is never
  served from a cache;
* ``list()`` reflects a change ``list_lag`` seconds after it was made, everywhere.

Only keys with a change still on its way have state here (``versions.KeyState``);
every other key reads as the truth. States are dropped once every location and
``list()`` have caught up, so memory and ``settle()`` follow what is pending.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Protocol

from sortedcontainers import SortedList

from .absent import AbsentKeys
from .caches import Cached, Caches, compacted
from .history import Events
from .propagation import Fixed, PerLocation, Propagation, check_seconds, per_write, trusted
from .store import Entry, Store, keys_from, keys_under
from .versions import KeyState, Version, live

HIT = "HIT"
MISS = "MISS"
# Where the REST API reads and writes: KV's central storage, which no edge location
# is, so its writes reach every location by propagation.
CENTRAL = "central"


class Edge:
    """The in-flight keys, caches and replica reads behind every location of a
    namespace. Callers hold the namespace's lock around every method."""

    def __init__(
        self,
        locations: Sequence[str],
        model: Propagation,
        list_lag: float,
        store: Store,
        events: Events | None = None,
    ) -> None:
        self.locations = tuple(locations)
        self.model = model
        self.reads = model.reads  # > 0 for models that count replica reads
        self.per_write = per_write(model)
        # Models of the user's own run their code before the lock is taken.
        self.eager = not trusted(model)
        self.list_lag = list_lag
        self.store = store
        self.states: dict[bytes, KeyState] = {}  # key -> KeyState, for keys in flight
        # A page finds most in-flight keys in the truth; these are the ones it may not.
        self.absent = AbsentKeys()
        # The truth tells what it drops as expired (see ``_absorb_drops``).
        store.dropped = []
        self.caches = Caches(self.locations)
        self.events = Events() if events is None else events
        # States in the order they were written, to drop each once it has settled.
        self.queue: deque[KeyState] = deque()
        self._seq = itertools.count(1)  # writes in the order they are made
        self._numbers = itertools.count(1)  # write numbers that user models are given
        self.arrival: Callable[[Version, str], float] = _fast_arrival(model) or self._arrival
        self._fixed: float | None = model.seconds if type(model) is Fixed else None
        # What ``_settles_at`` adds to a write's time under a fixed delay, where that
        # is the same for every write: the list lag, or the delay to the other
        # locations when there are any. (Floating-point addition keeps order, so the
        # later of the two sums is the sum with the longer of the two.)
        self._settle_delay: float | None = (
            max(list_lag, self._fixed)
            if self._fixed is not None and len(self.locations) > 1
            else None
        )

    # -- propagation ------------------------------------------------------------------

    def _arrival(self, version: Version, location: str) -> float:
        """When ``version`` reaches ``location`` (never, for read-counting models)."""
        if version.seeded or version.origin == location:
            return -math.inf
        memo = version.arrivals
        if memo is None:
            memo = version.arrivals = {}
        at = memo.get(location)
        if at is None:
            delay = self.model.delay(version.name, version.origin, location, version.seq)
            at = memo[location] = version.written_at + delay
        return at

    def prepare(self, origin: str, name: str, now: float) -> tuple[int, dict[str, float] | None]:
        """A write's number and, for the user's own models, when it reaches each
        location, worked out before the caller takes the lock: user code never runs
        under it, and a model that fails fails before anything is written."""
        if not self.eager:
            return 0, None
        number = next(self._numbers)
        arrivals = {}
        for location in self.locations:
            if location != origin:
                delay = self.model.delay(name, origin, location, number)
                check_seconds(
                    delay,
                    f"propagation model {self.model!r}: delay for {name!r} {origin}->{location}",
                )
                arrivals[location] = now + float(delay)
        return number, arrivals

    def _settles_at(self, version: Version) -> float:
        """When every location, and list(), has ``version`` (time models)."""
        if self._settle_delay is not None:
            return version.written_at + self._settle_delay
        at = version.written_at + self.list_lag
        if self._fixed is not None:
            # One location (the line above took every case with more): the delay
            # counts only for a write made elsewhere, as in ``arrival``'s sums.
            if version.origin != self.locations[0]:
                at = max(at, version.written_at + self._fixed)
            return at
        for location in self.locations:
            at = max(at, self.arrival(version, location))
        return at

    def _visible_by_reads(self, state: KeyState, version: Version, location: str) -> bool:
        if version.seeded or version.origin == location or version is state.versions[state.lo]:
            return True
        count = 0 if state.reads is None else state.reads.get(location, 0)
        base = 0 if version.read_base is None else version.read_base.get(location, 0)
        return count - base >= self.reads

    def _passed(self, state: KeyState, version: Version, now: float) -> bool:
        """Whether every location and list() have ``version`` by ``now``."""
        if not self.reads:
            return self._settles_at(version) <= now
        return version.written_at + self.list_lag <= now and all(
            self._visible_by_reads(state, version, loc) for loc in self.locations
        )

    def shown(
        self, state: KeyState, location: str, now: float, *, reading: bool = False
    ) -> Version:
        """What ``location``'s replica has of an in-flight key (``reading``: for a
        real read, which may keep a view for next time)."""
        if not self.reads:
            if reading:
                return state.shown_at(location, now, self.arrival)
            return state.peek_shown(location, now, self.arrival)
        for version in reversed(state.live_versions):
            if self._visible_by_reads(state, version, location):
                return version
        return state.versions[state.lo]  # pragma: no cover - the base is always visible

    # -- keeping up with time -----------------------------------------------------------

    def tick(self, now: float) -> None:
        """Drop what time has passed: expired copies and keys, settled states."""
        if now >= self.caches.next_expiry:
            self.caches.evict(now)
        if now >= self.store.next_expiry:
            self.store.expire(now)
        if self.store.dropped:
            self._absorb_drops()
        queue = self.queue
        states = self.states
        while queue:
            state = queue[0]
            if state.queued > 1:  # a later entry stands for it
                queue.popleft()
                state.queued -= 1
                continue
            if state.due > now:
                break
            queue.popleft()
            state.queued = 0
            key = state.key
            if states.get(key) is state:
                if len(state.versions) - state.lo == 2:
                    # Its last entry's ``due`` is when its newest version reaches
                    # everyone, and that has come: with no other version to wait
                    # for, the state has settled (what ``_prune`` would find).
                    # ``_forget``, written out: most writes end here.
                    del states[key]
                    if state.absent:
                        self.absent.discard(key)
                else:
                    self._prune(state, now)
        # Neither dicts nor sets give back the room of deleted entries: once most
        # in-flight keys have settled, fresh copies keep memory to what is pending.
        self.states = compacted(self.states)
        self.absent.compact()

    def _due(self, now: float) -> bool:
        queue = self.queue
        return (
            now >= self.caches.next_expiry
            or now >= self.store.next_expiry
            or (bool(queue) and queue[0].due <= now)
        )

    def _prune(self, state: KeyState, now: float) -> None:
        """Forget versions that every location has passed; drop a settled state."""
        versions = state.versions
        index = state.lo
        while index + 1 < len(versions) and self._passed(state, versions[index + 1], now):
            index += 1
        if index == len(versions) - 1:
            self._forget(state.key)  # every location agrees with the truth
        elif index > state.lo:
            state.drop_before(index)

    # -- the in-flight keys ---------------------------------------------------------------

    def _absorb_drops(self) -> None:
        """Index the in-flight keys the truth has dropped as expired. While the clock
        only moves on, list() shows nothing for them (see ``absent``); once it moves
        back, list() may show an older write, or the same one live again, and the
        truth no longer has the key for a page to find."""
        dropped = self.store.dropped
        assert dropped is not None
        states = self.states
        for key in dropped:
            state = states.get(key)
            if state is not None and not state.absent:
                self._mark_absent(state)
        dropped.clear()

    def _mark_absent(self, state: KeyState) -> None:
        """Put an in-flight key in the index of keys the truth may lack (it is not
        there): its state's flag and the index agree, so settling takes it out."""
        state.absent = True
        self.absent.add(state.key)

    def _forget(self, key: bytes) -> None:
        """Take ``key`` out of flight (it is in)."""
        if self.states.pop(key).absent:
            self.absent.discard(key)

    # -- reads and writes --------------------------------------------------------------

    def read_at(
        self, location: str, key: bytes, now: float, cache_ttl: int
    ) -> tuple[Entry | None, str]:
        caches = self.caches
        queue = self.queue
        # ``_due``, written out, as in ``write``: every eventual read passes here.
        if (
            now >= caches.next_expiry
            or now >= self.store.next_expiry
            or (queue and queue[0].due <= now)
        ):
            self.tick(now)
        cached = caches.by_location[location].get(key)
        if cached is not None and now < cached.until:
            entry, status = cached.entry, HIT
        else:
            status = MISS
            state: KeyState | None = self.states.get(key)
            if state is None:
                entry = self.store.entry(key)
                stale = False
            else:
                entry = self.shown(state, location, now, reading=True).entry
                stale = entry is not state.newest.entry
                if self.reads:
                    reads = state.reads if state.reads is not None else {}
                    state.reads = reads
                    reads[location] = reads.get(location, 0) + 1
                    self._prune(state, now)
            if cache_ttl > 0:
                until = now + cache_ttl
                caches.put(location, key, Cached(entry, until))
                if stale:
                    caches.stale[(location, key)] = until
                else:
                    caches.stale.pop((location, key), None)
            elif cached is not None:
                caches.drop(location, key)
        if entry is not None and entry.expiration is not None and now >= entry.expiration:
            entry = None  # expiry beats caching
        self.events.add(key, now, location, "read", None if entry is None else entry.value, status)
        return entry, status

    def probe(self, key: bytes, location: str, now: float) -> Entry | None:
        """What a read at ``location`` would return now, without caching or counting it."""
        cached = self.caches.by_location[location].get(key)
        if cached is not None and now < cached.until:
            return None if cached.entry is None or cached.entry.expired(now) else cached.entry
        state: KeyState | None = self.states.get(key)
        if state is None:
            return self.store.peek(key, now)
        return live(self.shown(state, location, now), now)

    def write(
        self,
        location: str,
        key: bytes,
        name: str,
        entry: Entry | None,
        now: float,
        cache_ttl: int,
        prepared: tuple[int, dict[str, float] | None] | None = None,
    ) -> None:
        """A put (or a delete, with ``entry=None``) made at ``location``."""
        queue = self.queue
        caches = self.caches
        # ``_due``, written out: this is the hot path of every eventual write.
        if (
            now >= caches.next_expiry
            or now >= self.store.next_expiry
            or (queue and queue[0].due <= now)
        ):
            self.tick(now)
        arrivals = None if prepared is None else prepared[1]
        if arrivals is None and self.eager:
            arrivals = self.prepare(location, name, now)[1]
        version = Version(name, entry, now, location, next(self._seq), False, arrivals)
        states = self.states
        state: KeyState | None = states.get(key)
        if state is None:
            state = states[key] = KeyState(key, name, self.store.entry(key))
            state.versions.append(version)  # ``insert``'s work: nothing precedes -inf
            index = 1
        else:
            index = state.insert(version)
        if self.reads:
            version.read_base = dict(state.reads) if state.reads else {}
        versions = state.versions
        # A write that no location could ever see, because the next one reaches every
        # location no later, need not be kept: many writes to a key within one
        # instant (a loop under a frozen clock) keep one version, not thousands.
        while index - 1 > state.lo and self._hidden_by(versions[index - 1], version):
            del versions[index - 1]
            index -= 1
        if state.views:  # only a key read often while in flight has views to tell
            state.added(version, self.arrival)
        newest = versions[-1]
        if newest.entry is None:
            self.store.delete(key)
        else:
            self.store.put(key, newest.entry)
        # Once a key may be missing from the truth while list() shows an older write
        # (see ``absent``: a delete, or an entry that expires before list() shows it;
        # the sum is ``listed_version``'s), pages look for it in the index until it
        # settles. A later write that puts it back changes nothing there.
        expiration = None if entry is None else entry.expiration
        if not state.absent and (
            entry is None or (expiration is not None and expiration < now + self.list_lag)
        ):
            self._mark_absent(state)
        mine = 0  # the writer's own copy of the key, after the write
        if location in caches.by_location:  # central storage has no read cache
            if cache_ttl > 0:  # the writer's copy is the newest write: not stale
                caches.put(location, key, Cached(entry, now + cache_ttl))
                if caches.stale:
                    caches.stale.pop((location, key), None)
                mine = 1
            else:
                caches.drop(location, key)
        if caches.held.get(key, 0) > mine:  # another location has a copy
            for other, cache in caches.by_location.items():
                if other != location and (copy := cache.get(key)) is not None:
                    caches.stale[(other, key)] = copy.until
        if entry is None:
            self.events.add(key, now, location, "delete", None, None)
        else:
            self.events.add(key, now, location, "put", entry.value, None)
        if self.reads:
            self._prune(state, now)
            return
        # When the newest version reaches everyone, worked out once: for the pruning
        # here and for the settling queue (``_settles_at``'s first case inline).
        delay = self._settle_delay
        due = newest.written_at + delay if delay is not None else self._settles_at(newest)
        if len(versions) - state.lo > 2:
            self._prune(state, now)  # an older version may have reached everyone by now
            if states.get(key) is not state:
                return
        elif due <= now:  # what ``_prune`` finds when one version is on its way
            self._forget(key)
            return
        state.due = due
        state.queued += 1
        queue.append(state)

    def seed(self, key: bytes, entry: Entry, now: float) -> None:
        """A god-view write (the truth already holds it): visible everywhere, list()
        included, at once."""
        if key in self.states:
            self._forget(key)
        for location in self.locations:
            self.caches.drop(location, key)
        self.events.add(key, now, "*", "seed", entry.value, None)

    def plant(
        self, key: bytes, entry: Entry | None, location: str, now: float, seconds: float
    ) -> None:
        """Make ``location`` serve ``entry`` (or a miss) for ``key`` for ``seconds``."""
        until = now + seconds
        self.caches.put(location, key, Cached(entry, until))
        self.caches.stale[(location, key)] = until
        self.events.add(key, now, location, "plant", _value(entry), None)

    def _hidden_by(self, older: Version, newer: Version) -> bool:
        if older.seeded or older.written_at != newer.written_at:
            return False
        if self.reads:
            # Each is visible at once where it was written: from the same place, with
            # no replica read between them, the newer reaches everywhere no later.
            return older.origin == newer.origin and older.read_base == newer.read_base
        if older.origin == newer.origin and not self.per_write:
            return True  # same instant, same place, same delays
        return all(
            self.arrival(newer, location) <= self.arrival(older, location)
            for location in self.locations
        )

    # -- list() ---------------------------------------------------------------------------

    def listed(self, key: bytes, now: float) -> Entry | None:
        """The entry ``list()`` shows for ``key`` now, if any."""
        state: KeyState | None = self.states.get(key)
        if state is None:
            return self.store.peek(key, now)
        return live(state.listed_version(now, self.list_lag), now)

    def page(
        self, prefix: bytes, after: bytes | None, limit: int, now: float
    ) -> tuple[list[tuple[bytes, Entry]], bool]:
        """A page of what ``list()`` shows: the truth, except for keys in flight."""
        if self._due(now):
            self.tick(now)
        if self.store.dropped:  # by a read of central storage, or the last page
            self._absorb_drops()
        index = self.absent.ordered()
        states = self.states
        if not keys_under(index, prefix, after, 1):
            if not states:
                return self.store.page(prefix, after, limit, now)  # nothing in flight
            # Every key to show is in the truth: its page is the answer, unless a key
            # of it (or the one after, which decides ``more``) is in flight.
            entries, _ = self.store.page(prefix, after, limit + 1, now)
            for key, _entry in entries:
                if key in states:
                    break
            else:
                return (entries[:limit], True) if len(entries) > limit else (entries, False)
        found: list[tuple[bytes, Entry]] = []
        for key, state in _merged(self.store, states, index, prefix, after):
            if state is None:
                entry = self.store.peek(key, now)
            else:
                entry = live(state.listed_version(now, self.list_lag), now)
            if entry is None:
                continue
            if len(found) == limit:
                return found, True
            found.append((key, entry))
        return found, False

    # -- settling -------------------------------------------------------------------------

    def settle_time(self, now: float) -> float:
        """The first moment every location and list() agree with the truth."""
        self.tick(now)
        if self.reads:
            waiting = [
                state
                for state in self.states.values()
                if not all(
                    self._visible_by_reads(state, state.newest, loc) for loc in self.locations
                )
            ]
            if waiting:
                # The first such key in key order names the error, whatever order the
                # keys went in flight in.
                state = min(waiting, key=lambda waits: waits.key)
                raise RuntimeError(
                    f"settle(): key {state.name!r} waits for replica reads "
                    "(AfterReads propagation), which no amount of time delivers; "
                    "read it at each location instead"
                )
        target = now
        for state in self.states.values():
            newest = state.newest
            truth = live(newest, now)
            if not self.reads and live(state.versions[-2], now) is not truth:
                # Every view that lacks the newest version shows something else: each
                # waits for it, so the key settles when the newest reaches them all.
                target = max(target, self._settles_at(newest))
                continue
            # A view that already shows the truth, with nothing else on the way to it,
            # has nothing to wait for: a delete of a key nobody had changes nothing.
            if not _settled_view(state, state.listed_version(now, self.list_lag), truth, now):
                target = max(target, newest.written_at + self.list_lag)
            for location in self.locations:
                if not _settled_view(state, self.shown(state, location, now), truth, now):
                    target = max(target, self.arrival(newest, location))
        for (location, key), until in list(self.caches.stale.items()):
            if until <= now or not self._disagrees(location, key, now):
                del self.caches.stale[(location, key)]
            else:
                target = max(target, until)
        self.caches.stale = compacted(self.caches.stale)
        return target

    def _disagrees(self, location: str, key: bytes, now: float) -> bool:
        cached = self.caches.by_location[location].get(key)
        if cached is None or cached.until <= now:
            return False
        seen = None if cached.entry is None or cached.entry.expired(now) else cached.entry
        return seen is not self.store.peek(key, now)

    def next_change(self, key: bytes, locations: Sequence[str], now: float) -> float | None:
        """The first moment after ``now`` when a read of ``key`` at one of ``locations``
        may return something else, or ``None`` if nothing will change with time."""
        times: list[float] = []
        state: KeyState | None = self.states.get(key)
        for location in locations:
            cached = self.caches.by_location[location].get(key)
            if cached is not None and cached.until > now:
                times.append(cached.until)
            if state is not None and not self.reads:
                times.extend(
                    at
                    for version in state.live_versions
                    if (at := self.arrival(version, location)) > now
                )
            shown = (
                self.store.entry(key) if state is None else self.shown(state, location, now).entry
            )
            for entry in (None if cached is None else cached.entry, shown):
                if entry is not None and entry.expiration is not None and entry.expiration > now:
                    times.append(float(entry.expiration))
        return min(times, default=None)

    def keys_in_play(self) -> Iterator[bytes]:
        """Every key some location may still see differently from the truth."""
        seen: set[bytes] = set(self.states.keys())
        seen.update(key for _, key in self.caches.stale)
        return iter(sorted(seen))


def _settled_view(state: KeyState, seen: Version, truth: Entry | None, now: float) -> bool:
    """Whether a view that shows ``seen`` already agrees with the truth for good: it
    shows the newest version, or shows the same and no other version is on its way."""
    versions = state.versions
    if seen is versions[-1]:
        return True
    return seen is versions[-2] and live(seen, now) is truth


def _merged(
    store: Store,
    states: dict[bytes, KeyState],
    index: SortedList,
    prefix: bytes,
    after: bytes | None,
) -> Iterator[tuple[bytes, KeyState | None]]:
    """The keys under ``prefix`` after ``after`` in the truth and those in flight that
    the truth may lack (``index`` has them in order), each with its in-flight state
    (or ``None``)."""
    stored = store.keys_from(prefix, after)
    flying = keys_from(index, prefix, after)
    a = next(stored, None)
    b = next(flying, None)
    while True:
        if a is not None and not a.startswith(prefix):
            a = None
        if b is not None and not b.startswith(prefix):
            b = None
        if a is None and b is None:
            return
        if b is None or (a is not None and a < b):
            assert a is not None  # both ran out above
            yield a, states.get(a)
            a = next(stored, None)
            continue
        yield b, states[b]
        if a == b:
            a = next(stored, None)
        b = next(flying, None)


def _fast_arrival(model: Propagation) -> Callable[[Version, str], float] | None:
    """Arrival times for the common models, with no memo to fill: a fixed delay, or
    one per destination."""
    if type(model) is Fixed:
        seconds = model.seconds

        def fixed(version: Version, location: str) -> float:
            if version.seeded or version.origin == location:
                return -math.inf
            return version.written_at + seconds

        return fixed
    if type(model) is PerLocation:
        delays, default = dict(model.seconds), model.default

        def per_location(version: Version, location: str) -> float:
            if version.seeded or version.origin == location:
                return -math.inf
            delay = delays.get(location, default)
            if delay is None:  # pragma: no cover - checked when the namespace is made
                raise ValueError(f"PerLocation has no delay for {location!r} and no default")
            return version.written_at + delay

        return per_location
    return None


def _value(entry: Entry | None) -> bytes | None:
    return None if entry is None else entry.value


class _Write(Protocol):
    def __call__(
        self,
        key: bytes,
        name: str,
        entry: Entry | None,
        now: float,
        cache_ttl: int,
        prepared: tuple[int, dict[str, float] | None] | None = None,
    ) -> None: ...


class _Prepare(Protocol):
    def __call__(self, name: str, now: float) -> tuple[int, dict[str, float] | None] | None: ...


def _unprepared(name: str, now: float) -> None:
    """What a built-in model works out before the lock: nothing (``Edge.prepare``
    would say ``(0, None)``, which ``Edge.write`` takes the same way)."""
    return


class LocationView:
    """The namespace as one location reads and writes it: the binding's backend."""

    __slots__ = ("edge", "location", "lock", "prepare", "read", "write")

    pure_reads = False  # a read fills the location's cache

    def __init__(self, edge: Edge, location: str) -> None:
        self.edge = edge
        self.location = location
        self.lock = edge.store.lock
        # Reads and writes are the hot path: bind the location once instead of
        # passing it on through a method on every call.
        self.read: Callable[[bytes, float, int], tuple[Entry | None, str | None]] = partial(
            edge.read_at, location
        )
        self.write: _Write = partial(edge.write, location)
        # pytest-kv's own models have nothing to work out before the lock.
        self.prepare: _Prepare = partial(edge.prepare, location) if edge.eager else _unprepared

    def probe(self, key: bytes, now: float, cache_ttl: int) -> tuple[Entry | None, str | None]:
        return self.edge.probe(key, self.location, now), None

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

    def prepare(self, name: str, now: float) -> tuple[int, dict[str, float] | None]:
        return self.edge.prepare(CENTRAL, name, now)

    def write(
        self,
        key: bytes,
        name: str,
        entry: Entry | None,
        now: float,
        cache_ttl: int,
        prepared: tuple[int, dict[str, float] | None] | None = None,
    ) -> None:
        self.edge.write(CENTRAL, key, name, entry, now, 0, prepared)

    def page(
        self, prefix: bytes, after: bytes | None, limit: int, now: float
    ) -> tuple[list[tuple[bytes, Entry]], bool]:
        return self.edge.store.page(prefix, after, limit, now)
