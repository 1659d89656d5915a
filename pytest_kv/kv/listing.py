"""Listing: cursors, pages and production-legal page shapes.

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
from typing import Final, NamedTuple

from .service import Backend
from .store import Entry

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


class Position(NamedTuple):
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


def encode_cursor(after: bytes | None, flags: int, pages: int) -> str:
    """The cursor of a ``Position``, from its fields: most pages have a next one, and
    building the named tuple only to take it apart costs more than the encoding.
    A test lists the same pages again and again, so cursors are remembered: a look-up
    costs a third of the encoding."""
    fields = (after, flags, pages)
    cursor = _CURSORS.get(fields)
    if cursor is None:
        header = bytes((flags, pages if pages < 255 else 255))
        payload = header if after is None else header + after
        text = binascii.b2a_base64(payload, newline=False).translate(_URLSAFE)
        cursor = _CURSOR_TAG + text.decode("ascii").rstrip("=")
        if len(_CURSORS) >= _MAX_CURSORS:
            _CURSORS.clear()  # a bound, not a cache policy: a long listing starts over
        _CURSORS[fields] = cursor
    return cursor


# The cursors made lately, by their fields; keys are at most 512 bytes, so this holds
# a few megabytes at most.
_CURSORS: Final[dict[tuple[bytes | None, int, int], str]] = {}
_MAX_CURSORS: Final = 4096
_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")
_START: Final = Position()


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


def list_page(
    backend: Backend,
    limit: int,
    prefix: bytes,
    cursor: str | None,
    now: float,
    shape: PageShape | None,
) -> tuple[list[tuple[bytes, Entry]], str | None]:
    """One page of up to ``limit`` live entries under ``prefix``, and the cursor of
    the next page (``None`` when the listing is complete). ``limit`` and ``prefix``
    are already checked by the front door, whose rules differ."""
    fresh = not cursor
    at = _START if fresh else decode_cursor(cursor or "")
    if at.flags & _ENDING:
        return [], None
    if shape is not None:
        empty = _empty_page_due(shape, at, fresh)
        if empty is not None:
            return [], encode_cursor(*empty)
        if shape.page_size is not None:
            limit = min(limit, shape.page_size)
    with backend.lock:
        entries, more = backend.page(prefix, at.after, limit, now)
    after = entries[-1][0] if entries else at.after
    flags = at.flags & _STARTED
    pages = at.pages + (1 if entries else 0)
    if more:
        return entries, encode_cursor(after, flags, pages)
    if shape is not None and "end" in shape.empty_pages and entries:
        return entries, encode_cursor(after, flags | _ENDING, pages)
    return entries, None
