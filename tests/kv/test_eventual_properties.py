"""Stateful properties of the eventual-consistency model.

Each machine drives one namespace with 2-4 locations through random puts, deletes,
seeds, reads (single, with metadata, with ``cacheTtl``, bulk), lists, clock moves,
``settle()`` and ``assert_eventually``, while keeping a shadow of every write ever
made. After every read it checks the model's promises:

* read-your-writes and monotonic reads at each location (a location never goes
  back to an older write, and a miss after a value needs a newer delete or expiry);
* no read (single, bulk or ``list()``) shows what was never written;
* no read serves an expired value, or another location's write before it arrived;
* a ``HIT`` repeats exactly what the location cached, and ``cacheStatus`` is always
  ``"HIT"`` or ``"MISS"``;
* ``list()`` shows exactly the keys whose newest change at least ``list_lag`` old
  is a live put, with that put's metadata and expiration;
* after ``settle()`` every location reads the truth and lists the live keys.

Where the delay of every write is known (numbers, mappings, ``PerLocation``,
callables, ``AfterReads``) the machines also predict every read exactly; with
``RandomDelay`` they check the bounds and that a twin namespace with the same seed
answers every call the same way.

Regressions for bugs these machines found sit at the end of the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from pytest_kv import (
    AfterReads,
    Fixed,
    KVNamespace,
    PerLocation,
    RandomDelay,
    assert_consistent,
    assert_eventually,
)

T = TypeVar("T")
Delay = Callable[[str, str, str], float]

START = 1000.0
TICKS = 1024  # settle() may land this many parts of a second past a deadline
KEYS = ("a", "ab", "b", "c")
LOCATIONS = ("lhr", "syd", "iad", "gru")
PREFIXES = (None, "a", "ab", "b", "z")
READ_TTLS = (None, None, 30, 60, 300)
LONGEST_READ_TTL = 300
SEED = "*"  # the origin of a god-view seed
HIT, MISS = "HIT", "MISS"
MISSING: Any = object()  # a read that does not return metadata

location_indexes = st.integers(min_value=0, max_value=3)
keys = st.sampled_from(KEYS)
read_ttls = st.sampled_from(READ_TTLS)
put_ttls = st.sampled_from((None, None, 60, 150))
advances = st.one_of(
    st.integers(min_value=0, max_value=120).map(float),
    st.floats(min_value=0, max_value=120, allow_nan=False, allow_infinity=False),
    st.sampled_from((0.001, 29.999, 30.0, 59.5, 60.0, 300.0, 1000.0)),
)


class ManualClock:
    """Epoch seconds that move only when told to, and never backwards."""

    def __init__(self, start: float = START) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float | timedelta) -> float:
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        assert seconds >= 0, f"the namespace moved the clock back by {-seconds} s"
        self.time += seconds
        return self.time


class ExactClock(ManualClock):
    """A clock that lands exactly where it is told, for the regressions."""

    def advance(self, seconds: float | timedelta) -> float:
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        self.time += seconds
        return self.time


@dataclass(frozen=True)
class Write:
    """One put (``value``), delete (``value=None``) or seed (``origin=SEED``)."""

    index: int
    key: str
    value: str | None
    time: float
    origin: str
    expiration: int | None = None
    metadata: Any = None
    # Each location's replica-read count of the key when it was written (AfterReads).
    base: Mapping[str, int] = field(default_factory=dict)

    @property
    def seeded(self) -> bool:
        return self.origin == SEED

    def live(self, now: float) -> bool:
        return self.value is not None and (self.expiration is None or now < self.expiration)


@dataclass
class Cached:
    """A location's cached copy of a key, as the shadow model keeps it."""

    write: Write | None
    until: float


@dataclass(frozen=True)
class Spread:
    """A propagation option and what the test knows about the delays it gives."""

    option: object  # what KVNamespace(propagation=...) is given
    delay: Delay | None = None  # the exact delay of every write, when known
    low: float | None = None  # else bounds on every delay
    high: float | None = None
    reads: int | None = None  # AfterReads(reads)

    def bounds(self, write: Write, destination: str) -> tuple[float, float] | None:
        """The least and most time ``write`` takes to reach ``destination``, if known."""
        if write.seeded or write.origin == destination:
            return 0.0, 0.0
        if self.delay is not None:
            seconds = self.delay(write.key, write.origin, destination)
            return seconds, seconds
        if self.low is not None and self.high is not None:
            return self.low, self.high
        return None

    @property
    def exact(self) -> bool:
        return self.delay is not None or self.reads is not None


def _list_page(
    location: str, prefix: str | None, limit: int, cursor: str | None, ns: KVNamespace
) -> Any:
    return ns.at(location).sync.list(prefix=prefix, limit=limit, cursor=cursor)


def shown(write: Write | None) -> str:
    if write is None:
        return "nothing"
    what = "delete" if write.value is None else repr(write.value)
    return f"write #{write.index} ({what} at {write.origin}, t={write.time:g})"


