"""``list()``: cursors, pages, production-legal page shapes and the result's shape.

Production may return fewer keys than ``limit`` and even empty pages with
``list_complete: false`` while it walks past deleted or expired keys. A
``PageShape`` makes pages take those legal shapes on purpose, so listing code that
stops on an empty page or ignores the cursor fails in tests as it would in production.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from .arguments import ListArgs
from .errors import GET
from .jsvalues import json_parse
from .limits import check_list_limit, check_prefix
from .results import JsDict
from .service import Backend
from .store import Entry, name_of
from .values import encode_text

__all__ = ["PageShape"]

# Production's cursors are long opaque tokens. Ours are opaque too (a tag, the
# page-shape state and the last key), so code that builds cursors by hand fails.
_CURSOR_TAG: Final = "pkv1."
_NOT_BASE64: Final = re.compile(r"[^A-Za-z0-9+/]")

EMPTY_PAGE_PLACES: Final = ("start", "middle", "end", "every")

# Page-shape state carried by a cursor.
_STARTED: Final = 1  # the empty first page was served
_GAP: Final = 2  # an empty page was just served at this position
_ENDING: Final = 4  # the keys are all served; one empty, complete page remains


@dataclass(frozen=True, slots=True)
class Position:
    """Where a cursor resumes: after ``after`` (or at the start), with shape state."""

    after: bytes | None = None
    flags: int = 0
    pages: int = 0  # pages with keys served so far (up to 255)


@dataclass(frozen=True, slots=True)
class PageShape:
    """Production-legal page shapes: at most ``page_size`` keys a page, and empty pages
    (``list_complete: false`` with a cursor) at the ``"start"``, in the ``"middle"``
    (after the first page), at the ``"end"`` (before the final, complete page), or
    between ``"every"`` two pages.

    Example: ``with kv.page_shape(page_size=1, empty_pages=["start", "end"]): ...``
    """

    page_size: int | None = None
    empty_pages: frozenset[str] = frozenset()

    @classmethod
    def of(cls, page_size: object = None, empty_pages: object = ()) -> PageShape | None:
        """A checked shape, or ``None`` when it shapes nothing."""
        if page_size is not None and (
            isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1
        ):
            raise ValueError(f"page_size must be a whole number >= 1, got {page_size!r}")
        if isinstance(empty_pages, str):
            empty_pages = (empty_pages,)
        if not isinstance(empty_pages, Iterable):
            raise TypeError(f"empty_pages must be a list of places, got {empty_pages!r}")
        places = frozenset(str(place) for place in empty_pages)
        unknown = sorted(places - set(EMPTY_PAGE_PLACES))
        if unknown:
            raise ValueError(
                f"empty_pages: unknown place(s) {', '.join(map(repr, unknown))}; "
                f"the places are: {', '.join(EMPTY_PAGE_PLACES)}"
            )
        if page_size is None and not places:
            return None
        return cls(page_size, places)

    def __repr__(self) -> str:
        parts = [f"page_size={self.page_size}"] if self.page_size else []
        if self.empty_pages:
            ordered = [place for place in EMPTY_PAGE_PLACES if place in self.empty_pages]
            parts.append(f"empty_pages={ordered}")
        return f"PageShape({', '.join(parts)})"


def encode_cursor(position: Position) -> str:
    payload = bytes((position.flags, min(position.pages, 255))) + (position.after or b"")
    return _CURSOR_TAG + base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """Where a cursor resumes. Never an error, as in production's simulator.

    A cursor pytest-kv did not issue is read the way Miniflare reads every cursor:
    leniently, as standard base64 of the last key.
    """
    if cursor.startswith(_CURSOR_TAG):
        body = cursor[len(_CURSOR_TAG) :]
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            payload = b""
        if len(payload) >= 2:
            return Position(payload[2:] or None, payload[0], payload[1])
    body = _NOT_BASE64.sub("", cursor.replace("-", "+").replace("_", "/"))
    # A lone trailing base64 digit holds no whole byte; Node drops it, and so do we.
    usable = len(body) - (1 if len(body) % 4 == 1 else 0)
    raw = base64.b64decode(body[:usable] + "=" * (-usable % 4))
    return Position(raw.decode("utf-8", "replace").encode("utf-8") or None)


def key_entry(key: bytes, entry: Entry) -> JsDict:
    """One item of ``result["keys"]``: ``expiration`` and ``metadata`` only when set."""
    item = JsDict(name=name_of(key))
    if entry.expiration is not None:
        item["expiration"] = entry.expiration
    if entry.metadata is not None:
        item["metadata"] = json_parse(entry.metadata)
    return item


def _result(entries: list[tuple[bytes, Entry]], cursor: Position | None) -> JsDict:
    result = JsDict(
        keys=[key_entry(key, entry) for key, entry in entries], list_complete=cursor is None
    )
    if cursor is not None:
        result["cursor"] = encode_cursor(cursor)
    result["cacheStatus"] = None
    return result


def _empty_page_due(shape: PageShape, at: Position, fresh: bool) -> Position | None:
    """The cursor after an empty page, if the shape puts one here."""
    places = shape.empty_pages
    if fresh and "start" in places and not at.flags & _STARTED:
        return Position(None, _STARTED | _GAP, 0)
    if at.flags & _GAP or fresh:
        return None
    if "every" in places or ("middle" in places and at.pages == 1):
        return Position(at.after, at.flags | _GAP, at.pages)
    return None


def list_page(backend: Backend, args: ListArgs, now: float, shape: PageShape | None) -> JsDict:
    """One page of keys, shaped exactly like production's list result."""
    limit = check_list_limit(GET, args.limit)
    prefix = encode_text(args.prefix) if args.prefix else b""
    check_prefix(GET, prefix)
    fresh = not args.cursor
    at = Position() if fresh else decode_cursor(args.cursor or "")
    if at.flags & _ENDING:
        return _result([], None)
    if shape is not None:
        empty = _empty_page_due(shape, at, fresh)
        if empty is not None:
            return _result([], empty)
        if shape.page_size is not None:
            limit = min(limit, shape.page_size)
    with backend.lock:
        entries, more = backend.page(prefix, at.after, limit, now)
    after = entries[-1][0] if entries else at.after
    flags = at.flags & _STARTED
    pages = at.pages + (1 if entries else 0)
    if more:
        return _result(entries, Position(after, flags, pages))
    if shape is not None and "end" in shape.empty_pages and entries:
        return _result(entries, Position(after, flags | _ENDING, pages))
    return _result(entries, None)
