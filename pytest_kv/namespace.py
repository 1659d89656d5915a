"""``KVNamespace``: the binding (async, exactly the Python Workers shape), its blocking
twin ``ns.sync``, and the test-side god view.

Every call reads the clock once and hands that instant to everything it does, so
validation, expiry and the stored expiration can never disagree. Errors are raised
with the plugin's own frames dropped, so a failing test shows the user's call.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import Any, NoReturn

from . import godview, service
from .arguments import PutArgs, parse_delete, parse_get, parse_list, parse_put
from .errors import DELETE, GET, PUT, KVError
from .godview import KVEntry
from .jsvalues import json_stringify
from .limits import check_key
from .listing import list_page
from .results import JsDict
from .store import Store
from .values import encode_value, read_stream, read_stream_blocking

__all__ = ["KVNamespace", "SyncKVNamespace"]

Clock = Callable[[], float]


def wall_time() -> float:
    """``time.time()``, looked up on every call so freezegun and time-machine drive it."""
    return time.time()


def _read(
    store: Store,
    now: float,
    method: str,
    key: object,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    with_metadata: bool,
) -> Any:
    parsed = parse_get(method, key, args, kwargs)
    if parsed.keys is not None:
        return service.get_bulk(store, parsed, parsed.keys, now, with_metadata)
    assert parsed.key is not None
    check_key(GET, parsed.key.name, parsed.key.encoded)
    return service.get_one(store, parsed, parsed.key, now, with_metadata)


def _prepare_put(
    key: object, value: object, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[PutArgs, str | None, bytes | AsyncIterable[Any]]:
    """workerd's side of a put, in its order: arguments, key name, metadata, value."""
    parsed = parse_put(key, value, args, kwargs)
    check_key(PUT, parsed.key.name, parsed.key.encoded)
    metadata = None if parsed.metadata is None else json_stringify(parsed.metadata)
    return parsed, metadata, encode_value(value)


def _delete(store: Store, key: object, args: tuple[Any, ...]) -> None:
    parsed = parse_delete(key, args)
    check_key(DELETE, parsed.name, parsed.encoded)
    service.delete(store, parsed)


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

    ``clock`` replaces the time source (seconds since the epoch, like ``time.time``).
    """

    __slots__ = ("_clock", "_store", "_sync", "name")

    def __init__(self, name: str = "KV", *, clock: Clock | None = None) -> None:
        self.name = name
        self._store = Store()
        self._clock: Clock = wall_time if clock is None else clock
        self._sync = SyncKVNamespace(self)

    # -- the binding -------------------------------------------------------------

    async def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """``get(key, type | options)``, or a bulk read ``get([k1, k2], ...)``.

        Example: ``await kv.get("k", "json")``, ``await kv.get("k", cacheTtl=300)``.
        """
        __tracebackhide__ = True
        try:
            return _read(self._store, self._clock(), "get", key, args, kwargs, False)
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    async def getWithMetadata(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """``{"value", "metadata", "cacheStatus"}`` for a key; a dict of them for a list.

        Example: ``(await kv.getWithMetadata("k", "json")).metadata``.
        """
        __tracebackhide__ = True
        try:
            return _read(self._store, self._clock(), "getWithMetadata", key, args, kwargs, True)
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    async def put(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        """Store a value: ``put(key, value, {"expirationTtl": 60, "metadata": {...}})``.

        ``value`` may be ``str``, ``bytes``, ``memoryview`` or an async iterable of bytes.
        """
        __tracebackhide__ = True
        try:
            now = self._clock()
            parsed, metadata, body = _prepare_put(key, value, args, kwargs)
            expiration = service.check_put(parsed, metadata, now)
            data = body if isinstance(body, bytes) else await read_stream(body)
            service.store_put(self._store, parsed.key, data, expiration, metadata)
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    async def delete(self, key: Any, *args: Any) -> None:
        """Delete a key; deleting a missing key succeeds, as in production."""
        __tracebackhide__ = True
        try:
            _delete(self._store, key, args)
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    async def list(self, *args: Any, **kwargs: Any) -> JsDict:
        """One page of keys: ``list(prefix=..., limit=..., cursor=...)``.

        Follow ``result.get("cursor")`` until ``result["list_complete"]`` is true.
        """
        __tracebackhide__ = True
        try:
            return list_page(self._store, parse_list(args, kwargs), self._clock())
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    # -- test-side helpers ----------------------------------------------------------

    @property
    def sync(self) -> SyncKVNamespace:
        """The same binding with blocking methods: ``kv.sync.get("k")``."""
        return self._sync

    def seed(
        self,
        data: Mapping[str, Any] | Iterable[Mapping[str, Any]],
        *,
        expiration: float | None = None,
        expirationTtl: float | None = None,
        metadata: Any = None,
    ) -> None:
        """Write keys directly, bypassing the binding's 60-second expiration floor.

        ``data`` is a mapping of key to value (``str``, ``bytes``, or anything JSON),
        or wrangler bulk-put entries (``key``, ``value``, ``base64``, ``expiration``,
        ``expiration_ttl``, ``metadata``). A TTL of 0 or less seeds an expired key.
        Nothing is written if any item is invalid.

        Example: ``kv.seed({"flag:beta": "on"}, expirationTtl=5)``.
        """
        godview.seed(self._store, self._clock(), data, expiration, expirationTtl, metadata)

    def peek(self, key: str) -> KVEntry | None:
        """The live entry for ``key`` (value, metadata, expiration), or ``None``."""
        return godview.peek(self._store, key, self._clock())

    def keys(self, prefix: str | None = None) -> builtins.list[str]:
        """Every live key (under ``prefix``), in production's list order."""
        return godview.keys(self._store, prefix, self._clock())

    # -- what the runtime's binding object does for Python ----------------------------

    def __bool__(self) -> bool:
        return True

    def __len__(self) -> NoReturn:
        raise TypeError("'KvNamespace' object has no len()")

    def __iter__(self) -> NoReturn:
        raise TypeError("'KvNamespace' object is not iterable")

    def __repr__(self) -> str:
        return f"<KVNamespace {self.name!r}>"


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
            ns = self._ns
            return _read(ns._store, ns._clock(), "get", key, args, kwargs, False)
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    def getWithMetadata(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """Blocking ``getWithMetadata``."""
        __tracebackhide__ = True
        try:
            ns = self._ns
            return _read(ns._store, ns._clock(), "getWithMetadata", key, args, kwargs, True)
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    def put(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        """Blocking ``put``; a stream value must not wait on real I/O."""
        __tracebackhide__ = True
        try:
            ns = self._ns
            now = ns._clock()
            parsed, metadata, body = _prepare_put(key, value, args, kwargs)
            expiration = service.check_put(parsed, metadata, now)
            data = body if isinstance(body, bytes) else read_stream_blocking(body)
            service.store_put(ns._store, parsed.key, data, expiration, metadata)
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    def delete(self, key: Any, *args: Any) -> None:
        """Blocking ``delete``."""
        __tracebackhide__ = True
        try:
            _delete(self._ns._store, key, args)
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    def list(self, *args: Any, **kwargs: Any) -> JsDict:
        """Blocking ``list``."""
        __tracebackhide__ = True
        try:
            return list_page(self._ns._store, parse_list(args, kwargs), self._ns._clock())
        except KVError as error:
            raise error.with_traceback(None) from None  # the caller's frames only

    def __repr__(self) -> str:
        return f"<SyncKVNamespace {self._ns.name!r}>"