class EdgeMachine(RuleBasedStateMachine):
    """The rules and checks every eventual-consistency machine shares."""

    cache_ttls: ClassVar[tuple[int, ...]] = (0, 30, 60, 90)
    list_lags: ClassVar[tuple[float, ...]] = (0.0, 10.5, 60.0, 100.0)
    twin: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.ready = False
        self.clock = ManualClock()
        self.twin_clock = ManualClock()
        self.twin_ns: KVNamespace | None = None
        self.writes: list[Write] = []
        self.history: dict[str, list[Write]] = {key: [] for key in KEYS}  # since its last seed
        self.values: dict[str, dict[str, Write]] = {key: {} for key in KEYS}
        self.caches: dict[tuple[str, str], Cached] = {}
        self.replica_reads: dict[tuple[str, str], int] = {}
        self.seen: dict[tuple[str, str], int] = {}

    def choose(self, locations: tuple[str, ...], variant: int) -> Spread:
        raise NotImplementedError

    @initialize(
        count=st.integers(min_value=2, max_value=4),
        cache_ttl=st.integers(min_value=0, max_value=3),
        list_lag=st.integers(min_value=0, max_value=3),
        variant=st.integers(min_value=0, max_value=3),
    )
    def configure(self, count: int, cache_ttl: int, list_lag: int, variant: int) -> None:
        self.locations = LOCATIONS[:count]
        self.cache_ttl = self.cache_ttls[cache_ttl % len(self.cache_ttls)]
        self.list_lag = self.list_lags[list_lag % len(self.list_lags)]
        self.spread = self.choose(self.locations, variant)
        self.longest_cache = max(self.cache_ttl, LONGEST_READ_TTL)
        self.longest_delay = 0.0
        for key in KEYS:
            for origin in self.locations:
                for destination in self.locations:
                    probe = Write(-1, key, None, 0.0, origin)
                    bounds = self.spread.bounds(probe, destination)
                    if bounds is not None:
                        self.longest_delay = max(self.longest_delay, bounds[1])
        self.ns = self.namespace(self.clock)
        if self.twin:
            self.twin_ns = self.namespace(self.twin_clock)
        self.ready = True

    def namespace(self, clock: ManualClock) -> KVNamespace:
        return KVNamespace(
            "EDGE",
            clock=clock,
            locations=self.locations,
            consistency="eventual",
            propagation=self.spread.option,
            cache_ttl=self.cache_ttl,
            list_lag=self.list_lag,
        )

    # -- helpers ---------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.time

    def at(self, index: int) -> str:
        return self.locations[index % len(self.locations)]

    def call(self, action: Callable[[KVNamespace], T]) -> T:
        """Run ``action`` on the namespace, and on its twin, which must answer alike."""
        result = action(self.ns)
        if self.twin_ns is not None:
            assert action(self.twin_ns) == result, "same seed, same calls, different answers"
        return result

    def truth(self, key: str) -> Write | None:
        history = self.history[key]
        return history[-1] if history and history[-1].live(self.now) else None

    def record(self, write: Write) -> None:
        assert write.index == len(self.writes)
        self.writes.append(write)
        if write.value is not None:
            self.values[write.key][write.value] = write
        if write.seeded:
            self.history[write.key] = [write]
            for location in self.locations:
                self.caches.pop((location, write.key), None)
            return
        self.history[write.key].append(write)
        if self.cache_ttl > 0:
            self.caches[(write.origin, write.key)] = Cached(write, self.now + self.cache_ttl)
        else:
            self.caches.pop((write.origin, write.key), None)

    def visible(self, write: Write, location: str) -> bool:
        """Whether ``write`` has reached ``location``'s replica (exact models only)."""
        if write.seeded or write.origin == location:
            return True
        if self.spread.reads is not None:
            count = self.replica_reads.get((write.key, location), 0)
            return count - write.base.get(location, 0) >= self.spread.reads
        assert self.spread.delay is not None
        return self.now >= write.time + self.spread.delay(write.key, write.origin, location)

    def replica(self, key: str, location: str) -> Write | None:
        for write in reversed(self.history[key]):
            if self.visible(write, location):
                return write
        return None

    def floor(self, location: str, key: str) -> int:
        """The oldest write index a read of ``key`` at ``location`` may return now."""
        best = self.seen.get((location, key), -1)
        for write in self.history[key]:
            if write.seeded or write.origin == location:
                best = max(best, write.index)  # read-your-writes, seeds everywhere
                continue
            bounds = self.spread.bounds(write, location)
            # Whatever a location serves was fetched less than longest_cache ago, from
            # a replica that had every write older than the longest delay.
            if (
                bounds is not None
                and write.time + bounds[1] + self.longest_cache + 1e-6 <= self.now
            ):
                best = max(best, write.index)
        return best

    def identify(self, key: str, value: object) -> Write | None:
        if value is None:
            return None
        assert isinstance(value, str), f"read of {key!r} returned {value!r}"
        write = self.values[key].get(value)
        assert write is not None, f"read of {key!r} returned {value!r}, never written to it"
        return write

    # -- reading ---------------------------------------------------------------------

    def read(
        self, location: str, key: str, *, with_metadata: bool, cache_ttl: int | None
    ) -> Write | None:
        options = {} if cache_ttl is None else {"cacheTtl": cache_ttl}
        if with_metadata:
            result = self.call(lambda ns: ns.at(location).sync.getWithMetadata(key, **options))
            assert set(result) == {"value", "metadata", "cacheStatus"}
            status = result["cacheStatus"]
            assert status in (HIT, MISS), f"cacheStatus {status!r} in eventual mode"
            return self.observe(
                location, key, result["value"], cache_ttl, status, result["metadata"]
            )
        value = self.call(lambda ns: ns.at(location).sync.get(key, **options))
        return self.observe(location, key, value, cache_ttl, None, MISSING)

    def observe(
        self,
        location: str,
        key: str,
        value: object,
        cache_ttl: int | None,
        status: str | None,
        metadata: Any,
    ) -> Write | None:
        """Check one read's answer against the shadow model, then update the model."""
        now = self.now
        write = self.identify(key, value)
        where = f"read of {key!r} at {location}, t={now:g}"
        if metadata is not MISSING:
            expected_metadata = None if write is None else write.metadata
            assert metadata == expected_metadata, f"{where}: metadata {metadata!r}"
        floor = self.floor(location, key)
        if write is not None:
            assert write.live(now), f"{where} served expired {shown(write)}"
            assert write.index >= floor, (
                f"{where} returned {shown(write)}, older than {shown(self.writes[floor])}"
            )
            bounds = self.spread.bounds(write, location)
            if not write.seeded and write.origin != location and bounds is not None:
                assert now >= write.time + bounds[0], f"{where}: {shown(write)} came early"
            self.seen[(location, key)] = max(self.seen.get((location, key), -1), write.index)
        elif floor >= 0:
            assert any(
                not older.live(now)
                for older in self.writes
                if older.key == key
                if older.index >= floor
            ), f"{where} missed, but {shown(self.writes[floor])} is live and was seen or due"
        cached = self.caches.get((location, key))
        if cached is not None and now < cached.until:
            expected_status = HIT
            served = cached.write if cached.write is not None and cached.write.live(now) else None
            assert write == served, f"{where} hit the cache of {shown(served)}, got {shown(write)}"
        else:
            expected_status = MISS
            version = write
            if self.spread.exact:
                version = self.replica(key, location)
                served = version if version is not None and version.live(now) else None
                assert write == served, f"{where}: expected {shown(served)}, got {shown(write)}"
            counter = (key, location)
            self.replica_reads[counter] = self.replica_reads.get(counter, 0) + 1
            ttl = self.cache_ttl if cache_ttl is None else cache_ttl
            if ttl > 0:
                self.caches[(location, key)] = Cached(version, now + ttl)
            else:
                self.caches.pop((location, key), None)
        if status is not None:
            assert status == expected_status, f"{where}: cacheStatus {status}"
        return write

    def walk(self, location: str, prefix: str | None, limit: int) -> list[dict[str, Any]]:
        """Every page of ``list()`` at ``location``, following cursors."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(len(KEYS) + 2):
            page = self.call(partial(_list_page, location, prefix, limit, cursor))
            assert len(page["keys"]) <= limit
            items.extend(page["keys"])
            if page["list_complete"]:
                assert "cursor" not in page
                return items
            assert page["keys"], "an empty page that is not the last"
            cursor = page["cursor"]
        raise AssertionError(f"list() at {location} never completed")

    def listed(self, key: str) -> Write | None:
        """What list() shows for ``key`` now: its newest change at least list_lag old."""
        for write in reversed(self.history[key]):
            if write.seeded or write.time + self.list_lag <= self.now:
                return write if write.live(self.now) else None
        return None

    def check_listing(self, items: list[dict[str, Any]], prefix: str | None) -> None:
        names = [item["name"] for item in items]
        written = {key for key in KEYS if self.values[key]}
        assert set(names) <= written, f"list() shows never-put keys {set(names) - written}"
        expected = {
            key: write
            for key in KEYS
            if (prefix is None or key.startswith(prefix)) and (write := self.listed(key))
        }
        assert names == sorted(expected), f"list() at t={self.now:g}"
        for item in items:
            write = expected[item["name"]]
            assert item.get("metadata") == write.metadata, f"list() metadata of {shown(write)}"
            assert item.get("expiration") == write.expiration, f"list() expiry of {shown(write)}"

    def check_settled(self) -> None:
        self.call(assert_consistent)
        assert self.call(lambda ns: ns.settle()) == 0.0, "a second settle() had work to do"
        truth = self.ns.keys()
        for location in self.locations:
            for key in KEYS:
                write = self.read(location, key, with_metadata=False, cache_ttl=None)
                entry = self.ns.peek(key)
                assert (None if write is None else write.value) == (
                    None if entry is None else entry.text
                ), f"after settle(), {key!r} at {location}"
            items = self.walk(location, None, 1000)
            assert [item["name"] for item in items] == truth, f"after settle(), list at {location}"
            self.check_listing(items, None)

    # -- rules -----------------------------------------------------------------------

    @rule(
        where=location_indexes,
        key=keys,
        ttl=put_ttls,
        with_metadata=st.booleans(),
        check=st.booleans(),
    )
    def put(self, where: int, key: str, ttl: int | None, with_metadata: bool, check: bool) -> None:
        location = self.at(where)
        index, now = len(self.writes), self.now
        value = f"{key}#{index}"
        options: dict[str, Any] = {}
        if ttl is not None:
            options["expirationTtl"] = ttl
        if with_metadata:
            options["metadata"] = {"w": index}
        self.call(lambda ns: ns.at(location).sync.put(key, value, **options))
        entry = self.ns.peek(key)
        assert entry is not None, "the newest write is the truth"
        assert entry.text == value, "the newest write is the truth"
        assert entry.expiration == (None if ttl is None else int(now) + ttl)
        base = {loc: self.replica_reads.get((key, loc), 0) for loc in self.locations}
        metadata = options.get("metadata")
        self.record(Write(index, key, value, now, location, entry.expiration, metadata, base))
        if check:
            got = self.read(location, key, with_metadata=True, cache_ttl=None)
            assert got is not None, f"read-your-writes: {key!r} at {location} missed"
            assert got.value == value, f"read-your-writes: {key!r} at {location}"

    @rule(where=location_indexes, key=keys, check=st.booleans())
    def delete(self, where: int, key: str, check: bool) -> None:
        location = self.at(where)
        index, now = len(self.writes), self.now
        self.call(lambda ns: ns.at(location).sync.delete(key))
        assert self.ns.peek(key) is None, "a delete is the newest write"
        base = {loc: self.replica_reads.get((key, loc), 0) for loc in self.locations}
        self.record(Write(index, key, None, now, location, base=base))
        if check:
            got = self.read(location, key, with_metadata=False, cache_ttl=None)
            assert got is None, f"read-your-writes: deleted {key!r} at {location} reads {got}"

    @rule(key=keys, check=st.booleans())
    def seed(self, key: str, check: bool) -> None:
        index = len(self.writes)
        value = f"{key}@seed{index}"
        self.call(lambda ns: ns.seed({key: value}))
        self.record(Write(index, key, value, self.now, SEED))
        if check:  # visible everywhere at once
            for location in self.locations:
                got = self.read(location, key, with_metadata=True, cache_ttl=None)
                assert got is not None, f"seeded {key!r} missing at {location}"
                assert got.value == value, f"seeded {key!r} at {location}"

    @rule(where=location_indexes, key=keys, with_metadata=st.booleans(), cache_ttl=read_ttls)
    def read_one(self, where: int, key: str, with_metadata: bool, cache_ttl: int | None) -> None:
        self.read(self.at(where), key, with_metadata=with_metadata, cache_ttl=cache_ttl)

    @rule(where=location_indexes, key=keys, cache_ttl=read_ttls)
    def read_twice(self, where: int, key: str, cache_ttl: int | None) -> None:
        """Two reads in the same instant: the second repeats the first from the cache,
        unless nothing was cached (cache_ttl=0 and no cacheTtl)."""
        location = self.at(where)
        first = self.read(location, key, with_metadata=True, cache_ttl=cache_ttl)
        cached = (self.cache_ttl if cache_ttl is None else cache_ttl) > 0
        options = {} if cache_ttl is None else {"cacheTtl": cache_ttl}
        result = self.call(lambda ns: ns.at(location).sync.getWithMetadata(key, **options))
        if cached:
            assert result["cacheStatus"] == HIT
            assert result["value"] == (None if first is None else first.value)
        self.observe(
            location,
            key,
            result["value"],
            cache_ttl,
            result["cacheStatus"],
            result["metadata"],
        )

    @rule(
        where=location_indexes,
        names=st.lists(keys, min_size=1, max_size=4, unique=True),
        with_metadata=st.booleans(),
        cache_ttl=read_ttls,
    )
    def read_bulk(
        self, where: int, names: list[str], with_metadata: bool, cache_ttl: int | None
    ) -> None:
        location = self.at(where)
        options = {} if cache_ttl is None else {"cacheTtl": cache_ttl}
        if with_metadata:
            result = self.call(lambda ns: ns.at(location).sync.getWithMetadata(names, **options))
        else:
            result = self.call(lambda ns: ns.at(location).sync.get(names, **options))
        assert list(result) == names, "a bulk read answers every key, in request order"
        for key in names:
            item = result[key]
            if with_metadata and item is not None:
                assert set(item) == {"value", "metadata"}
                self.observe(location, key, item["value"], cache_ttl, None, item["metadata"])
            else:
                self.observe(location, key, item, cache_ttl, None, MISSING)

    @rule(
        where=location_indexes,
        prefix=st.sampled_from(PREFIXES),
        limit=st.sampled_from((1, 2, 1000)),
    )
    def list_keys(self, where: int, prefix: str | None, limit: int) -> None:
        self.check_listing(self.walk(self.at(where), prefix, limit), prefix)

    @rule(seconds=advances)
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.twin_clock.advance(seconds)

    @rule()
    def settle(self) -> None:
        before = self.now
        if self.spread.reads is not None and any(
            not all(self.visible(history[-1], location) for location in self.locations)
            for history in self.history.values()
            if history
        ):
            with pytest.raises(RuntimeError, match="replica reads"):
                self.call(lambda ns: ns.settle())
            assert self.now == before, "a settle() that cannot finish moved the clock"
            return
        took = self.call(lambda ns: ns.settle())
        assert took >= 0
        assert took == pytest.approx(self.now - before, abs=1e-9)
        if self.spread.reads is None:
            longest = max(self.list_lag, self.longest_delay, self.longest_cache)
            assert took <= longest + 2 / TICKS, f"settle() took {took} s, more than {longest} s"
        self.check_settled()

    @precondition(lambda self: self.ready and self.spread.reads is None)
    @rule(key=keys, subset=st.sets(location_indexes))
    def eventually(self, key: str, subset: set[int]) -> None:
        truth = self.truth(key)
        if truth is not None and truth.expiration is not None:
            return  # it may expire before every location has it
        expected = None if truth is None else truth.value
        names = sorted({self.at(where) for where in subset}) or None
        before = self.now
        # Every cached copy runs out, and every write arrives, within this.
        within = max(self.longest_delay, self.longest_cache) + 1
        took = self.call(
            lambda ns: assert_eventually(ns, key, expected, within=within, locations=names)
        )
        assert took == pytest.approx(self.now - before, abs=1e-9)
        for location in names or self.locations:
            got = self.read(location, key, with_metadata=False, cache_ttl=None)
            assert (None if got is None else got.value) == expected, (
                f"assert_eventually passed, but {key!r} at {location} reads {shown(got)}"
            )

    @precondition(lambda self: self.ready)
    @invariant()
    def god_view_is_the_last_write(self) -> None:
        for key in KEYS:
            truth, entry = self.truth(key), self.ns.peek(key)
            assert (None if entry is None else entry.text) == (
                None if truth is None else truth.value
            ), f"peek({key!r})"
        assert self.ns.keys() == [key for key in KEYS if self.truth(key) is not None]


# -- the propagation models --------------------------------------------------------------


def _constant(seconds: float) -> Delay:
    return lambda key, origin, destination: seconds


class NumberMachine(EdgeMachine):
    """A plain number, ``Fixed(seconds)``, or the default (60 s)."""

    def choose(self, locations: tuple[str, ...], variant: int) -> Spread:
        option: object
        option, seconds = ((0, 0.0), (Fixed(5), 5.0), (None, 60.0), (Fixed(90.5), 90.5))[variant]
        return Spread(option, delay=_constant(seconds))


class MappingMachine(EdgeMachine):
    """A ``{location: seconds, "*": default}`` mapping or a ``PerLocation`` model."""

    def choose(self, locations: tuple[str, ...], variant: int) -> Spread:
        first, second = locations[0], locations[1]
        default: float | None
        if variant == 0:
            named, default = {first: 0.0}, 30.0
            option: object = {**named, "*": default}
        elif variant == 1:
            named, default = {loc: 25.0 * i for i, loc in enumerate(locations)}, None
            option = dict(named)
        elif variant == 2:
            named, default = {first: 90.0, second: 5.0}, 45.0
            option = PerLocation(named, default=default)
        else:
            named, default = {loc: 7.5 + 40 * i for i, loc in enumerate(locations)}, None
            option = PerLocation(named)

        def delay(key: str, origin: str, destination: str) -> float:
            seconds = named.get(destination, default)
            assert seconds is not None
            return seconds

        return Spread(option, delay=delay)


def _by_key(key: str, origin: str, destination: str) -> float:
    return {"a": 0, "ab": 45, "b": 90, "c": 7.25}[key]


def _by_route(key: str, origin: str, destination: str) -> float:
    return (LOCATIONS.index(origin) * 31 + LOCATIONS.index(destination) * 17) % 100


def _by_everything(key: str, origin: str, destination: str) -> float:
    return len(key) * 33.3 + (20 if destination > origin else 0.5)


class CallableMachine(EdgeMachine):
    """A callable ``(key, origin, destination) -> seconds``."""

    def choose(self, locations: tuple[str, ...], variant: int) -> Spread:
        function: Delay = (_constant(0), _by_key, _by_route, _by_everything)[variant]
        return Spread(function, delay=function)


class RandomDelayMachine(EdgeMachine):
    """``RandomDelay``: the delays are unknown, so only their bounds are checked, and a
    twin namespace with the same seed must answer every call the same way."""

    twin = True

    def choose(self, locations: tuple[str, ...], variant: int) -> Spread:
        low, high, seed = ((0, 120, 0), (5, 10, "s"), (30, 30, 1), (0, 0.5, 3))[variant]
        model = RandomDelay(low, high, seed=seed)
        if low == high:  # a draw between equal bounds is that number: predict every read
            return Spread(model, delay=_constant(low))
        return Spread(model, low=low, high=high)


class AfterReadsMachine(EdgeMachine):
    """``AfterReads(n)`` with ``cache_ttl=0``: a write reaches a location on its
    (n+1)-th replica read there; only reads with ``cacheTtl`` are cached."""

    cache_ttls = (0,)

    def choose(self, locations: tuple[str, ...], variant: int) -> Spread:
        return Spread(AfterReads(variant), reads=variant)


def _run(machine: type[RuleBasedStateMachine], examples: int) -> Any:
    case = machine.TestCase
    case.settings = settings(max_examples=examples, stateful_step_count=40, deadline=None)
    return case


TestNumberPropagation = _run(NumberMachine, 80)
TestMappingPropagation = _run(MappingMachine, 80)
TestCallablePropagation = _run(CallableMachine, 80)
TestRandomDelayPropagation = _run(RandomDelayMachine, 80)
TestAfterReadsPropagation = _run(AfterReadsMachine, 80)


# -- strong consistency ----------------------------------------------------------------


class StrongMachine(RuleBasedStateMachine):
    """``consistency="strong"`` with several locations: every read everywhere is the
    truth at once, with ``cacheStatus`` ``None``, and ``settle()`` has nothing to do."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.truth: dict[str, tuple[str, int | None]] = {}
        self.count = 0
        self.ns = KVNamespace("STRONG", clock=self.clock, locations=LOCATIONS)

    def value(self, key: str) -> str | None:
        found = self.truth.get(key)
        if found is None or (found[1] is not None and self.clock.time >= found[1]):
            return None
        return found[0]

    def live(self) -> list[str]:
        return [key for key in KEYS if self.value(key) is not None]

    @rule(where=location_indexes, key=keys, ttl=put_ttls)
    def put(self, where: int, key: str, ttl: int | None) -> None:
        self.count += 1
        value = f"{key}#{self.count}"
        options = {} if ttl is None else {"expirationTtl": ttl}
        self.ns.at(LOCATIONS[where]).sync.put(key, value, **options)
        self.truth[key] = (value, None if ttl is None else int(self.clock.time) + ttl)

    @rule(where=location_indexes, key=keys)
    def delete(self, where: int, key: str) -> None:
        self.ns.at(LOCATIONS[where]).sync.delete(key)
        self.truth.pop(key, None)

    @rule(where=location_indexes, key=keys, cache_ttl=read_ttls)
    def read(self, where: int, key: str, cache_ttl: int | None) -> None:
        view = self.ns.at(LOCATIONS[where]).sync
        options = {} if cache_ttl is None else {"cacheTtl": cache_ttl}
        assert view.get(key, **options) == self.value(key)
        result = view.getWithMetadata(key, **options)
        assert result["value"] == self.value(key)
        assert result["cacheStatus"] is None

    @rule(where=location_indexes, names=st.lists(keys, min_size=1, max_size=4, unique=True))
    def read_bulk(self, where: int, names: list[str]) -> None:
        result = self.ns.at(LOCATIONS[where]).sync.get(names)
        assert result == {key: self.value(key) for key in names}

    @rule(where=location_indexes, prefix=st.sampled_from(PREFIXES))
    def list_keys(self, where: int, prefix: str | None) -> None:
        result = self.ns.at(LOCATIONS[where]).sync.list(prefix=prefix)
        names = [item["name"] for item in result["keys"]]
        assert names == [key for key in self.live() if prefix is None or key.startswith(prefix)]

    @rule(seconds=advances)
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule()
    def settle(self) -> None:
        before = self.clock.time
        assert self.ns.settle() == 0.0
        assert self.clock.time == before
        assert_consistent(self.ns)

    @invariant()
    def god_view(self) -> None:
        assert self.ns.keys() == self.live()
        for key in KEYS:
            entry = self.ns.peek(key)
            assert (None if entry is None else entry.text) == self.value(key)


