"""``PUT /bulk`` (write), ``POST /bulk/delete`` and the older ``DELETE /bulk``
(delete), ``POST /bulk/get`` (read): many keys in one request, all checked before
any is touched, so a rejected request changes nothing."""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Final

from pytest_kv.errors import KVError
from pytest_kv.js.json_parse import json_parse
from pytest_kv.kv import service
from pytest_kv.kv.bulk import parse_bulk_entry
from pytest_kv.kv.keys import Key, key_of
from pytest_kv.kv.limits import check_metadata_size, check_value_size, resolve_expiration

from .codes import (
    BODY_TOO_LARGE_TEXT,
    BULK_DELETE_MAX_TEXT,
    BULK_WRITE_MAX_TEXT,
    TOO_LARGE,
    KVApiError,
    error,
    from_service,
    validation,
)
from .context import Call, check_key
from .envelope import Answer, success
from .request import MISSING, ApiRequest, all_issues, expect, zod_type

MAX_ITEMS: Final = 10_000
MAX_BODY: Final = 100 * 1000 * 1000  # "100 MB" (documented in decimal megabytes)
MAX_BULK_GET_KEY_CHARS: Final = 512


def _item_error(index: int, failure: KVError) -> KVApiError:
    answer = from_service(failure)
    return KVApiError(answer.status or 400, answer.code, f"item {index}: {answer.message}")


def _array(request: ApiRequest) -> list[Any]:
    if len(request.body) > MAX_BODY:
        raise error(TOO_LARGE, BODY_TOO_LARGE_TEXT)
    body = request.json()
    if not isinstance(body, list):
        raise validation(f"Expected array, received {zod_type(body)}")
    return body


def write(request: ApiRequest, call: Call, segments: list[str]) -> Answer:
    """``PUT /bulk``: up to 10,000 ``{key, value, expiration?, expiration_ttl?,
    metadata?, base64?}`` items."""
    items = _array(request)
    if len(items) > MAX_ITEMS:
        raise validation(BULK_WRITE_MAX_TEXT)
    now_seconds = math.floor(call.now)
    planned: list[tuple[Key, bytes, int | None, str | None]] = []
    for index, item in enumerate(items):
        try:
            parsed = parse_bulk_entry(item, f"item {index}")
        except ValueError as problem:
            raise validation(str(problem)) from None
        key = key_of(parsed.key)
        try:
            check_key(key)
        except KVApiError as bad:
            raise KVApiError(bad.status or 400, bad.code, f"item {index}: {bad.message}") from None
        try:
            expiration = resolve_expiration(now_seconds, parsed.expiration, parsed.expiration_ttl)
            check_metadata_size(parsed.metadata)
            check_value_size(len(parsed.value))
        except KVError as failure:
            raise _item_error(index, failure) from None
        planned.append((key, parsed.value, expiration, parsed.metadata))
    names = [key.name for key, *_ in planned]
    call.key = names
    call.faults(names)
    namespace = call.namespace
    assert namespace is not None
    try:
        service.store_many(namespace.central, planned, call.now, namespace.faults)
    except KVError as failure:
        raise from_service(failure) from None
    return success({"successful_key_count": len(planned), "unsuccessful_keys": []})


def delete(request: ApiRequest, call: Call, segments: list[str]) -> Answer:
    """``POST /bulk/delete`` or ``DELETE /bulk``: up to 10,000 key names."""
    names = _array(request)
    if len(names) > MAX_ITEMS:
        raise validation(BULK_DELETE_MAX_TEXT)
    keys: list[Key] = []
    for index, name in enumerate(names):
        if not isinstance(name, str):
            raise validation(f"{index}: Expected string, received {zod_type(name)}")
        key = key_of(name)
        try:
            check_key(key)
        except KVApiError as bad:
            raise KVApiError(bad.status or 400, bad.code, f"item {index}: {bad.message}") from None
        keys.append(key)
    call.key = [key.name for key in keys]
    call.faults(call.key)
    namespace = call.namespace
    assert namespace is not None
    try:
        service.delete_many(namespace.central, keys, call.now, namespace.faults)
    except KVError as failure:
        raise from_service(failure) from None
    return success({"successful_key_count": len(keys), "unsuccessful_keys": []})


def _bulk_key(name: object, index: int) -> None:
    expect(name, "string", f"keys.{index}")
    assert isinstance(name, str)
    if len(name.encode("utf-16-le", "surrogatepass")) // 2 > MAX_BULK_GET_KEY_CHARS:
        raise validation(f"keys.{index}: String must contain at most 512 character(s)")


def read(request: ApiRequest, call: Call, segments: list[str]) -> Answer:
    """``POST /bulk/get``: ``{"keys": [...], "type"?: "text" | "json",
    "withMetadata"?: bool}``; a missing key is ``null``."""
    # The explorer reads the body only when it is declared JSON, like Hono's validator.
    body = request.json() if request.content_type == "application/json" else {}
    if not isinstance(body, dict):
        raise validation(f"Expected object, received {zod_type(body)}")
    names = body.get("keys", MISSING)
    expect(names, "array", "keys")

    def count() -> None:
        if len(names) > 100:
            raise validation("keys: Array must contain at most 100 element(s)")

    all_issues(count, *(partial(_bulk_key, name, index) for index, name in enumerate(names)))
    kind = body.get("type")
    if kind is not None:
        expect(kind, "string", "type")
    with_metadata = body.get("withMetadata", False)
    if with_metadata is not None:
        expect(with_metadata, "boolean", "withMetadata")
    call.key = list(names)
    call.options = {name: body[name] for name in ("type", "withMetadata") if name in body} or None
    namespace = call.resolve()
    call.faults(list(names))
    try:
        found = service.get_bulk(
            namespace.central, kind, [key_of(name) for name in names], None, call.now, 0
        )
    except KVError as failure:
        raise from_service(failure) from None
    values: dict[str, Any] = {}
    for key, entry, value in found:
        if entry is None:
            values[key.name] = None
        elif with_metadata:
            item: dict[str, Any] = {
                "value": value,
                "metadata": None if entry.metadata is None else json_parse(entry.metadata),
            }
            if entry.expiration is not None:
                item["expiration"] = entry.expiration
            values[key.name] = item
        else:
            values[key.name] = value
    return success({"values": values})
