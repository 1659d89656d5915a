"""One namespace of the KV service: what every front door and every location's view
of it share (the truth, the edge locations, the clock, the call log, the faults)."""

from __future__ import annotations

import hashlib
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Final, Protocol

from pytest_kv.errors import KVError, KVTypeError, shown

from .calllog import KVCall, call_of
from .edge import CentralView, Edge
from .faults import Faults
from .history import Events
from .listing import PageShape
from .settings import Consistency
from .store import Store

# Errors that mean the code under test sent a bad request, which it must not swallow.
VALIDATION_STATUSES = frozenset({400, 405, 413, 414})
# How many calls the log keeps (and history events per namespace), unless told.
DEFAULT_LOG_LIMIT: Final = 100_000
# Failed calls strict teardown looks at: far more than any test swallows.
FAILURES_KEPT: Final = 10_000
# What production's namespace ids look like: 32 lower-case hex digits.
NAMESPACE_ID = re.compile(r"[0-9a-f]{32}")


def namespace_id(title: str, salt: int = 0) -> str:
    """A namespace id derived from its title, the same on every run."""
    return hashlib.md5(f"pytest-kv/{title}/{salt}".encode(), usedforsecurity=False).hexdigest()


class MovableClock(Protocol):
    """A clock that ``settle()`` and ``assert_eventually`` can move (``KVClock`` is one)."""

    def now(self) -> float: ...
    def advance(self, seconds: float | timedelta) -> float: ...


def wall_time() -> float:
    """``time.time()``, looked up on every call so freezegun and time-machine drive it."""
    return time.time()


class Trial:
    """A listing function on trial (``assert_paginates``): the page shape its calls
    get, and how many ``list()`` calls it may make before it counts as runaway. It
    lives in a context variable, so the namespace's other users are not affected."""

    __slots__ = ("budget", "calls", "namespace", "shape")

    def __init__(self, namespace: Namespace, shape: PageShape | None, budget: int) -> None:
        self.namespace = namespace
        self.shape = shape
        self.budget = budget
        self.calls = 0


TRIAL: ContextVar[Trial | None] = ContextVar("pytest_kv_trial", default=None)


def _validation_error(error: BaseException | None) -> bool:
    if not isinstance(error, KVError) or getattr(error, "__pytest_kv_injected__", False):
        return False
    status = error.status
    return isinstance(error, KVTypeError) or (
        isinstance(status, int) and status in VALIDATION_STATUSES
    )


def _check_reading(now: object) -> None:
    """A clock's reading must be epoch seconds (checked once, when the namespace is
    made: a clock that returns a datetime or NaN would fail much later, and far away)."""
    if isinstance(now, bool) or not isinstance(now, (int, float)) or not now == now:
        raise TypeError(
            f"the clock returned {shown(now)}; a clock returns epoch seconds as a number "
            "(time.time() does)"
        )
    if not -1e12 < now < 1e12:
        raise ValueError(f"the clock returned {now!r}, which is not an instant in epoch seconds")


class Namespace:
    """The state of one namespace, shared by every location's view of it."""

    __slots__ = (
        "central",
        "clock",
        "edge",
        "failures",
        "faults",
        "id",
        "log",
        "name",
        "now",
        "settings",
        "shape",
        "shapes",
        "store",
        "title",
        "watch",
    )

    def __init__(
        self,
        name: str,
        clock: Callable[[], float] | MovableClock | None,
        settings: Consistency,
        shape: PageShape | None,
        faults: Faults | None,
        id: str | None = None,
        log_limit: int | None = DEFAULT_LOG_LIMIT,
    ) -> None:
        self.name = name
        # The REST API's view: a namespace has an id and a title (at first its name).
        self.id = namespace_id(name) if id is None else id
        self.title = name
        # The page shape list() uses: the namespace's own, or the newest override
        # still open (overrides may come and go in any order, from several threads).
        self.shape = shape
        self.shapes: list[tuple[object, PageShape | None]] = [(None, shape)]
        self.faults = faults
        # Raw call records, the newest log_limit of them; KVCall objects are built only
        # when someone looks. Failed calls are kept apart too, for strict teardown.
        self.log: deque[tuple[Any, ...]] = deque(maxlen=log_limit)
        self.failures: deque[tuple[Any, ...]] = deque(maxlen=FAILURES_KEPT)
        # Told of every failed call's error (strict teardown watches what carries it).
        self.watch: Callable[[BaseException], None] | None = None
        self.store = Store()
        self.settings = settings
        self.edge = (
            Edge(
                settings.locations,
                settings.propagation,
                settings.list_lag,
                self.store,
                Events(log_limit),
            )
            if settings.eventual and settings.propagation is not None
            else None
        )
        # Where the REST API reads and writes: the truth itself, in eventual mode too.
        self.central: Any = self.store if self.edge is None else CentralView(self.edge)
        self.clock = clock
        if clock is None:
            self.now: Callable[[], float] = wall_time
        elif callable(getattr(clock, "now", None)):
            self.now = clock.now  # type: ignore[union-attr]
        elif callable(clock):
            self.now = clock
        else:
            raise TypeError(
                f"clock must be a callable or have now() and advance(), got {shown(clock)}"
            )
        if clock is not None:
            _check_reading(self.now())

    @contextmanager
    def shaped(self, shape: PageShape | None) -> Iterator[PageShape | None]:
        """Make ``list()`` use ``shape`` until the block ends."""
        token = object()
        with self.store.lock:
            self.shapes.append((token, shape))
            self.shape = shape
        try:
            yield shape
        finally:
            with self.store.lock:
                self.shapes = [entry for entry in self.shapes if entry[0] is not token]
                self.shape = self.shapes[-1][1]

    def advance(self, seconds: float) -> None:
        if not callable(getattr(self.clock, "advance", None)):
            raise RuntimeError(
                "this namespace's clock cannot be moved: pass a clock with now() and "
                "advance(), such as the kv_clock fixture, or use the kv fixtures"
            )
        self.clock.advance(seconds)  # type: ignore[union-attr]

    def calls(self) -> list[KVCall]:
        return [call_of(record) for record in self.log]

    def failed(self, record: tuple[Any, ...]) -> None:
        """Log a call that failed (kept for strict teardown even once the log moves on)."""
        self.log.append(record)
        self.failures.append(record)
        if self.watch is not None and record[-1] is not None:
            self.watch(record[-1])

    def swallowable(self) -> list[KVCall]:
        """Failed calls whose error says the request itself was wrong."""
        calls = (call_of(record) for record in self.failures)
        return [call for call in calls if _validation_error(call.error)]
