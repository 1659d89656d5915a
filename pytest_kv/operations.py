"""What every binding call does, once, for the async binding and ``ns.sync`` alike:
read the clock, convert the arguments, check them in workerd's order, apply injected
failures and limits, ask the location's backend, and log the call.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from . import service
from .arguments import GetArgs, Key, PutArgs, parse_delete, parse_get, parse_list, parse_put
from .calls import KVCall
from .edge import Edge
from .errors import DELETE, GET, GET_BULK, PUT, KVError, KVTypeError
from .faults import Faults, count_operation
from .jsvalues import json_stringify
from .limits import MAX_KEY_BYTES, MAX_VALUE_BYTES, check_key
from .listing import PageShape, list_page
from .results import JsDict
from .store import Entry, Store
from .values import encode_value

if TYPE_CHECKING:
    from .namespace import KVNamespace

_PLAIN = GetArgs(None, None, None, None)  # get(key): text, the default cacheTtl

# Errors that mean the code under test sent a bad request, which it must not swallow.
VALIDATION_STATUSES = frozenset({400, 405, 413, 414})


class MovableClock(Protocol):
    """A clock that ``settle()`` and ``assert_eventually`` can move (``KVClock`` is one)."""

    def now(self) -> float: ...
    def advance(self, seconds: float | timedelta) -> float: ...


def wall_time() -> float:
    """``time.time()``, looked up on every call so freezegun and time-machine drive it."""
    return time.time()


class RunawayListingError(AssertionError):
    """Raised from ``list()`` when a listing loop under ``assert_paginates`` runs away."""


class Shared:
    """What every location's view of one namespace shares."""

    __slots__ = (
        "clock",
        "edge",
        "faults",
        "list_budget",
        "list_calls",
        "log",
        "name",
        "now",
        "settings",
        "shape",
        "store",
        "views",
    )

    def __init__(
        self,
        name: str,
        clock: Callable[[], float] | MovableClock | None,
        settings: Any,
        shape: PageShape | None,
        faults: Faults | None,
    ) -> None:
        self.name = name
        self.shape = shape
        self.faults = faults
        self.list_calls = 0
        # Set by assert_paginates, to stop a listing loop that never ends.
        self.list_budget: int | None = None
        # Raw call records; KVCall objects are built only when someone looks.
        self.log: list[tuple[Any, ...]] = []
        self.store = Store()
        self.settings = settings
        self.edge = (
            Edge(settings.locations, settings.propagation, settings.list_lag, self.store)
            if settings.eventual
            else None
        )
        self.clock = clock
        if clock is None:
            self.now: Callable[[], float] = wall_time
        elif callable(getattr(clock, "now", None)):
            self.now = clock.now  # type: ignore[union-attr]
        elif callable(clock):
            self.now = clock
        else:
            raise TypeError(f"clock must be a callable or have now() and advance(), got {clock!r}")
        self.views: dict[str, KVNamespace] = {}

    def advance(self, seconds: float) -> None:
        if not callable(getattr(self.clock, "advance", None)):
            raise RuntimeError(
                "this namespace's clock cannot be moved: pass a clock with now() and "
                "advance(), such as the kv_clock fixture, or use the kv fixtures"
            )
        self.clock.advance(seconds)  # type: ignore[union-attr]

    def calls(self) -> list[KVCall]:
        return [KVCall(*record) for record in self.log]

    def swallowable(self) -> list[KVCall]:
        """Failed calls whose error says the request itself was wrong."""
        return [
            call
            for call in self.calls()
            if call.error is not None
            and (isinstance(call.error, KVTypeError) or call.error.status in VALIDATION_STATUSES)
        ]


def _options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return args[0] if args else (kwargs or None)


def failed(
    ns: KVNamespace,
    method: str,
    key: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: KVError,
) -> KVError:
    """Log a failed call; return its error without the plugin's frames, to raise."""
    shared = ns._shared
    shared.log.append(
        (shared.now(), ns.location, method, key, _options(args, kwargs), str(error), None, error)
    )
    return error.with_traceback(None)


