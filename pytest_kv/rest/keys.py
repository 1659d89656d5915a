"""``GET /keys``: one page of a namespace's keys, as central storage lists them."""

from __future__ import annotations

from typing import Any

from pytest_kv.errors import KVError
from pytest_kv.js.json_parse import json_parse
from pytest_kv.js.text import encode_text
from pytest_kv.kv.keys import name_of
from pytest_kv.kv.limits import MAX_LIST_LIMIT, check_prefix
from pytest_kv.kv.listing import list_page

from .codes import from_service
from .context import Call
from .envelope import Answer, success
from .request import ApiRequest, query_number

MIN_LIMIT = 10


def list_keys(request: ApiRequest, call: Call, segments: list[str]) -> Answer:
    """``limit`` (10 to 1000, default 1000; fractions are cut, as the binding cuts
    them), ``prefix`` and ``cursor``; ``result_info.cursor`` is ``""`` on the last page.
    A cursor the fake did not issue is read as Miniflare reads one, never refused."""
    limit = query_number(request, "limit", MIN_LIMIT, MAX_LIST_LIMIT)
    prefix = request.query.get("prefix") or ""
    cursor = request.query.get("cursor") or None
    options = {
        name: request.query[name] for name in ("limit", "prefix", "cursor") if name in request.query
    }
    call.options = options or None
    namespace = call.resolve()
    call.faults([prefix])
    encoded = encode_text(prefix)
    try:
        check_prefix("GET", encoded)
    except KVError as failure:
        raise from_service(failure) from None
    size = MAX_LIST_LIMIT if limit is None else int(limit)
    entries, next_cursor = list_page(
        namespace.central, size, encoded, cursor, call.now, namespace.shape
    )
    keys: list[dict[str, Any]] = []
    for key, entry in entries:
        item: dict[str, Any] = {"name": name_of(key)}
        if entry.expiration is not None:
            item["expiration"] = entry.expiration
        if entry.metadata is not None:
            item["metadata"] = json_parse(entry.metadata)
        keys.append(item)
    return success(keys, {"count": len(keys), "cursor": next_cursor or ""})
