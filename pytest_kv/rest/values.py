"""``/values/{key}`` (read, write, delete) and ``/metadata/{key}``: one key at a time,
at central storage (the namespace's ``central`` backend)."""

from __future__ import annotations

import re
from typing import Any, Final

from pytest_kv.errors import KVError, KVSyntaxError
from pytest_kv.js.json_parse import json_parse
from pytest_kv.js.json_stringify import json_stringify
from pytest_kv.kv import service
from pytest_kv.kv.store import Entry

from . import multipart
from .codes import (
    BAD_EXPIRATION,
    BAD_EXPIRATION_TTL,
    INVALID_METADATA_TEXT,
    KEY_NOT_FOUND,
    KEY_NOT_FOUND_TEXT,
    MISSING_VALUE_TEXT,
    error,
    from_service,
    validation,
)
from .context import Call, path_key
from .envelope import Answer, raw, success
from .request import ApiRequest

_INTEGER: Final = re.compile(r"[+-]?\d+")


def read(request: ApiRequest, call: Call, segments: list[str]) -> Answer:
    """``GET /values/{key}``: the raw bytes, or 404 10009."""
    entry = _entry(call, segments)
    return raw(entry.value, entry.expiration)


def read_metadata(request: ApiRequest, call: Call, segments: list[str]) -> Answer:
    """``GET /metadata/{key}``: ``result`` is the metadata, ``null`` when it has none."""
    entry = _entry(call, segments)
    return success(None if entry.metadata is None else json_parse(entry.metadata))


def _entry(call: Call, segments: list[str]) -> Entry:
    key = path_key(segments)
    call.key = key.name
    call.faults([key.name])
    namespace = call.namespace
    assert namespace is not None
    try:
        entry, _ = service.get_one(namespace.central, key, None, call.now, 0)
    except KVError as failure:
        raise from_service(failure) from None
    if entry is None:
        call.outcome = "miss"
        raise error(KEY_NOT_FOUND, KEY_NOT_FOUND_TEXT)
    return entry


def _seconds(request: ApiRequest, name: str) -> tuple[int | None, str | None]:
    """A query parameter of whole seconds: ``(value, None)``, or ``(None, raw)`` when
    it is given but not an integer (the service then names the raw text)."""
    given = request.query.get(name)
    if given is None or given == "":
        return None, None
    if _INTEGER.fullmatch(given.strip()):
        return int(given), None
    return None, given


def _expiration(request: ApiRequest) -> tuple[int | None, int | None]:
    """``(expiration, expiration_ttl)`` from the query. The TTL wins: when it is given,
    ``expiration`` is not even checked, as the service ignores it."""
    ttl, bad_ttl = _seconds(request, "expiration_ttl")
    if bad_ttl is not None:
        raise error(
            BAD_EXPIRATION_TTL,
            f"Invalid expiration_ttl of {bad_ttl}. Please specify integer greater than 0.",
        )
    expiration, bad = _seconds(request, "expiration")
    if bad is not None and ttl is None:
        raise error(
            BAD_EXPIRATION,
            f"Invalid expiration of {bad}. Please specify integer greater than the "
            "current number of seconds since the UNIX epoch.",
        )
    return expiration, ttl


def _body(request: ApiRequest) -> tuple[bytes, str | None, Any]:
    """The value's bytes and the metadata's JSON text (and the parsed metadata)."""
    if request.content_type != "multipart/form-data":
        return request.body, None, None
    try:
        parts = multipart.parse(request.headers.get("content-type", ""), request.body)
    except multipart.MultipartError:
        raise validation(MISSING_VALUE_TEXT) from None
    if "value" not in parts:
        raise validation(MISSING_VALUE_TEXT)
    text = parts.get("metadata")
    if text is None:
        return parts["value"], None, None
    try:
        metadata = json_parse(text.decode("utf-8"))
    except (UnicodeDecodeError, KVSyntaxError):
        raise validation(INVALID_METADATA_TEXT) from None
    if metadata is None:  # the explorer passes metadata on only when it is truthy
        return parts["value"], None, None
    return parts["value"], json_stringify(metadata), metadata


def write(request: ApiRequest, call: Call, segments: list[str]) -> Answer:
    """``PUT /values/{key}``: a raw body, or multipart with ``value`` and ``metadata``;
    ``expiration`` / ``expiration_ttl`` in the query (the TTL wins)."""
    key = path_key(segments)
    call.key = key.name
    options: dict[str, Any] = {
        name: request.query[name]
        for name in ("expiration", "expiration_ttl")
        if name in request.query
    }
    data, metadata_json, metadata = _body(request)
    if metadata is not None:
        options["metadata"] = metadata
    call.options = options or None
    call.faults([key.name])
    namespace = call.namespace
    assert namespace is not None
    expiration, ttl = _expiration(request)
    try:
        resolved = service.check_put(key, False, metadata_json, expiration, ttl, call.now)
        service.store_put(
            namespace.central, key, data, resolved, metadata_json, call.now, 0, namespace.faults
        )
    except KVError as failure:
        raise from_service(failure) from None
    return success({})


def delete(request: ApiRequest, call: Call, segments: list[str]) -> Answer:
    """``DELETE /values/{key}``: succeeds whether or not the key exists."""
    key = path_key(segments)
    call.key = key.name
    call.faults([key.name])
    namespace = call.namespace
    assert namespace is not None
    try:
        service.delete(namespace.central, key, call.now, 0, namespace.faults)
    except KVError as failure:
        raise from_service(failure) from None
    return success({})