TestStrongConsistency = _run(StrongMachine, 50)


# -- regressions: edge cases the machines reach only by luck ----------------------------


def eventual(clock: ManualClock, **options: Any) -> KVNamespace:
    options.setdefault("locations", ("lhr", "syd"))
    return KVNamespace("EDGE", clock=clock, consistency="eventual", **options)


def test_every_deadline_is_inclusive() -> None:
    """A write arrives at exactly its delay, a cached copy runs out at exactly its
    cacheTtl, and list() shows a change at exactly list_lag."""
    clock = ManualClock()
    kv = eventual(
        clock, locations=("lhr", "syd", "iad"), propagation=Fixed(5), cache_ttl=0, list_lag=10
    )
    syd, iad = kv.at("syd").sync, kv.at("iad").sync
    kv.sync.put("k", "v1")
    clock.advance(4.5)
    assert iad.get("k") is None
    assert syd.get("k", cacheTtl=30) is None  # cached until +34.5
    clock.advance(0.5)
    assert iad.get("k") == "v1"  # +5: arrived
    assert syd.getWithMetadata("k") == {"value": None, "metadata": None, "cacheStatus": "HIT"}
    assert syd.list()["keys"] == []
    clock.advance(5)
    assert [item["name"] for item in syd.list()["keys"]] == ["k"]  # +10: listed
    clock.advance(24.5)  # +34.5: the cached miss has run out
    assert syd.getWithMetadata("k") == {"value": "v1", "metadata": None, "cacheStatus": "MISS"}


