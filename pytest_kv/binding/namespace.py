"""``KVNamespace``: the binding (async, exactly the Python Workers shape), its blocking
twin ``ns.sync``, the view from each edge location, and the test-side god view.

Every async method first awaits its suspension point (``pytest_kv/suspension.py``),
so concurrent tasks interleave at KV calls as they do in production, and a call's
result is the state when it completes. Every call reads the clock once and hands that
instant to everything it does, so validation, expiry and the stored expiration can
never disagree. Errors are raised
with the plugin's own frames dropped, so a failing test shows the user's call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, NoReturn

from pytest_kv.errors import KVError, shown
from pytest_kv.js.jsdict import JsDict
from pytest_kv.kv.edge import LocationView
from pytest_kv.kv.faults import Faults
from pytest_kv.kv.listing import PageShape
from pytest_kv.kv.namespace import DEFAULT_LOG_LIMIT, MovableClock, Namespace
from pytest_kv.kv.service import Backend
from pytest_kv.kv.settings import Consistency, consistency, flag
from pytest_kv.suspension import suspend

from . import operations
from .instruments import Instruments
from .operations import failed, logged
from .sync import SyncKVNamespace
from .values import read_stream

__all__ = ["KVNamespace"]


class KVNamespace(Instruments):
    """A fake Workers KV namespace binding, usable as ``env.KV`` in Python Worker code.

    Its methods are the runtime's, with every call form the Python Workers SDK
    accepts, production's limits and exact error messages. Outside pytest, build one
    directly; inside, use the ``kv`` or ``kv_factory`` fixtures.

    Example::

        ns = KVNamespace("SESSIONS")
        await ns.put("s:1", "alice", expirationTtl=3600)
        assert await ns.get("s:1") == "alice"
        assert ns.sync.get("s:1") == "alice"

    ``id`` is the namespace's id for the REST API (default: derived from ``name``).
    ``clock`` replaces the time source: a callable returning epoch seconds, or an
    object with ``now()`` and ``advance()`` (needed by ``settle()``). ``locations``,
    ``consistency`` (``"strong"`` or ``"eventual"``), ``propagation``, ``cache_ttl``
    and ``list_lag`` choose the consistency model; ``page_size`` and ``empty_pages``
    give ``list()`` production-legal page shapes (see ``page_shape``); ``log_limit``
    is how many calls (and, in eventual mode, history events) are kept, the newest
    ones (default 100,000; 0 keeps all).
    """

    __slots__ = (
        "_backend",
        "_cache_ttl",
        "_now",
        "_shared",
        "_sync",
        "_views",
        "location",
        "name",
    )

    name: str
    location: str
    _shared: Namespace
    # Every location's view of this namespace, made once and shared by them all.
    _views: dict[str, KVNamespace]
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
        id: str | None = None,
        log_limit: int | None = DEFAULT_LOG_LIMIT,
    ) -> None:
        given: object = name  # typed str, but tests pass anything
        if not isinstance(given, str) or not given:
            raise TypeError(f"a namespace's name must be a non-empty str, got {shown(given)}")
        settings = _consistency(locations, consistency, propagation, cache_ttl, list_lag)
        shape = PageShape.of(page_size, empty_pages)
        read_only = flag("read_only", read_only)
        rate_limits = flag("rate_limits", rate_limits)
        faults = (
            Faults(read_only=read_only, rate_limit=rate_limits)
            if read_only or rate_limits
            else None
        )
        limit = _log_limit(log_limit)
        shared = Namespace(name, clock, settings, shape, faults, id, limit)
        self._bind(shared, settings.locations[0], {})

    @classmethod
    def bound_to(cls, shared: Namespace) -> KVNamespace:
        """The binding to a namespace the service already holds (one the REST API
        created, say), seen from its first location."""
        view = object.__new__(cls)
        view._bind(shared, shared.settings.locations[0], {})
        return view

    def _bind(self, shared: Namespace, location: str, views: dict[str, KVNamespace]) -> None:
        self.name = shared.name
        self.location = location
        self._shared = shared
        self._now = shared.now
        self._backend: Backend = (
            shared.store if shared.edge is None else LocationView(shared.edge, location)
        )
        self._cache_ttl = shared.settings.cache_ttl
        self._sync = SyncKVNamespace(self)
        self._views = views
        views[location] = self

    # -- the binding -------------------------------------------------------------

    async def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """``get(key, type | options)``, or a bulk read ``get([k1, k2], ...)``.

        Example: ``await kv.get("k", "json")``, ``await kv.get("k", cacheTtl=300)``.
        """
        __tracebackhide__ = True
        await suspend(self, "get", key, args, kwargs)
        try:
            return operations.read(self, "get", key, args, kwargs, False)
        except KVError as error:
            raise failed(self, "get", key, args, kwargs, error) from None
        except Exception as error:
            raise logged(self, "get", key, args, kwargs, error)  # noqa: B904 (the same error)

    async def getWithMetadata(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """``{"value", "metadata", "cacheStatus"}`` for a key; a dict of them for a list.

        Example: ``(await kv.getWithMetadata("k", "json")).metadata``.
        """
        __tracebackhide__ = True
        await suspend(self, "getWithMetadata", key, args, kwargs)
        try:
            return operations.read(self, "getWithMetadata", key, args, kwargs, True)
        except KVError as error:
            raise failed(self, "getWithMetadata", key, args, kwargs, error) from None
        except Exception as error:
            raise logged(self, "getWithMetadata", key, args, kwargs, error)  # noqa: B904 (the same error)

    async def put(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        """Store a value: ``put(key, value, {"expirationTtl": 60, "metadata": {...}})``.

        ``value`` may be ``str``, ``bytes``, ``memoryview`` or an async iterable of bytes.
        """
        __tracebackhide__ = True
        await suspend(self, "put", key, args, kwargs)
        try:
            if not operations.put_quick(self, key, value, args, kwargs):
                plan = operations.plan_put(self, key, value, args, kwargs)
                body = plan.body
                if isinstance(body, bytes):
                    operations.finish_put(self, plan, body, False)
                else:
                    operations.finish_put(self, plan, await read_stream(body), True)
        except KVError as error:
            raise failed(self, "put", key, args, kwargs, error) from None
        except Exception as error:
            raise logged(self, "put", key, args, kwargs, error)  # noqa: B904 (the same error)

    async def delete(self, key: Any, *args: Any) -> None:
        """Delete a key; deleting a missing key succeeds, as in production."""
        __tracebackhide__ = True
        await suspend(self, "delete", key, args, {})
        try:
            operations.delete(self, key, args)
        except KVError as error:
            raise failed(self, "delete", key, args, {}, error) from None
        except Exception as error:
            raise logged(self, "delete", key, args, {}, error)  # noqa: B904 (the same error)

    async def list(self, *args: Any, **kwargs: Any) -> JsDict:
        """One page of keys: ``list(prefix=..., limit=..., cursor=...)``.

        Follow ``result.get("cursor")`` until ``result["list_complete"]`` is true.
        """
        __tracebackhide__ = True
        await suspend(self, "list", None, args, kwargs)
        try:
            return operations.list_keys(self, args, kwargs)
        except KVError as error:
            raise failed(self, "list", None, args, kwargs, error) from None
        except Exception as error:
            raise logged(self, "list", None, args, kwargs, error)  # noqa: B904 (the same error)

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
    def id(self) -> str:
        """The namespace's id, as the REST API and the wrangler config name it (32 hex
        digits; derived from the name unless given)."""
        return self._shared.id

    @property
    def consistency(self) -> str:
        """``"strong"`` or ``"eventual"``."""
        return "eventual" if self._shared.edge is not None else "strong"

    def at(self, location: str) -> KVNamespace:
        """The same namespace as code running at ``location`` sees it (same API).

        Example: ``await kv.at("syd").get("flag")``.
        """
        if not isinstance(location, str):
            raise TypeError(f"a location is a name (str), got {shown(location)}")
        view = self._views.get(location)
        if view is None:
            shared = self._shared
            if location not in shared.settings.locations:
                raise ValueError(
                    f"unknown location {location!r}; the locations of namespace "
                    f"{shared.name!r} are: {', '.join(shared.settings.locations)}"
                )
            view = object.__new__(KVNamespace)
            view._bind(shared, location, self._views)
        return view

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


def _log_limit(limit: object) -> int | None:
    """How many calls the log keeps: a whole number, or 0 or None for all of them."""
    if limit is None or limit == 0:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"log_limit must be a whole number >= 0 (0: no limit), got {limit!r}")
    return limit


# Checked settings by their arguments, for arguments that are plain values: a suite
# makes the same few kinds of namespace thousands of times. Consistency and its Fixed
# model are frozen, so namespaces can share them.
_SETTINGS: dict[tuple[Any, ...], Consistency] = {}
_PLAIN_NUMBERS: Final = (type(None), int, float)


def _consistency(
    locations: Sequence[str], mode: str, propagation: Any, cache_ttl: Any, list_lag: Any
) -> Consistency:
    __tracebackhide__ = True
    plain = (
        type(locations) in (list, tuple)
        and type(mode) is str
        and type(propagation) in _PLAIN_NUMBERS
        and type(cache_ttl) in _PLAIN_NUMBERS
        and type(list_lag) in _PLAIN_NUMBERS
        and all(type(location) is str for location in locations)
    )
    if not plain:
        return consistency(locations, mode, propagation, cache_ttl, list_lag)
    # The types too: 60 and 60.0 are equal keys, but not always the same setting.
    key = (
        tuple(locations),
        mode,
        propagation,
        type(propagation),
        cache_ttl,
        type(cache_ttl),
        list_lag,
        type(list_lag),
    )
    settings = _SETTINGS.get(key)
    if settings is None:
        settings = consistency(locations, mode, propagation, cache_ttl, list_lag)
        if len(_SETTINGS) >= 256:  # a suite that makes endless kinds: stay small
            _SETTINGS.clear()
        _SETTINGS[key] = settings
    return settings
