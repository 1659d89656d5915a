"""Failures on purpose: injected errors, production's rate limits, read-only namespaces
and the per-invocation operation limit.

All of them raise production's messages, so retry and error-handling code is tested
against what it will really meet.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Final

from pytest_kv.errors import KVError, did_you_mean, http_error, shown

# The "KV <OP>" word of each binding method in production's messages.
OPERATION: Final = {
    "get": "GET",
    "getWithMetadata": "GET",
    "list": "GET",
    "put": "PUT",
    "delete": "DELETE",
}
# What a rule names: an operation, which covers every form of it ("get" is every
# read: get, bulk get and getWithMetadata, from any front door), or one method.
KINDS: Final = {"get": "get", "getWithMetadata": "get", "list": "list", "put": "put"}
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
    """One injected failure: which calls it hits, how often, and what they raise."""

    method: str
    key: str | None  # a glob pattern, or None for any key
    times: int
    error: BaseException | None
    status: int

    @classmethod
    def make(
        cls,
        method: object,
        key: object = None,
        times: object = 1,
        error: object = None,
        status: object = 500,
        *,
        methods: tuple[str, ...] = tuple(OPERATION),
    ) -> Rule:
        """A checked rule; ``methods`` are the names a front door accepts."""
        if not isinstance(method, str):
            raise TypeError(
                f"method must be a str naming a method, got {type(method).__name__} "
                f"{shown(method)}; the methods are: {', '.join(methods)}"
            )
        if method not in methods:
            raise ValueError(
                f"unknown method {method!r}{did_you_mean(method, methods)} The methods are: "
                f'{", ".join(methods)} ("get" covers every read: get, bulk get and '
                "getWithMetadata)"
            )
        if key is not None and not isinstance(key, str):
            raise TypeError(f"key must be a glob pattern (a str) or None, got {key!r}")
        if type(times) is not int or times < 1:
            raise ValueError(f"times must be a whole number >= 1, got {times!r}")
        if error is not None and not isinstance(error, BaseException):
            raise TypeError(f"error must be an exception instance or None, got {error!r}")
        if type(status) is not int or not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (400 to 599), got {status!r}")
        return cls(method, key, times, error, status)

    def matches(self, method: str, kind: str, keys: list[str]) -> bool:
        if self.method != method and self.method != kind:
            return False
        return self.key is None or any(fnmatchcase(key, self.key) for key in keys)

    def raised(self, op: str) -> BaseException:
        """A fresh exception each time, so a reused instance does not pile up frames."""
        if self.error is None:
            error: BaseException = http_error(op, self.status, REASONS.get(self.status, "Error"))
        else:
            try:
                error = copy.copy(self.error)
            except Exception:  # an exception class that cannot be copied: reuse it
                error = self.error
        with contextlib.suppress(AttributeError, TypeError):
            # The test asked for this failure: strict teardown never counts it.
            error.__pytest_kv_injected__ = True  # type: ignore[attr-defined]
        return error.with_traceback(None)


@dataclass(slots=True)
class Invocation:
    """The operations one Worker invocation made, across every namespace."""

    limit: int
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_one(self) -> None:
        with self.lock:
            self.count += 1
            over = self.count > self.limit
        if over:
            raise KVError(TOO_MANY_SUBREQUESTS)


_INVOCATION: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar(
    "pytest_kv_invocation", default=None
)
# The open invocation blocks, outermost first: threads started inside a block (a
# sync app's worker threads) begin with an empty context, yet their calls count.
_OPEN: list[Invocation] = []


def check_limit(limit: object) -> int:
    if type(limit) is not int or limit < 0:
        raise ValueError(f"limit must be a whole number >= 0, got {limit!r}")
    return limit


@contextmanager
def invocation(limit: int = 1000) -> Iterator[Invocation]:
    """Count KV operations as one Worker invocation does: the ``limit + 1``-th fails with
    production's message. A bulk read counts once; calls that workerd rejects before
    sending anything do not count. Nested blocks share the outer count, and calls
    from threads started inside the block count too.
    """
    check_limit(limit)
    outer = _INVOCATION.get() or (_OPEN[0] if _OPEN else None)
    if outer is not None:
        yield outer
        return
    current = Invocation(limit)
    token = _INVOCATION.set(current)
    _OPEN.append(current)
    try:
        yield current
    finally:
        _OPEN.remove(current)
        _INVOCATION.reset(token)


def count_operation() -> None:
    """Count one operation against the open invocation, if there is one."""
    current = _INVOCATION.get()
    if current is None:
        if not _OPEN:
            return
        current = _OPEN[0]
    current.count_one()


@dataclass(slots=True)
class Faults:
    """A namespace's injected failures and opt-in limits."""

    rules: list[Rule] = field(default_factory=list)
    read_only: bool = False
    rate_limit: bool = False
    last_write: dict[bytes, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rule: Rule) -> None:
        with self.lock:
            self.rules.append(rule)

    def check(self, method: str, op: str, keys: list[str], kind: str | None = None) -> None:
        """Raise the first injected failure that matches this call. ``op`` is the
        word production's message uses (GET, GET_BULK, PUT or DELETE); ``kind`` is
        the operation the method is a form of (by default, the binding's)."""
        if not self.rules:
            return
        kind = KINDS.get(method, method) if kind is None else kind
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, kind, keys):
                    rule.times -= 1
                    if rule.times <= 0:
                        self.rules.remove(rule)
                    break
            else:
                return
        raise rule.raised(op)

    def check_write(self, op: str, what: str, key: bytes, now: float, *, put: bool) -> None:
        """Refuse a write to a read-only namespace, or a put within a second of the
        key's last one. Call it under the namespace's lock, with ``wrote`` after the
        write, so that concurrent writers see each other and only writes that
        happened use up the key's second."""
        if self.read_only:
            raise http_error(
                op,
                405,
                f"Method Not Allowed (pytest-kv: this namespace is read_only, and "
                f"{what} writes to it)",
            )
        if self.rate_limit and put:
            last = self.last_write.get(key)
            if last is not None and abs(now - last) < 1:
                raise http_error(op, 429, "Too Many Requests")

    def wrote(self, key: bytes, now: float) -> None:
        if self.rate_limit and math.isfinite(now):
            self.last_write[key] = now