def test_after_reads_counts_only_reads_that_miss_the_cache() -> None:
    clock = ManualClock()
    kv = eventual(clock, propagation=AfterReads(2), cache_ttl=0)
    syd = kv.at("syd").sync
    kv.sync.put("k", "v1")
    assert syd.get("k", cacheTtl=30) is None  # replica read 1, cached for 30 s
    for _ in range(5):
        assert syd.getWithMetadata("k")["cacheStatus"] == "HIT"  # not replica reads
    with pytest.raises(RuntimeError, match="replica reads"):
        kv.settle()
    clock.advance(30)
    assert syd.getWithMetadata("k") == {"value": None, "metadata": None, "cacheStatus": "MISS"}
    assert syd.get("k") == "v1"  # the third replica read
    assert kv.settle() == 30.0  # only list_lag is left to wait for
    assert_consistent(kv)


def test_a_seed_replaces_a_write_still_on_its_way() -> None:
    clock = ManualClock()
    kv = eventual(clock, propagation=60)
    syd = kv.at("syd").sync
    assert syd.get("k") is None  # a miss cached at syd for 60 s
    kv.sync.put("k", "in flight")
    kv.seed({"k": "seeded"})
    assert kv.sync.get("k") == syd.get("k") == "seeded"  # caches dropped, everywhere at once
    assert [item["name"] for item in syd.list()["keys"]] == ["k"]
    assert kv.settle() == 0.0
    clock.advance(120)
    assert kv.sync.get("k") == syd.get("k") == "seeded"


