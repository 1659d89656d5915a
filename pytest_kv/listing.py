"""``list()``: cursors, pages and the result's exact shape."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

from .arguments import ListArgs
from .errors import GET
from .jsvalues import json_parse
from .limits import check_list_limit, check_prefix
from .results import JsDict
from .service import Backend
from .store import Entry
from .values import encode_text

# Production's cursors are long opaque tokens. Ours are opaque too (a tag plus the
# last key), so code that builds cursors by hand fails here as it would there.
_CURSOR_TAG: Final = "pkv1."
_NOT_BASE64: Final = re.compile(r"[^A-Za-z0-9+/]")


def encode_cursor(last: bytes) -> str:
    return _CURSOR_TAG + base64.urlsafe_b64encode(last).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> bytes:
    """The key a cursor resumes after. Never an error, as in production's simulator.

    A cursor pytest-kv did not issue is read the way Miniflare reads every cursor:
    leniently, as standard base64 of the last key.
    """
    if cursor.startswith(_CURSOR_TAG):
        body = cursor[len(_CURSOR_TAG) :]
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            pass
    body = _NOT_BASE64.sub("", cursor.replace("-", "+").replace("_", "/"))
    # A lone trailing base64 digit holds no whole byte; Node drops it, and so do we.
    usable = len(body) - (1 if len(body) % 4 == 1 else 0)
    raw = base64.b64decode(body[:usable] + "=" * (-usable % 4))
    return raw.decode("utf-8", "replace").encode("utf-8")


def key_entry(entry: Entry) -> JsDict:
    """One item of ``result["keys"]``: ``expiration`` and ``metadata`` only when set."""
    item = JsDict(name=entry.name)
    if entry.expiration is not None:
        item["expiration"] = entry.expiration
    if entry.metadata is not None:
        item["metadata"] = json_parse(entry.metadata)
    return item


def list_page(backend: Backend, args: ListArgs, now: float) -> JsDict:
    """One page of keys, shaped exactly like production's list result."""
    limit = check_list_limit(GET, args.limit)
    prefix = encode_text(args.prefix) if args.prefix else b""
    check_prefix(GET, prefix)
    after = decode_cursor(args.cursor) if args.cursor else None
    with backend.lock:
        entries, more = backend.page(prefix, after, limit, now)
    result = JsDict(keys=[key_entry(entry) for entry in entries], list_complete=not more)
    if more:
        result["cursor"] = encode_cursor(encode_text(entries[-1].name))
    result["cacheStatus"] = None
    return result
