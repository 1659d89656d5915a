"""What every binding call does, once, for the async binding and ``ns.sync`` alike:
read the clock, convert the arguments, check them in workerd's order, apply injected
failures and limits, ask the location's backend, shape the answer, and log the call.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import AsyncIterable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, cast

from pytest_kv.errors import DELETE, GET, GET_BULK, PUT, KVError
from pytest_kv.js.json_memo import parsed_json
from pytest_kv.js.json_stringify import json_stringify
from pytest_kv.js.text import encode_text
from pytest_kv.kv import service
from pytest_kv.kv.calllog import logged_value
from pytest_kv.kv.faults import RunawayListingError, count_operation
from pytest_kv.kv.keys import Key, key_of, make_key
from pytest_kv.kv.limits import (
    MAX_KEY_BYTES,
    MAX_METADATA_BYTES,
    MAX_VALUE_BYTES,
    MIN_CACHE_TTL,
    MIN_EXPIRATION_TTL,
    check_cache_ttl,
    check_key,
    check_list_limit,
    check_metadata_size,
    check_prefix,
    resolve_expiration,
)
from pytest_kv.kv.listing import list_page
from pytest_kv.kv.namespace import TRIAL
from pytest_kv.kv.store import Entry

from .arguments import (
    PutArgs,
    convert_key,
    parse_delete,
    parse_get,
    parse_list,
    parse_put,
    quick_bulk_keys,
    quick_get_options,
    quick_list,
    quick_put_options,
)
from .results import bulk_result, list_result, read_result
from .values import JSON, TEXT, decode_value, encode_value

if TYPE_CHECKING:
    from pytest_kv.js.jsdict import JsDict

    from .namespace import KVNamespace


def _options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The options of a call as the log keeps them: a copy, so that a caller who
    changes its dict afterwards cannot rewrite what the log says was sent."""
    if args:
        options = args[0]
        if not isinstance(options, dict):
            return options
    elif kwargs:
        options = kwargs
    else:
        return None
    copied = options if options is kwargs else dict(options)  # keywords: a fresh dict
    for name, value in options.items():
        if type(value) not in _SCALARS and isinstance(value, (dict, list)):
            if copied is options:
                copied = dict(options)
            copied[name] = logged_value(value)
    return copied


_SCALARS: Final = frozenset((str, int, float, bool, type(None)))


def _logged_key(method: str, key: object) -> Any:
    """A failed call's key as the log shows it: converted as the call converts it,
    where it can be, so ``get_calls(key=...)`` finds it."""
    if isinstance(key, str):
        return key
    if isinstance(key, list):
        return [_one_key(method, item) for item in key]
    return _one_key(method, key)


def _one_key(method: str, key: object) -> Any:
    if isinstance(key, str) or (not isinstance(key, (bool, int, float)) and key is not None):
        return key
    try:
        return convert_key(method, key).name
    except Exception:
        return key


def failed(
    ns: KVNamespace,
    method: str,
    key: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: KVError,
) -> KVError:
    """Log a failed call; return its error without the plugin's frames, to raise."""
    logged(ns, method, key, args, kwargs, error)
    return error.with_traceback(None)