def test_an_expired_newer_write_never_brings_back_an_older_value() -> None:
    clock = ManualClock()
    kv = eventual(clock, propagation={"lhr": 0, "syd": 100}, cache_ttl=0, list_lag=0)
    syd = kv.at("syd").sync
    kv.sync.put("k", "old")
    clock.advance(100)
    assert syd.get("k") == "old"
    kv.sync.put("k", "new", expirationTtl=60)
    clock.advance(60)  # "new" expired at lhr before it ever reached syd
    assert kv.sync.get("k") is None
    assert syd.get("k") == "old"  # syd has not heard of "new" yet: still eventual
    assert kv.sync.list()["keys"] == []
    clock.advance(40)
    assert syd.get("k") is None  # "new" arrived, expired: never "old" again
    clock.advance(1000)
    assert syd.get("k") is None


def test_settle_takes_no_time_when_every_location_already_agrees() -> None:
    clock = ManualClock()
    kv = eventual(clock)
    kv.sync.delete("never-written")
    assert_consistent(kv)  # every location reads None and lists nothing: they agree
    assert kv.settle() == 0.0


def test_after_reads_keeps_a_write_visible_where_it_was_made() -> None:
    clock = ManualClock()
    kv = eventual(clock, propagation=AfterReads(1), cache_ttl=0)
    lhr, syd = kv.at("lhr").sync, kv.at("syd").sync
    lhr.put("k", "from lhr")
    syd.put("k", "from syd")  # same instant: the truth, not yet visible at lhr
    assert syd.get("k") == "from syd"
    assert lhr.get("k") == "from lhr"  # read-your-writes; reads None


