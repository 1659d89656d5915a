"""How the binding's call forms become the values workerd works with.

The Python Workers SDK sends each positional argument through ``python_to_rpc`` and
Pyodide appends keyword arguments as one trailing options object. So
``get(k, "json")``, ``get(k, type="json")`` and ``get(k, {"type": "json"})`` are the
same call, while ``get(k, "json", cacheTtl=60)`` would pass the options as an extra
argument that production ignores: pytest-kv makes that an error instead.

Conversions follow workerd: keys and strings through JavaScript's ``String()``,
numeric options through the runtime's int32 rule (``NaN`` is 0, fractions truncate,
out of range is a ``TypeError``), and ``None`` is JavaScript ``null``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple, TypeAlias

from pytest_kv.errors import KVTypeError, did_you_mean, not_sendable, shown
from pytest_kv.js.convert import check_sendable, to_int32, to_js_string
from pytest_kv.js.plain import plain_json
from pytest_kv.kv.keys import Key, key_of, make_key

GET_OPTIONS: Final = ("type", "cacheTtl")
PUT_OPTIONS: Final = ("expiration", "expirationTtl", "metadata")
LIST_OPTIONS: Final = ("limit", "prefix", "cursor")


class _Absent:
    """JavaScript ``undefined``: an option that was not given at all."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Final = _Absent()


# The converted arguments are NamedTuples: built on every call, they must be cheap.


class GetArgs(NamedTuple):
    key: Key | None  # None for a bulk read
    keys: list[Key] | None  # the bulk read's keys, in request order
    response_type: str | None  # None when not given (text)
    cache_ttl: int | None


class PutArgs(NamedTuple):
    key: Key
    value: Any
    expiration: int | None
    expiration_ttl: int | None
    metadata: Any  # as given; stringified only after the key is checked


class ListArgs(NamedTuple):
    limit: int
    prefix: str | None
    cursor: str | None


def convert_key(method: str, key: object) -> Key:
    """A key as workerd receives it: ``String(key)``, as well-formed UTF-8."""
    if isinstance(key, str):
        name = key
    elif key is None or isinstance(key, (bool, int, float)):
        name = to_js_string(key)
    elif isinstance(key, (tuple, bytearray)):
        raise not_sendable(key)
    else:
        raise KVTypeError(
            f"KV {method}(): a key must be a str, got {type(key).__name__} {shown(key)}. "
            "Workers KV would turn it into a string with JavaScript's String(), "
            "which is almost never the key you meant."
        )
    return key_of(name)


def _bulk_key(key: Key) -> Key:
    # Bulk keys travel in a JSON body, not a URL: a lone surrogate arrives as its
    # three replacement characters instead of failing.
    return key if key.well_formed else Key(key.name, key.name.encode("utf-8"))


def _check_option_names(method: str, options: Mapping[Any, Any], known: tuple[str, ...]) -> None:
    for name in options:
        if name not in known:
            raise KVTypeError(
                f"KV {method}(): unknown option {name!r}{did_you_mean(str(name), known)} "
                "Workers KV silently ignores option names it does not know, so in "
                "production this call would behave as if the option were not given. "
                f"The options of {method}() are: {', '.join(known)}."
            )


def _options(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any], max_positional: int
) -> object:
    """The one options argument of a call: positional, keywords, or absent."""
    if len(args) > max_positional:
        raise KVTypeError(
            f"KV {method}() got {len(args)} arguments after the key where it takes "
            f"at most {max_positional}; production would ignore the rest."
        )
    if kwargs and args:
        raise KVTypeError(
            f"KV {method}(): keyword options ({', '.join(kwargs)}) cannot be combined "
            "with a positional options argument. Pyodide would pass them as an extra "
            "argument that Workers KV ignores, so they would have no effect in "
            f"production. Put them in one options dict instead."
        )
    if args:
        return args[0]
    if kwargs:
        return kwargs
    return ABSENT


