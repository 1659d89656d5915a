"""A request as every transport hands it over: method, the raw URL's path segments
and query, headers and body; and production's (the explorer's) checks of query
parameters and JSON bodies."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, unquote_to_bytes, urlsplit

from .codes import MALFORMED_JSON_TEXT as MALFORMED
from .codes import KVApiError, validation

API_PREFIX: Final = "/client/v4"


@dataclass(slots=True)
class ApiRequest:
    """One request to the API; ``path`` is below ``/client/v4``, still percent-encoded."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @classmethod
    def of(
        cls, method: str, url: str, headers: Any = None, body: bytes | None = None
    ) -> ApiRequest:
        """Build from a full URL or a path (``/client/v4/accounts/...?limit=10``)."""
        parts = urlsplit(url)
        path = parts.path or "/"
        if path.startswith(API_PREFIX):
            path = path[len(API_PREFIX) :] or "/"
        query: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(name, value)  # the first of repeated parameters wins
        items = headers.items() if hasattr(headers, "items") else (headers or ())
        lowered = {str(name).lower(): str(value) for name, value in items}
        return cls(method.upper(), path, query, lowered, body or b"")

    @property
    def segments(self) -> list[str]:
        """The path's segments, still percent-encoded (a key may hold ``%2F``)."""
        return self.path.strip("/").split("/") if self.path.strip("/") else []

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON, or production's 400 for a body that is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise validation(MALFORMED) from None


def decode_segment(segment: str) -> bytes:
    """A path segment's bytes (``+`` stays a plus sign, as in any path)."""
    return unquote_to_bytes(segment)


def decode_text(segment: str) -> str:
    return unquote(segment, errors="replace")


# JavaScript's Number() of a string: decimal (with exponent), hex, octal and binary
# literals, Infinity, surrounding whitespace; "" is 0; anything else is NaN.
_DECIMAL: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RADIX: Final = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")


def js_number(text: str) -> float:
    text = text.strip(" \t\n\r\v\f\u00a0\ufeff\u2028\u2029")
    if text == "":
        return 0.0
    if _DECIMAL.fullmatch(text):
        return float(text)
    if _RADIX.fullmatch(text):
        return float(int(text, 0))
    if text in ("Infinity", "+Infinity"):
        return math.inf
    if text == "-Infinity":
        return -math.inf
    return math.nan


def query_number(
    request: ApiRequest, name: str, low: float | None = None, high: float | None = None
) -> float | None:
    """A numeric query parameter as the explorer checks it, or ``None`` if absent."""
    raw = request.query.get(name)
    if raw is None:
        return None
    number = js_number(raw)
    if math.isnan(number):
        raise validation(f'{name}: Expected query param to be number but received "{raw}"')
    if low is not None and number < low:
        raise validation(f"{name}: Number must be greater than or equal to {low:g}")
    if high is not None and number > high:
        raise validation(f"{name}: Number must be less than or equal to {high:g}")
    return number


def query_enum(request: ApiRequest, name: str, choices: tuple[str, ...], default: str) -> str:
    raw = request.query.get(name)
    if raw is None:
        return default
    if raw not in choices:
        expected = " | ".join(f"'{choice}'" for choice in choices)
        raise validation(f"{name}: Invalid enum value. Expected {expected}, received '{raw}'")
    return raw


def all_issues(*checks: Callable[[], object]) -> None:
    """Run every check; raise one answer with every issue found, as zod reports them."""
    issues: list[KVApiError] = []
    for check in checks:
        try:
            check()
        except KVApiError as issue:
            issues.append(issue)
    if issues:
        first, *more = issues
        extra = tuple((issue.code, issue.message) for issue in more)
        raise KVApiError(first.status or 400, first.code, first.message, more=extra)


def zod_type(value: Any) -> str:
    """The type name zod reports for a JSON value (``received string``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def expect(value: Any, kind: str, path: str) -> None:
    """zod's ``<path>: Expected <kind>, received <type>`` (``Required`` when absent)."""
    if value is _MISSING:
        raise validation(f"{path}: Required")
    if zod_type(value) != kind:
        raise validation(f"{path}: Expected {kind}, received {zod_type(value)}")


class _Missing:
    __slots__ = ()


_MISSING: Final = _Missing()
MISSING: Final[Any] = _MISSING