def test_settle_leaves_list_agreeing_with_the_truth_at_any_clock_reading() -> None:
    clock = ExactClock(1000.1)
    kv = eventual(clock)
    kv.seed({"k": "v"})
    kv.sync.delete("k")
    kv.settle()  # lands on 1000.1 + 60, where settle_time() says list() has caught up
    assert kv.keys() == []
    assert kv.sync.list()["keys"] == []  # shows [{'name': 'k'}], the deleted key
    assert_consistent(kv)


def test_a_write_never_hides_a_listed_key_from_list() -> None:
    clock = ExactClock(1000.0)
    kv = eventual(clock)
    kv.sync.put("k", "v1")
    clock.advance(0.1)
    kv.sync.put("k", "v2")  # at 1000.1
    clock.advance(60)
    assert [item["name"] for item in kv.sync.list()["keys"]] == ["k"]  # listed since 1060
    kv.sync.put("k", "v3")  # prunes v1, as v2 has "settled"; list() finds v2 too new
    assert [item["name"] for item in kv.sync.list()["keys"]] == ["k"]  # shows []


def test_list_shows_the_older_write_of_a_key_whose_newer_write_expired_in_flight() -> None:
    """The truth drops a key whose newest entry expires before list() reflects it;
    until then list() shows the older write, which pages must still find."""
    clock = ManualClock()
    kv = eventual(clock, propagation=0, list_lag=100)
    kv.sync.put("a", "old")
    kv.sync.put("b", "other")
    clock.advance(100)  # both listed, both settled
    kv.sync.put("a", "new", expirationTtl=60)
    clock.advance(61)  # "new" has expired: the truth no longer has "a"
    assert kv.keys() == ["b"]
    assert kv.sync.get("a") is None
    assert kv.sync.list()["keys"] == [{"name": "a"}, {"name": "b"}]  # "old", still listed
    first = kv.sync.list(limit=1)
    assert first["keys"] == [{"name": "a"}]
    assert kv.sync.list(cursor=first["cursor"])["keys"] == [{"name": "b"}]
    clock.advance(39)  # list() reflects "new" now: expired, so nothing
    assert kv.sync.list()["keys"] == [{"name": "b"}]


