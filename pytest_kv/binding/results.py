"""What the binding hands back: the service's answers shaped as the Python Workers
runtime shapes them (``JsDict``s, values decoded by type, metadata parsed)."""

from __future__ import annotations

from typing import Any

from pytest_kv.js.jsdict import JsDict, is_array_index
from pytest_kv.js.json_memo import parsed_json
from pytest_kv.kv.keys import Key, name_of
from pytest_kv.kv.store import Entry

from .values import TEXT, decode_value


def metadata_of(entry: Entry) -> Any:
    """The entry's metadata as a fresh object, so callers cannot change the store."""
    return None if entry.metadata is None else parsed_json(entry.metadata)


def read_result(
    entry: Entry | None, response_type: str | None, with_metadata: bool, cache_status: str | None
) -> Any:
    """A single-key read's result: the value, or ``{value, metadata, cacheStatus}``."""
    # workerd checks the type only once the service has answered, so a miss with
    # an unknown type is still just a miss.
    if entry is None:
        value = metadata = None
    else:
        if response_type is None or response_type == TEXT:
            value = entry.value.decode("utf-8", "replace")
        else:
            value = decode_value(entry.value, response_type)
        metadata = (
            parsed_json(entry.metadata) if with_metadata and entry.metadata is not None else None
        )
    if not with_metadata:
        return value
    return JsDict(value=value, metadata=metadata, cacheStatus=cache_status)


def bulk_result(found: list[tuple[Key, Entry | None, Any]], with_metadata: bool) -> JsDict:
    """A bulk read's result: a dict in request order, ``None`` for each miss."""
    result = JsDict()
    for key, entry, value in found:
        # workerd builds the returned Map from the answer's property names while
        # skipping array indices, so keys like "42" never come back from a bulk read,
        # found or not. Production does this too; code that bulk-reads numeric keys
        # loses them there, so it loses them here.
        if is_array_index(key.name):
            continue
        if entry is None:
            result[key.name] = None
        elif not with_metadata:
            result[key.name] = value
        elif value is None:
            # Miniflare's service answers a stored JSON null as a miss.
            result[key.name] = None
        else:
            result[key.name] = JsDict(value=value, metadata=metadata_of(entry))
    return result


def list_result(entries: list[tuple[bytes, Entry]], cursor: str | None) -> JsDict:
    """A ``list()`` page exactly as production shapes it: each key with
    ``expiration`` and ``metadata`` only when set, ``cursor`` only while
    ``list_complete`` is false, and ``cacheStatus`` always."""
    keys = []
    for key, entry in entries:
        try:
            name = key.decode()
        except UnicodeDecodeError:  # a lone surrogate, which only the god view stores
            name = name_of(key)
        item = JsDict()  # then a store: a third cheaper than JsDict(name=name)
        item["name"] = name
        if entry.expiration is not None:
            item["expiration"] = entry.expiration
        if entry.metadata is not None:
            item["metadata"] = parsed_json(entry.metadata)
        keys.append(item)
    result = JsDict(keys=keys, list_complete=cursor is None)
    if cursor is not None:
        result["cursor"] = cursor
    result["cacheStatus"] = None
    return result