def _options_dict(
    method: str, options: object, known: tuple[str, ...], parameter: int, type_name: str
) -> Mapping[Any, Any]:
    if options is ABSENT or options is None:
        return {}
    if isinstance(options, (str, bool, int, float, bytes)):
        # workerd's own words for a primitive where an options object belongs.
        raise KVTypeError(
            f"Failed to execute '{method}' on 'KvNamespace': parameter {parameter} "
            f"is not of type '{type_name}'."
        )
    if not isinstance(options, Mapping):
        # Production reads a list or another object as options with no fields set;
        # passing one is always a mistake, so say so.
        raise KVTypeError(
            f"KV {method}(): the options must be a dict or None, got "
            f"{type(options).__name__} {shown(options)}; Workers KV would ignore it."
        )
    _check_option_names(method, options, known)
    return options


def parse_get(method: str, key: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> GetArgs:
    """Arguments of ``get`` / ``getWithMetadata``, single or bulk."""
    check_sendable(key)
    options = _options(method, args, kwargs, 1)
    check_sendable(options)
    if isinstance(key, list):
        single, keys = None, [_bulk_key(convert_key(method, item)) for item in key]
    else:
        single, keys = convert_key(method, key), None
    response_type: str | None = None
    cache_ttl: int | None = None
    if isinstance(options, str):
        response_type = options
    elif isinstance(options, (bool, int, float)):
        response_type = to_js_string(options)
    else:
        fields = _options_dict(method, options, GET_OPTIONS, 2, "GetOptions")
        if "type" in fields:
            response_type = to_js_string(fields["type"])
        if "cacheTtl" in fields:
            cache_ttl = to_int32(fields["cacheTtl"])
    return GetArgs(single, keys, response_type, cache_ttl)


def quick_get_options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any] | None:
    """The ``(type, cacheTtl)`` of a single-key read in the common forms (a type
    string; keywords or a dict holding a str type, an int cacheTtl, or both), each
    ``None`` when not given; or ``None`` for ``parse_get`` to decide. Anything unusual
    goes the general way, so both give the same result."""
    if args:
        if kwargs or len(args) != 1:
            return None
        options = args[0]
        if type(options) is str:
            return options, None
        if type(options) is not dict:
            return None
    else:
        options = kwargs
        if len(options) == 1:  # type="json", the keyword form most calls use
            response_type = options.get("type")
            if type(response_type) is str:
                return response_type, None
    response_type = options.get("type")
    cache_ttl = options.get("cacheTtl")
    known = (response_type is not None) + (cache_ttl is not None)
    if (
        known != len(options)
        or (response_type is not None and type(response_type) is not str)
        or (
            cache_ttl is not None
            and (type(cache_ttl) is not int or not _MIN_INT32 <= cache_ttl <= _MAX_INT32)
        )
    ):
        return None
    return response_type, cache_ttl


def quick_bulk_keys(names: list[Any]) -> list[Key] | None:
    """The keys of a bulk read as ``parse_get`` makes them, when every name is a
    ``str`` (nothing to check before converting it); else ``None``, for the general
    way. The service checks each key itself."""
    keys = []
    for name in names:
        if type(name) is not str:
            return None
        try:
            keys.append(make_key((name, name.encode("utf-8"), True)))
        except UnicodeEncodeError:  # surrogates: key_of's work, the general way
            return None
    return keys


def quick_list(args: tuple[Any, ...], kwargs: dict[str, Any]) -> ListArgs | None:
    """``parse_list``'s answer for the common forms (an int limit, str prefix and
    cursor, as keywords or one dict), or ``None`` for the general way."""
    if args:
        if kwargs or len(args) != 1 or type(args[0]) is not dict:
            return None
        options = args[0]
    else:
        options = kwargs
    limit = options.get("limit")
    prefix = options.get("prefix")
    cursor = options.get("cursor")
    known = (limit is not None) + (prefix is not None) + (cursor is not None)
    if (
        known != len(options)
        or (limit is not None and (type(limit) is not int or not _MIN_INT32 <= limit <= _MAX_INT32))
        or (prefix is not None and type(prefix) is not str)
        or (cursor is not None and type(cursor) is not str)
    ):
        return None
    return ListArgs(limit or 0, prefix, cursor)