def test_list_pages_skip_keys_in_flight_that_list_does_not_show_yet() -> None:
    """A new key in the truth is not listed for list_lag, so a page of the truth
    must not count it, nor end early because of it."""
    clock = ManualClock()
    kv = eventual(clock, propagation=0, list_lag=60)
    kv.seed({"k1": "v", "k3": "v", "k5": "v"})
    kv.sync.put("k2", "fresh")
    kv.sync.put("k4", "fresh")
    page = kv.sync.list(limit=2)
    assert page["keys"] == [{"name": "k1"}, {"name": "k3"}]
    assert page["list_complete"] is False
    rest = kv.sync.list(limit=2, cursor=page["cursor"])
    assert rest["keys"] == [{"name": "k5"}]
    assert rest["list_complete"] is True
    # The last key shown, with only a key list() does not show yet after it.
    kv.sync.put("k6", "fresh")
    assert kv.sync.list(limit=3)["list_complete"] is True
    assert kv.sync.list(limit=2)["list_complete"] is False
    kv.sync.delete("k1")  # deleted in flight: listed until list_lag has passed
    assert [item["name"] for item in kv.sync.list()["keys"]] == ["k1", "k3", "k5"]
    clock.advance(60)
    assert [item["name"] for item in kv.sync.list()["keys"]] == ["k2", "k3", "k4", "k5", "k6"]