def logged(
    ns: KVNamespace,
    method: str,
    key: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: BaseException,
) -> BaseException:
    """Log a call that failed with an error that is not the service's (an injected
    one, or one from the caller's own stream); return it to raise, keeping only the
    frames of the caller's code in its traceback."""
    shared = ns._shared
    outcome = str(error) if isinstance(error, KVError) else f"{type(error).__name__}: {error}"
    shared.failed(
        (
            shared.now(),
            ns.location,
            method,
            _logged_key(method, key),
            _options(args, kwargs),
            outcome,
            None,
            error,
        )
    )
    return error.with_traceback(_callers_frames(error.__traceback__))


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _callers_frames(traceback: TracebackType | None) -> TracebackType | None:
    kept = []
    while traceback is not None:
        if not traceback.tb_frame.f_code.co_filename.startswith(_PACKAGE):
            kept.append(traceback)
        traceback = traceback.tb_next
    for entry, after in itertools.pairwise(kept):
        entry.tb_next = after
    if kept:
        kept[-1].tb_next = None
    return kept[0] if kept else None


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
    faults = shared.faults
    if type(key) is str and faults is None:
        # The common calls: a text key, no options or a type and a cacheTtl of
        # exact types. They skip the general argument conversion.
        options = (None, None) if not args and not kwargs else quick_get_options(args, kwargs)
        if options is not None:
            try:
                encoded = key.encode("utf-8")
            except UnicodeEncodeError:
                encoded = b""
            if 2 < len(encoded) <= MAX_KEY_BYTES:
                count_operation()
                response_type, cache_ttl = options
                if cache_ttl is None:
                    cache_ttl = ns._cache_ttl
                elif cache_ttl < MIN_CACHE_TTL:
                    check_cache_ttl(GET, cache_ttl)  # raises
                backend = ns._backend
                with backend.lock:
                    entry, cache = backend.read(encoded, now, cache_ttl)
                if with_metadata:
                    result = read_result(entry, response_type, True, cache)
                    present = result["value"] is not None
                elif entry is None:
                    result, present = None, False
                elif response_type is None or response_type == TEXT:
                    result, present = entry.value.decode("utf-8", "replace"), True
                elif response_type == JSON:
                    result = parsed_json(entry.value)
                    present = result is not None
                else:
                    result = decode_value(entry.value, response_type)
                    present = result is not None
                if args:  # checked above: a type, or a dict of a str and an int
                    logged_options: Any = args[0] if type(args[0]) is str else args[0].copy()
                else:
                    logged_options = kwargs or None
                shared.log.append(
                    (
                        now,
                        ns.location,
                        method,
                        key,
                        logged_options,
                        "ok" if present else "miss",
                        cache,
                    )
                )
                return result
    bulk = _quick_bulk(key, args, kwargs) if faults is None and type(key) is list else None
    if bulk is None:
        parsed = parse_get(method, key, args, kwargs)
        if parsed.keys is not None:
            names = [item.name for item in parsed.keys]
            bulk = (names, parsed.keys, parsed.response_type, parsed.cache_ttl)
    if bulk is not None:
        names, keys, response_type, cache_ttl = bulk
        count_operation()  # the service checks bulk keys; workerd sends them all
        if faults is not None:
            faults.check(method, GET_BULK, names)
        found = service.get_bulk(ns._backend, response_type, keys, cache_ttl, now, ns._cache_ttl)
        result = bulk_result(found, with_metadata)
        shared.log.append((now, ns.location, method, names, _options(args, kwargs), "ok"))
        return result
    assert parsed.key is not None
    check_key(GET, parsed.key.name, parsed.key.encoded)
    count_operation()
    if faults is not None:
        faults.check(method, GET, [parsed.key.name])
    entry, cache = service.get_one(ns._backend, parsed.key, parsed.cache_ttl, now, ns._cache_ttl)
    result = read_result(entry, parsed.response_type, with_metadata, cache)
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