def read(
    ns: KVNamespace,
    method: str,
    key: object,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    with_metadata: bool,
) -> Any:
    shared = ns._shared
    now = shared.now()
    count_operation()
    faults = shared.faults
    if type(key) is str and not args and not kwargs and faults is None:
        # The common call, get(key): skip the general argument conversion.
        try:
            encoded = key.encode("utf-8")
        except UnicodeEncodeError:
            encoded = b""
        if 2 < len(encoded) <= MAX_KEY_BYTES:
            result, cache = service.get_one(
                ns._backend, _PLAIN, Key(key, encoded), now, with_metadata, ns._cache_ttl
            )
            value = result["value"] if with_metadata else result
            shared.log.append(
                (now, ns.location, method, key, None, "miss" if value is None else "ok", cache)
            )
            return result
    parsed = parse_get(method, key, args, kwargs)
    if parsed.keys is not None:
        names = [item.name for item in parsed.keys]
        if faults is not None:
            faults.check(method, GET_BULK, names)
        result = service.get_bulk(
            ns._backend, parsed, parsed.keys, now, with_metadata, ns._cache_ttl
        )
        shared.log.append((now, ns.location, method, names, _options(args, kwargs), "ok"))
        return result
    assert parsed.key is not None
    check_key(GET, parsed.key.name, parsed.key.encoded)
    if faults is not None:
        faults.check(method, GET, [parsed.key.name])
    result, cache = service.get_one(
        ns._backend, parsed, parsed.key, now, with_metadata, ns._cache_ttl
    )
    value = result["value"] if with_metadata else result
    shared.log.append(
        (
            now,
            ns.location,
            method,
            parsed.key.name,
            _options(args, kwargs),
            "miss" if value is None else "ok",
            cache,
        )
    )
    return result


@dataclass(slots=True)
class PutPlan:
    """A put checked up to the point where its value is read."""

    args: PutArgs
    metadata: str | None
    body: bytes | AsyncIterable[Any]
    expiration: int | None
    now: float
    options: Any


def put_plain(ns: KVNamespace, key: object, value: object) -> bool:
    """``put(key, value)`` with a text key and a str or bytes value and nothing else:
    the common call, done without the general argument conversion. Returns False,
    having done nothing, for any other call."""
    shared = ns._shared
    if shared.faults is not None or type(key) is not str:
        return False
    if type(value) is str:
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    elif type(value) is bytes:
        data = value
    else:
        return False
    try:
        encoded = key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    if not 2 < len(encoded) <= MAX_KEY_BYTES or len(data) > MAX_VALUE_BYTES:
        return False
    now = shared.now()
    count_operation()
    with shared.store.lock:
        ns._backend.write(encoded, key, Entry(data), now, ns._cache_ttl)
    shared.log.append((now, ns.location, "put", key, None, "ok"))
    return True


def plan_put(
    ns: KVNamespace, key: object, value: object, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> PutPlan:
    """workerd's side of a put, in its order (arguments, key name, metadata, value), then
    the service's checks that come before it reads the value."""
    shared = ns._shared
    now = shared.now()
    count_operation()
    parsed = parse_put(key, value, args, kwargs)
    check_key(PUT, parsed.key.name, parsed.key.encoded)
    metadata = None if parsed.metadata is None else json_stringify(parsed.metadata)
    body = encode_value(value)
    if shared.faults is not None:
        shared.faults.check("put", PUT, [parsed.key.name])
    expiration = service.check_put(parsed, metadata, now)
    return PutPlan(parsed, metadata, body, expiration, now, _options(args, kwargs))


def finish_put(ns: KVNamespace, plan: PutPlan, data: bytes) -> None:
    shared = ns._shared
    key = plan.args.key
    if shared.faults is not None:
        shared.faults.check_write("put", key.name, key.encoded, plan.now)
    service.store_put(
        ns._backend, key, data, plan.expiration, plan.metadata, plan.now, ns._cache_ttl
    )
    shared.log.append((plan.now, ns.location, "put", key.name, plan.options, "ok"))


def delete(ns: KVNamespace, key: object, args: tuple[Any, ...]) -> None:
    shared = ns._shared
    now = shared.now()
    count_operation()
    parsed = parse_delete(key, args)
    check_key(DELETE, parsed.name, parsed.encoded)
    if shared.faults is not None:
        shared.faults.check("delete", DELETE, [parsed.name])
        shared.faults.check_write("delete", parsed.name, parsed.encoded, now)
    service.delete(ns._backend, parsed, now, ns._cache_ttl)
    shared.log.append((now, ns.location, "delete", parsed.name, None, "ok"))


def list_keys(ns: KVNamespace, args: tuple[Any, ...], kwargs: dict[str, Any]) -> JsDict:
    shared = ns._shared
    now = shared.now()
    count_operation()
    shared.list_calls += 1
    if shared.list_budget is not None and shared.list_calls > shared.list_budget:
        raise RunawayListingError(
            f"list() was called {shared.list_calls} times, more than every page needs: "
            "the listing loop probably ignores the cursor or never sees list_complete"
        )
    parsed = parse_list(args, kwargs)
    if shared.faults is not None:
        shared.faults.check("list", GET, [parsed.prefix or ""])
    result = list_page(ns._backend, parsed, now, shared.shape)
    shared.log.append((now, ns.location, "list", None, _options(args, kwargs), "ok"))
    return result