def test_list_finds_a_key_the_truth_dropped_once_the_clock_goes_back() -> None:
    """The truth drops an expired entry for good; when a test moves the clock back
    while the key is still in flight, list() shows it again, as it always did."""
    clock = ExactClock(1000.0)
    kv = eventual(clock, propagation=1000, list_lag=1, cache_ttl=0)
    kv.seed({"a": "x"})
    kv.sync.put("k", "v", expirationTtl=60)  # expires at 1060, long after list() has it
    clock.advance(61)
    assert kv.sync.get("k") is None  # expired: the truth drops it
    clock.advance(-31)  # 1030: "v" is live again, and listed
    assert kv.sync.get("k") == "v"
    assert kv.sync.list()["keys"] == [{"name": "a"}, {"name": "k", "expiration": 1060}]
    first = kv.sync.list(limit=1)
    assert (first["keys"], first["list_complete"]) == ([{"name": "a"}], False)
    assert kv.sync.list(cursor=first["cursor"])["keys"] == [{"name": "k", "expiration": 1060}]


def test_list_finds_a_key_central_storage_dropped_once_the_clock_goes_back() -> None:
    """The same when it is a read of central storage (the REST API's) that drops it."""
    clock = ExactClock(1000.0)
    kv = eventual(clock, propagation=1000, list_lag=1, cache_ttl=0)
    kv.sync.put("k", "old")
    clock.advance(10)
    kv.sync.put("k", "new", expirationTtl=60)  # expires at 1070
    clock.advance(70)
    assert kv._shared.central.read(b"k", clock.now(), 0) == (None, None)  # dropped
    clock.advance(-75)  # 1005: list() reflects "old", written at 1000
    assert kv.sync.list()["keys"] == [{"name": "k"}]