def _quick_bulk(
    key: list[Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[list[str], list[Key], str | None, int | None] | None:
    """For a bulk read of ``str`` keys in the common option forms, the names as the
    log keeps them (a copy of the caller's list) and ``parse_get``'s keys, type and
    cacheTtl; or ``None`` for the general way."""
    options = (None, None) if not args and not kwargs else quick_get_options(args, kwargs)
    if options is None:
        return None
    keys = quick_bulk_keys(key)
    return None if keys is None else (key.copy(), keys, *options)


@dataclass(slots=True)
class PutPlan:
    """A put checked up to the point where its value is read."""

    args: PutArgs
    metadata: str | None
    body: bytes | AsyncIterable[Any]
    expiration: int | None
    now: float
    options: Any


def put_quick(
    ns: KVNamespace, key: object, value: object, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> bool:
    """A put in the common forms (a text key, a str or bytes value, integer
    expirations and plain JSON metadata, no injected faults), done in the general
    path's order without its argument conversion. Returns False, having done
    nothing, for any other call."""
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
    options = quick_put_options(args, kwargs)
    if options is None:
        return False
    given, ttl, _, metadata = options
    expiration = given
    now = shared.now()
    count_operation()  # workerd's own checks passed: the request is sent
    # resolve_expiration's answer for a valid TTL or expiration, without the call;
    # it raises the errors of the rest.
    if ttl is not None:
        second = math.floor(now)
        if ttl >= MIN_EXPIRATION_TTL:
            expiration = second + ttl
        else:
            expiration = resolve_expiration(second, None, ttl)
    elif expiration is not None:
        second = math.floor(now)
        if expiration < second + MIN_EXPIRATION_TTL:
            expiration = resolve_expiration(second, expiration, None)
    # No text this short is over the limit (check_metadata_size's own shortcut,
    # here without the call).
    if metadata is not None and len(metadata) > MAX_METADATA_BYTES // 4:
        check_metadata_size(metadata)
    backend = ns._backend
    edge = shared.edge
    # Only the user's own propagation models have work to do before the lock.
    prepared = backend.prepare(key, now) if edge is not None and edge.eager else None
    with shared.store.lock:
        backend.write(encoded, key, Entry(data, expiration, metadata), now, ns._cache_ttl, prepared)
    if metadata is None:
        # The options as the log keeps them (see _options): the keywords' dict is
        # the call's own.
        logged: Any = args[0].copy() if args else (kwargs or None)
        shared.log.append((now, ns.location, "put", key, logged, "ok"))
    else:
        # With plain metadata the options go in the log flat (see call_of): their
        # names, the metadata as the JSON text just written and the expirations as
        # given, instead of a copy of the caller's dicts that the garbage collector
        # would scan for as long as the log keeps it.
        names = tuple(args[0] if args else kwargs)
        shared.log.append(
            (now, ns.location, "put", key, names, "ok", None, None, metadata, given, ttl)
        )
    return True


def plan_put(
    ns: KVNamespace, key: object, value: object, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> PutPlan:
    """workerd's side of a put, in its order (arguments, key name, metadata, value), then
    the service's checks that come before it reads the value."""
    shared = ns._shared
    now = shared.now()
    # With injected failures every call goes the general way (and a test compares
    # the two ways by injecting none).
    quick = (
        quick_put_options(args, kwargs)
        if shared.faults is None and type(key) is str and type(value) in (str, bytes)
        else None
    )
    if quick is None:
        parsed = parse_put(key, value, args, kwargs)
        metadata = None if parsed.metadata is None else json_stringify(parsed.metadata)
    else:
        name = key_of(cast(str, key))  # a str: checked above
        expiration, ttl, given, metadata = quick
        parsed = PutArgs(name, value, expiration, ttl, given)
    check_key(PUT, parsed.key.name, parsed.key.encoded)
    body = encode_value(value)
    count_operation()  # workerd's own checks passed: the request is sent
    if shared.faults is not None:
        shared.faults.check("put", PUT, [parsed.key.name])
    expiration = service.check_put(
        parsed.key,
        parsed.metadata is not None,
        metadata,
        parsed.expiration,
        parsed.expiration_ttl,
        now,
    )
    return PutPlan(parsed, metadata, body, expiration, now, _options(args, kwargs))


def finish_put(ns: KVNamespace, plan: PutPlan, data: bytes, streamed: bool) -> None:
    """Store the value. A streamed value is written when its body is complete, as in
    production, so the write's instant is read again (its expiration is not: the
    service checked it when the request began)."""
    shared = ns._shared
    key = plan.args.key
    now = shared.now() if streamed else plan.now
    service.store_put(
        ns._backend, key, data, plan.expiration, plan.metadata, now, ns._cache_ttl, shared.faults
    )
    shared.log.append((now, ns.location, "put", key.name, plan.options, "ok"))


def delete(ns: KVNamespace, key: object, args: tuple[Any, ...]) -> None:
    shared = ns._shared
    now = shared.now()
    if type(key) is str and not args and shared.faults is None:
        try:  # parse_delete's answer for a well-formed text key, without its calls
            parsed = make_key((key, key.encode("utf-8"), True))
        except UnicodeEncodeError:  # lone surrogates: key_of's work, the general way
            parsed = parse_delete(key, args)
    else:
        parsed = parse_delete(key, args)
    check_key(DELETE, parsed.name, parsed.encoded)
    count_operation()
    if shared.faults is not None:
        shared.faults.check("delete", DELETE, [parsed.name])
    service.delete(ns._backend, parsed, now, ns._cache_ttl, shared.faults)
    shared.log.append((now, ns.location, "delete", parsed.name, None, "ok"))


def list_keys(ns: KVNamespace, args: tuple[Any, ...], kwargs: dict[str, Any]) -> JsDict:
    shared = ns._shared
    now = shared.now()
    quick = quick_list(args, kwargs) if shared.faults is None else None
    parsed = quick or parse_list(args, kwargs)
    shape = shared.shape
    trial = TRIAL.get()
    if trial is not None and trial.namespace is shared:
        trial.calls += 1
        if trial.calls > trial.budget:
            raise RunawayListingError(
                f"list() was called {trial.calls} times, more than every page needs: "
                "the listing loop probably ignores the cursor or never sees list_complete"
            )
        shape = trial.shape
    count_operation()
    if shared.faults is not None:
        shared.faults.check("list", GET, [parsed.prefix or ""])
    limit = check_list_limit(GET, parsed.limit)
    prefix = encode_text(parsed.prefix) if parsed.prefix else b""
    check_prefix(GET, prefix)
    entries, cursor = list_page(ns._backend, limit, prefix, parsed.cursor, now, shape)
    result = list_result(entries, cursor)
    # quick_list takes only ints and strs, which _options keeps as they are: the
    # keywords' dict is the call's own, and a dict argument is copied.
    logged = (
        _options(args, kwargs) if quick is None else args[0].copy() if args else (kwargs or None)
    )
    shared.log.append((now, ns.location, "list", None, logged, "ok"))
    return result
