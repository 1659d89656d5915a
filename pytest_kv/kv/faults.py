"""Failures on purpose: injected errors, production's rate limits, read-only namespaces.

All of them raise production's messages, so retry and error-handling code is tested
against what it will really meet.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Final

from pytest_kv.errors import KVError, http_error

# The "KV <OP>" word of each binding method in production's messages.
OPERATION: Final = {
    "get": "GET",
    "getWithMetadata": "GET",
    "list": "GET",
    "put": "PUT",
    "delete": "DELETE",
}
REASONS: Final = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
TOO_MANY_SUBREQUESTS: Final = "Too many API requests by single Worker invocation."


class RunawayListingError(AssertionError):
    """Raised from ``list()`` when a listing loop under ``assert_paginates`` runs away."""


@dataclass(slots=True)
class Rule:
    method: str
    key: str | None  # a glob pattern, or None for any key
    times: int
    error: BaseException | None
    status: int

    def raised(self, op: str) -> BaseException:
        if self.error is not None:
            return self.error
        return http_error(op, self.status, REASONS.get(self.status, "Error"))


@dataclass(slots=True)
class Invocation:
    """The operations one Worker invocation made, across every namespace."""

    limit: int
    count: int = 0


_INVOCATION: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar(
    "pytest_kv_invocation", default=None
)


@contextmanager
def invocation(limit: int = 1000) -> Iterator[Invocation]:
    """Count KV operations as one Worker invocation does: the ``limit + 1``-th fails with
    production's message. A bulk read counts once. Nested blocks share the outer count.
    """
    outer = _INVOCATION.get()
    if outer is not None:
        yield outer
        return
    current = Invocation(limit)
    token = _INVOCATION.set(current)
    try:
        yield current
    finally:
        _INVOCATION.reset(token)


def count_operation() -> None:
    current = _INVOCATION.get()
    if current is not None:
        current.count += 1
        if current.count > current.limit:
            raise KVError(TOO_MANY_SUBREQUESTS)


@dataclass(slots=True)
class Faults:
    """A namespace's injected failures and opt-in limits."""

    rules: list[Rule] = field(default_factory=list)
    read_only: bool = False
    rate_limit: bool = False
    last_write: dict[bytes, float] = field(default_factory=dict)

    def check(self, method: str, op: str, keys: list[str]) -> None:
        """Raise the first injected failure that matches this call (``op`` is the
        word production's message uses: GET, GET_BULK, PUT or DELETE)."""
        for rule in self.rules:
            if rule.method != method:
                continue
            if rule.key is not None and not any(fnmatchcase(key, rule.key) for key in keys):
                continue
            rule.times -= 1
            if rule.times <= 0:
                self.rules.remove(rule)
            raise rule.raised(op)

    def check_write(self, method: str, name: str, key: bytes, now: float) -> None:
        op = OPERATION[method]
        if self.read_only:
            raise http_error(
                op,
                405,
                f"Method Not Allowed (pytest-kv: this namespace is read_only, and "
                f"{method}({name!r}) writes to it)",
            )
        if self.rate_limit and method == "put":
            last = self.last_write.get(key)
            if last is not None and now - last < 1:
                raise http_error("PUT", 429, "Too Many Requests")
            self.last_write[key] = now