# (expiration, expirationTtl, metadata, its JSON): a plain tuple, which costs a
# third of a NamedTuple's construction on this path.
QuickPut: TypeAlias = tuple[int | None, int | None, Any, str | None]
NO_PUT_OPTIONS: Final[QuickPut] = (None, None, None, None)


def quick_put_options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> QuickPut | None:
    """``parse_put``'s options, and the metadata's JSON, in the common forms (integer
    expirations and plain JSON metadata, as keywords or one dict), or ``None`` for
    the general way. The caller checks the key and the value."""
    if args:
        if kwargs or len(args) != 1 or type(args[0]) is not dict:
            return None
        options = args[0]
    elif not kwargs:
        return NO_PUT_OPTIONS
    else:
        options = kwargs
    # Each option given is checked and counted off; any left over (an unknown name,
    # or a known one given as None) sends the call the general way.
    left = len(options)
    ttl = options.get("expirationTtl")
    if ttl is not None:
        if type(ttl) is not int or not _MIN_INT32 <= ttl <= _MAX_INT32:
            return None
        if left == 1:  # a TTL alone, the form most puts with options take
            return (None, ttl, None, None)
        left -= 1
    metadata = options.get("metadata")
    if metadata is not None:
        left -= 1
    expiration = options.get("expiration") if left else None
    if expiration is not None:
        if type(expiration) is not int or not _MIN_INT32 <= expiration <= _MAX_INT32:
            return None
        left -= 1
    if left:
        return None
    if metadata is None:
        return (expiration, ttl, None, None)
    text = plain_json(metadata)
    if text is None:
        return None
    return (expiration, ttl, metadata, text)


# What ToInt32 keeps unchanged; written inline in the quick paths, where a call costs.
_MIN_INT32: Final = -0x80000000
_MAX_INT32: Final = 0x7FFFFFFF


def parse_put(key: object, value: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> PutArgs:
    """Arguments of ``put``, converted; the value and metadata are checked later, in
    workerd's order (key name, then metadata, then the value's type)."""
    check_sendable(key)
    check_sendable(value)
    options = _options("put", args, kwargs, 1)
    check_sendable(options)
    converted = convert_key("put", key)
    fields = _options_dict("put", options, PUT_OPTIONS, 3, "PutOptions")
    expiration = to_int32(fields["expiration"]) if "expiration" in fields else None
    ttl = to_int32(fields["expirationTtl"]) if "expirationTtl" in fields else None
    return PutArgs(converted, value, expiration, ttl, fields.get("metadata"))


def parse_delete(key: object, args: tuple[Any, ...]) -> Key:
    check_sendable(key)
    if args:
        raise KVTypeError(
            f"KV delete() takes only a key, got {len(args)} more arguments; "
            "production would ignore them."
        )
    return convert_key("delete", key)


def parse_list(args: tuple[Any, ...], kwargs: dict[str, Any]) -> ListArgs:
    options = _options("list", args, kwargs, 1)
    check_sendable(options)
    fields = _options_dict("list", options, LIST_OPTIONS, 1, "ListOptions")
    limit = to_int32(fields["limit"]) if "limit" in fields else 0
    return ListArgs(
        limit,
        _text_option(fields.get("prefix"), "prefix"),
        _text_option(fields.get("cursor"), "cursor"),
    )


def _text_option(value: object, name: str) -> str | None:
    """A string option (``prefix``, ``cursor``), converted as a key is."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return to_js_string(value)
    raise KVTypeError(
        f"KV list(): {name} must be a str or None, got {type(value).__name__} {shown(value)}. "
        "Workers KV would turn it into a string with JavaScript's String(), which is "
        f"almost never the {name} you meant."
    )
