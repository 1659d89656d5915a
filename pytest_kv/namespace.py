"""``KVNamespace``: the binding (async, exactly the Python Workers shape), its blocking
twin ``ns.sync``, the view from each edge location, and the test-side god view.

Every call reads the clock once and hands that instant to everything it does, so
validation, expiry and the stored expiration can never disagree. Errors are raised
with the plugin's own frames dropped, so a failing test shows the user's call.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from . import godview, operations, wrangler
from .arguments import convert_key
from .calls import KVCall, matches
from .edge import KVEvent, LocationView
from .errors import KVError, did_you_mean
from .faults import OPERATION, Faults, Rule, invocation
from .godview import KVEntry
from .jsvalues import json_stringify
from .listing import PageShape
from .operations import MovableClock, RunawayListingError, Shared, failed, wall_time
from .options import consistency
from .results import JsDict
from .service import Backend
from .store import Entry
from .values import read_stream, read_stream_blocking

__all__ = ["KVNamespace", "MovableClock", "RunawayListingError", "SyncKVNamespace", "wall_time"]


class KVNamespace:
    """A fake Workers KV namespace binding, usable as ``env.KV`` in Python Worker code.

    Its methods are the runtime's, with every call form the Python Workers SDK
    accepts, production's limits and exact error messages. Outside pytest, build one
    directly; inside, use the ``kv`` or ``kv_factory`` fixtures.

    Example::

        ns = KVNamespace("SESSIONS")
        await ns.put("s:1", "alice", expirationTtl=3600)
        assert await ns.get("s:1") == "alice"
        assert ns.sync.get("s:1") == "alice"

    ``clock`` replaces the time source: a callable returning epoch seconds, or an
    object with ``now()`` and ``advance()`` (needed by ``settle()``). ``locations``,
    ``consistency`` (``"strong"`` or ``"eventual"``), ``propagation``, ``cache_ttl``
    and ``list_lag`` choose the consistency model; ``page_size`` and ``empty_pages``
    give ``list()`` production-legal page shapes (see ``page_shape``).
    """

    __slots__ = ("_backend", "_cache_ttl", "_now", "_shared", "_sync", "location", "name")

    name: str
    location: str
    _shared: Shared
    _backend: Backend
    _now: Callable[[], float]
    _cache_ttl: int
    _sync: SyncKVNamespace

    def __init__(
        self,
        name: str = "KV",
        *,
        clock: Callable[[], float] | MovableClock | None = None,
        locations: Sequence[str] = ("local",),
        consistency: str = "strong",
        propagation: Any = None,
        cache_ttl: int | None = None,
        list_lag: float | None = None,
        page_size: int | None = None,
        empty_pages: Iterable[str] = (),
        read_only: bool = False,
        rate_limits: bool = False,
    ) -> None:
        settings = _consistency(locations, consistency, propagation, cache_ttl, list_lag)
        shape = PageShape.of(page_size, empty_pages)
        faults = Faults(read_only=bool(read_only), rate_limit=bool(rate_limits))
        shared = Shared(name, clock, settings, shape, faults if read_only or rate_limits else None)
        self._bind(shared, settings.locations[0])

    def _bind(self, shared: Shared, location: str) -> None:
        self.name = shared.name
        self.location = location
        self._shared = shared
        self._now = shared.now
        self._backend = shared.store if shared.edge is None else LocationView(shared.edge, location)
        self._cache_ttl = shared.settings.cache_ttl
        self._sync = SyncKVNamespace(self)
        shared.views[location] = self

    # -- the binding -------------------------------------------------------------

    async def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """``get(key, type | options)``, or a bulk read ``get([k1, k2], ...)``.

        Example: ``await kv.get("k", "json")``, ``await kv.get("k", cacheTtl=300)``.
        """
        __tracebackhide__ = True
        try:
            return operations.read(self, "get", key, args, kwargs, False)
        except KVError as error:
            raise failed(self, "get", key, args, kwargs, error) from None

    async def getWithMetadata(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """``{"value", "metadata", "cacheStatus"}`` for a key; a dict of them for a list.

        Example: ``(await kv.getWithMetadata("k", "json")).metadata``.
        """
        __tracebackhide__ = True
        try:
            return operations.read(self, "getWithMetadata", key, args, kwargs, True)
        except KVError as error:
            raise failed(self, "getWithMetadata", key, args, kwargs, error) from None

    async def put(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        """Store a value: ``put(key, value, {"expirationTtl": 60, "metadata": {...}})``.

        ``value`` may be ``str``, ``bytes``, ``memoryview`` or an async iterable of bytes.
        """
        __tracebackhide__ = True
        try:
            if args or kwargs or not operations.put_plain(self, key, value):
                plan = operations.plan_put(self, key, value, args, kwargs)
                body = plan.body
                operations.finish_put(
                    self, plan, body if isinstance(body, bytes) else await read_stream(body)
                )
        except KVError as error:
            raise failed(self, "put", key, args, kwargs, error) from None

    async def delete(self, key: Any, *args: Any) -> None:
        """Delete a key; deleting a missing key succeeds, as in production."""
        __tracebackhide__ = True
        try:
            operations.delete(self, key, args)
        except KVError as error:
            raise failed(self, "delete", key, args, {}, error) from None

    async def list(self, *args: Any, **kwargs: Any) -> JsDict:
        """One page of keys: ``list(prefix=..., limit=..., cursor=...)``.

        Follow ``result.get("cursor")`` until ``result["list_complete"]`` is true.
        """
        __tracebackhide__ = True
        try:
            return operations.list_keys(self, args, kwargs)
        except KVError as error:
            raise failed(self, "list", None, args, kwargs, error) from None

    # -- test-side helpers ----------------------------------------------------------

    @property
    def sync(self) -> SyncKVNamespace:
        """The same binding with blocking methods: ``kv.sync.get("k")``."""
        return self._sync

    @property
    def locations(self) -> tuple[str, ...]:
        """Every location of the namespace; the first is the namespace object's own."""
        return tuple(self._shared.settings.locations)

    @property
    def consistency(self) -> str:
        """``"strong"`` or ``"eventual"``."""
        return "eventual" if self._shared.edge is not None else "strong"

    def at(self, location: str) -> KVNamespace:
        """The same namespace as code running at ``location`` sees it (same API).

        Example: ``await kv.at("syd").get("flag")``.
        """
        shared = self._shared
        view = shared.views.get(location)
        if view is None:
            if location not in shared.settings.locations:
                raise ValueError(
                    f"unknown location {location!r}; the locations of namespace "
                    f"{shared.name!r} are: {', '.join(shared.settings.locations)}"
                )
            view = object.__new__(KVNamespace)
            view._bind(shared, location)
        return view

    @contextmanager
    def page_shape(
        self, page_size: int | None = None, empty_pages: Iterable[str] = ()
    ) -> Iterator[PageShape | None]:
        """Give ``list()`` production-legal shapes while the block runs: at most
        ``page_size`` keys a page, and empty pages with ``list_complete: false`` at the
        ``"start"``, in the ``"middle"``, at the ``"end"`` or between ``"every"`` page.
        Code that follows the cursor until ``list_complete`` still gets every key.

        Example::

            with kv.page_shape(page_size=1, empty_pages=["start"]):
                assert await list_users(kv) == ["ada", "bob"]
        """
        shared = self._shared
        previous = shared.shape
        shared.shape = PageShape.of(page_size, empty_pages)
        try:
            yield shared.shape
        finally:
            shared.shape = previous

    def seed(
        self,
        data: Mapping[str, Any] | Iterable[Mapping[str, Any]],
        *,
        expiration: float | None = None,
        expirationTtl: float | None = None,
        metadata: Any = None,
    ) -> None:
        """Write keys directly, visible everywhere at once, bypassing the 60-second floor.

        ``data`` is a mapping of key to value (``str``, ``bytes``, or anything JSON),
        or wrangler bulk-put entries (``key``, ``value``, ``base64``, ``expiration``,
        ``expiration_ttl``, ``metadata``). A TTL of 0 or less seeds an expired key.
        Nothing is written if any item is invalid.

        Example: ``kv.seed({"flag:beta": "on"}, expirationTtl=5)``.
        """
        shared, now = self._shared, self._now()
        entries = godview.prepare(now, data, expiration, expirationTtl, metadata)
        with shared.store.lock:
            for key, entry in entries:
                shared.store.put(key, entry)
                if shared.edge is not None:
                    shared.edge.seed(key, entry, now)

    def peek(self, key: str) -> KVEntry | None:
        """The live entry for ``key`` (the truth, not a location's view), or ``None``."""
        return godview.peek(self._shared.store, key, self._now())

    def keys(self, prefix: str | None = None) -> builtins.list[str]:
        """Every live key (under ``prefix``), in production's list order: the truth."""
        return godview.keys(self._shared.store, prefix, self._now())

    # -- eventual consistency ------------------------------------------------------

    def settle(self) -> float:
        """Advance the clock until every location, and every ``list()``, agrees with
        the truth; return how many seconds that took (0 when they already agree).

        Example::

            await kv.put("flag", "on")
            kv.settle()
            assert await kv.at("syd").get("flag") == "on"
        """
        edge = self._shared.edge
        if edge is None:
            return 0.0
        start = now = self._now()
        for _ in range(3):  # a clock that keeps microseconds may land just short
            with self._shared.store.lock:
                target = edge.settle_time(now)
            if target <= now:
                break
            self._shared.advance(max(target - now, 1e-6))
            now = self._now()
        return now - start

    def plant_stale(
        self,
        key: str,
        value: Any,
        *,
        seconds: float = 60,
        metadata: Any = None,
        expiration: int | None = None,
    ) -> None:
        """Make this location serve ``value`` for ``key`` for ``seconds``, whatever
        the truth, as a stale cached copy would.

        Example: ``kv.at("syd").plant_stale("config", '{"v": 1}', seconds=30)``.
        """
        name, encoded, _ = _god_key(key)
        metadata_json = None if metadata is None else json_stringify(metadata)
        entry = Entry(godview.seed_bytes(value), expiration, metadata_json)
        self._plant(encoded, name, entry, seconds)

    def plant_miss(self, key: str, *, seconds: float = 60) -> None:
        """Make this location answer "no such key" for ``key`` for ``seconds``, as a
        cached miss (a negative lookup) would.

        Example: ``kv.at("lhr").plant_miss("user:1", seconds=60)``.
        """
        name, encoded, _ = _god_key(key)
        self._plant(encoded, name, None, seconds)

    def _plant(self, encoded: bytes, name: str, entry: Entry | None, seconds: float) -> None:
        edge = self._shared.edge
        if edge is None:
            raise RuntimeError(
                "planting stale reads needs consistency='eventual': a strongly "
                "consistent namespace has no read caches"
            )
        if seconds <= 0:
            raise ValueError(f"seconds must be more than 0, got {seconds!r}")
        with self._shared.store.lock:
            edge.plant(encoded, name, entry, self.location, self._now(), seconds)

    def history(self, key: str) -> builtins.list[KVEvent]:
        """What happened to ``key`` at every location: writes, reads (with cache
        ``HIT``/``MISS``), seeds and planted values, oldest first. Eventual mode only.
        """
        edge = self._shared.edge
        if edge is None:
            return []
        with self._shared.store.lock:
            return edge.history_of(_god_key(key)[1])

    # -- the call log ---------------------------------------------------------------

    @property
    def calls(self) -> builtins.list[KVCall]:
        """Every binding call this namespace served, at every location, oldest first."""
        return self._shared.calls()

    def get_calls(
        self, method: str | None = None, key: str | None = None, location: str | None = None
    ) -> builtins.list[KVCall]:
        """The calls of one method, on one key (a glob pattern) and at one location.

        Example: ``assert len(kv.get_calls(method="put", key="session:*")) == 1``.
        """
        return [call for call in self._shared.calls() if matches(call, method, key, location)]

    # -- failures on purpose ---------------------------------------------------------

    def fail_next(
        self, method: str, error: BaseException | None = None, *, status: int = 500
    ) -> None:
        """Make the next ``method`` call fail, by default with production's message for
        ``status`` (``KV GET failed: 500 Internal Server Error``).

        Example: ``kv.fail_next("put", status=503)``.
        """
        self.fail(method, times=1, error=error, status=status)

    def fail(
        self,
        method: str,
        *,
        key: str | None = None,
        times: int = 1,
        error: BaseException | None = None,
        status: int = 500,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (on keys matching the glob
        ``key``; for ``list``, the prefix) fail with ``error`` or production's message.

        Example: ``kv.fail("get", key="user:*", times=3)``.
        """
        if method not in OPERATION:
            raise ValueError(
                f"unknown method {method!r}{did_you_mean(method, OPERATION)} "
                f"The methods are: {', '.join(OPERATION)}."
            )
        if type(times) is not int or times < 1:
            raise ValueError(f"times must be a whole number >= 1, got {times!r}")
        shared = self._shared
        if shared.faults is None:
            shared.faults = Faults()
        shared.faults.rules.append(Rule(method, key, times, error, status))

    @staticmethod
    def invocation(limit: int = 1000) -> Any:
        """A block that counts KV operations as one Worker invocation: the
        ``limit + 1``-th fails with production's message. Shared by every namespace.

        Example::

            with kv.invocation():
                await handler.fetch(request)   # at most 1,000 KV operations
        """
        return invocation(limit)

    def seed_file(self, path: str | os.PathLike[str]) -> int:
        """Seed from a wrangler bulk-put JSON file (``wrangler kv bulk put``'s format);
        returns how many keys it wrote. A malformed entry is reported with its index.

        Example: ``kv.seed_file("tests/data/flags.json")``.
        """
        entries = wrangler.load_bulk_file(path)
        self.seed(entries)
        return len(entries)

    # -- what the runtime's binding object does for Python ----------------------------

    def __bool__(self) -> bool:
        return True

    def __len__(self) -> NoReturn:
        raise TypeError("'KvNamespace' object has no len()")

    def __iter__(self) -> NoReturn:
        raise TypeError("'KvNamespace' object is not iterable")

    def __repr__(self) -> str:
        where = f" at {self.location!r}" if len(self._shared.settings.locations) > 1 else ""
        return f"<KVNamespace {self.name!r}{where} ({self.consistency})>"


def _consistency(
    locations: Sequence[str], mode: str, propagation: Any, cache_ttl: Any, list_lag: Any
) -> Any:
    __tracebackhide__ = True
    return consistency(locations, mode, propagation, cache_ttl, list_lag)


def _god_key(key: str) -> tuple[str, bytes, bool]:
    converted = convert_key("god view", key)
    return converted.name, converted.encoded, converted.well_formed


class SyncKVNamespace:
    """``ns.sync``: the binding's methods, blocking, with the same results and errors.

    Example::

        kv.sync.put("k", "v", expirationTtl=60)
        assert kv.sync.list(prefix="k")["keys"][0]["name"] == "k"
    """

    __slots__ = ("_ns",)

    def __init__(self, ns: KVNamespace) -> None:
        self._ns = ns

    def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """Blocking ``get``."""
        __tracebackhide__ = True
        try:
            return operations.read(self._ns, "get", key, args, kwargs, False)
        except KVError as error:
            raise failed(self._ns, "get", key, args, kwargs, error) from None

    def getWithMetadata(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """Blocking ``getWithMetadata``."""
        __tracebackhide__ = True
        try:
            return operations.read(self._ns, "getWithMetadata", key, args, kwargs, True)
        except KVError as error:
            raise failed(self._ns, "getWithMetadata", key, args, kwargs, error) from None

    def put(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        """Blocking ``put``; a stream value must not wait on real I/O."""
        __tracebackhide__ = True
        try:
            if args or kwargs or not operations.put_plain(self._ns, key, value):
                plan = operations.plan_put(self._ns, key, value, args, kwargs)
                body = plan.body
                operations.finish_put(
                    self._ns, plan, body if isinstance(body, bytes) else read_stream_blocking(body)
                )
        except KVError as error:
            raise failed(self._ns, "put", key, args, kwargs, error) from None

    def delete(self, key: Any, *args: Any) -> None:
        """Blocking ``delete``."""
        __tracebackhide__ = True
        try:
            operations.delete(self._ns, key, args)
        except KVError as error:
            raise failed(self._ns, "delete", key, args, {}, error) from None

    def list(self, *args: Any, **kwargs: Any) -> JsDict:
        """Blocking ``list``."""
        __tracebackhide__ = True
        try:
            return operations.list_keys(self._ns, args, kwargs)
        except KVError as error:
            raise failed(self._ns, "list", None, args, kwargs, error) from None

    def __repr__(self) -> str:
        return f"<SyncKVNamespace {self._ns.name!r}>"
