"""The test's clock: ``kv_clock``, which moves the time the fake *and* the app see.

pytest-kv never keeps a private time. Namespaces read ``time.time()``; ``kv_clock``
freezes it (with freezegun, or through the test's own ``time_machine`` or
``freezer`` fixture) and moves it, so code under test that computes
``int(time.time()) + 120`` agrees with the fake.
"""

from __future__ import annotations

import calendar
import math
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any, Final, Protocol

from . import freezing

__all__ = ["KVClock"]

Instant = datetime | date | float | int | str


def to_epoch(when: Instant) -> float:
    """Seconds since the epoch for a datetime, date, epoch number or ISO 8601 string.

    Naive datetimes and strings without an offset are read as UTC, never as local
    time, so a test means the same instant on every machine. ``Z`` means UTC on every
    Python (``datetime.fromisoformat`` takes it only from 3.11).

    Example: ``to_epoch("2026-01-01T00:00:00Z") == 1767225600.0``.
    """
    if isinstance(when, bool) or not isinstance(when, (int, float, str, date)):
        raise TypeError(f"expected a datetime, an epoch number or an ISO 8601 string, got {when!r}")
    if isinstance(when, (int, float)):
        return _checked_epoch(float(when) if abs(when) < 1e300 else math.inf, when)
    if isinstance(when, str):
        text = when.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO 8601 date or time: {when!r}") from None
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return _checked_epoch(when.timestamp(), when)


# The instants a datetime can hold (years 1 to 9999), which freezegun and time-machine need.
_EARLIEST: Final = datetime(1, 1, 2, tzinfo=timezone.utc).timestamp()
_LATEST: Final = datetime(9999, 12, 30, tzinfo=timezone.utc).timestamp()


def _delta(seconds: object) -> timedelta:
    """A clock step: a timedelta, or a finite number of seconds."""
    if isinstance(seconds, timedelta):
        return seconds
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"advance() takes seconds or a timedelta, got {seconds!r}")
    if not math.isfinite(seconds) or abs(seconds) > _LATEST - _EARLIEST:
        raise ValueError(
            f"advance() needs a finite step within the years 1 to 9999, got {seconds!r}"
        )
    return timedelta(seconds=seconds)


def _checked_epoch(epoch: float, given: object) -> float:
    if not math.isfinite(epoch) or not _EARLIEST <= epoch <= _LATEST:
        raise ValueError(
            f"{given!r} is not an instant a clock can show: epoch seconds must be a finite "
            "number within the years 1 to 9999"
        )
    return epoch


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


class _Driver(Protocol):
    name: str

    def now(self) -> float: ...
    def shift(self, delta: timedelta) -> None: ...
    def move_to(self, epoch: float) -> None: ...
    def stop(self) -> None: ...


_MONOTONIC_CLOCKS = ("monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns")


def _keep_monotonic_real(freezer: Any) -> None:
    """Undo freezegun's patching of the monotonic clocks, keeping only wall time frozen.

    Event loops time their sleeps and timeouts on monotonic clocks: frozen, an
    ``await trio.sleep(1)`` never ends. time-machine 3 stopped freezing them for the
    same reason, and KV time is wall time only.
    """
    from freezegun import api

    reals = {
        name: getattr(api, f"real_{name}")
        for name in _MONOTONIC_CLOCKS
        if hasattr(api, f"real_{name}")
    }
    for name, real in reals.items():
        setattr(time, name, real)
    kept = set(map(id, reals.values()))
    for module, attribute, original in getattr(freezer, "undo_changes", ()):
        if id(original) in kept:
            setattr(module, attribute, original)


def _frozen_epoch(frozen: datetime) -> float:
    """freezegun's ``time.time()`` for a frozen naive-UTC datetime, computed the same way."""
    return calendar.timegm(frozen.timetuple()) + frozen.microsecond / 1000000.0


class FreezegunDriver:
    """Time frozen by pytest-kv itself, with freezegun (wall time only).

    The outermost freeze patches the places that the process's patch sites list
    (``freezing``), found once rather than by freezegun's walk over every module on
    each start and stop. freezegun's patched ``time.time()`` inspects the caller's
    frames on every call (about 3 µs); the fake reads the frozen instant kept here
    instead, unless another freeze has started on top of ours.
    """

    name = "freezegun"

    def __init__(self, start: float) -> None:
        from freezegun import api, freeze_time

        self._factories: list[Any] = api.freeze_factories
        outermost = not self._factories
        self._freezer = freeze_time(_utc(start), real_asyncio=True)
        frozen = freezing.start(self._freezer) if outermost else None
        if frozen is not None:
            self._factory: Any = frozen.factory
            self._stop: Callable[[], None] = frozen.stop
        else:
            # Nested in someone else's freeze (freezegun then patches nothing), or a
            # freezegun without the internals that freezing uses: its own start().
            self._factory = self._freezer.start()
            self._stop = self._freezer.stop
            if outermost:
                _keep_monotonic_real(self._freezer)
        self._depth = len(self._factories)
        self._epoch = _frozen_epoch(self._factory())

    def now(self) -> float:
        if len(self._factories) != self._depth:
            return time.time()  # someone froze time again inside the test
        return self._epoch

    def shift(self, delta: timedelta) -> None:
        self._factory.tick(delta)
        self._epoch = _frozen_epoch(self._factory())

    def move_to(self, epoch: float) -> None:
        self._factory.move_to(_utc(epoch))
        self._epoch = _frozen_epoch(self._factory())

    def stop(self) -> None:
        self._stop()


class FreezerDriver:
    """The test's own ``freezer`` fixture (pytest-freezer), already frozen."""

    name = "freezer"

    def __init__(self, freezer: Any, start: float | None) -> None:
        self._freezer = freezer
        if start is not None:
            self.move_to(start)

    def now(self) -> float:
        # The test moves this factory itself too, so read it rather than keep a copy.
        return _frozen_epoch(self._freezer.time_to_freeze)

    def shift(self, delta: timedelta) -> None:
        self._freezer.tick(delta)

    def move_to(self, epoch: float) -> None:
        self._freezer.move_to(_utc(epoch))

    def stop(self) -> None:
        """The fixture's owner stops it."""


class TimeMachineDriver:
    """The test's own ``time_machine`` fixture (time-machine 3.x), never ticking."""

    name = "time-machine"

    def __init__(self, fixture: Any, start: float | None) -> None:
        self._fixture = fixture
        if start is not None or fixture.traveller is None:
            self.move_to(int(time.time()) if start is None else start)

    def now(self) -> float:
        return time.time()  # time-machine patches it in C: already fast

    def shift(self, delta: timedelta) -> None:
        self._fixture.shift(delta)

    def move_to(self, epoch: float) -> None:
        self._fixture.move_to(epoch, tick=False)

    def stop(self) -> None:
        """The fixture's owner stops it."""


class KVClock:
    """The ``kv_clock`` fixture: the test's frozen clock, shared with the code under test.

    Example::

        async def test_session_expires(kv, kv_clock):
            await kv.put("s:1", "alice", expirationTtl=60)
            kv_clock.advance(60)
            assert await kv.get("s:1") is None
    """

    __slots__ = ("_driver", "_stopped")

    def __init__(self, driver: _Driver) -> None:
        self._driver = driver
        self._stopped = False

    @property
    def driver(self) -> str:
        """What moves time: ``"freezegun"``, ``"time-machine"`` or ``"freezer"``."""
        return self._driver.name

    def now(self) -> float:
        """The current time in seconds since the epoch, as the fake reads it."""
        return self._driver.now()

    def advance(self, seconds: float | timedelta) -> float:
        """Move time forward (or back, if negative) and return the new ``now()``."""
        self._check_running()
        delta = _delta(seconds)
        _checked_epoch(self._driver.now() + delta.total_seconds(), seconds)
        self._driver.shift(delta)
        return self._driver.now()

    def move_to(self, when: Instant) -> float:
        """Jump to an instant (datetime, epoch seconds or ISO 8601; naive means UTC)."""
        self._check_running()
        self._driver.move_to(to_epoch(when))
        return self._driver.now()

    def start(self) -> None:
        """Make this the clock that the fixtures' namespaces read."""
        global active
        active = self._driver.now

    def stop(self) -> None:
        global active
        active = None
        self._stopped = True
        self._driver.stop()

    def _check_running(self) -> None:
        if self._stopped:
            raise RuntimeError(
                "this kv_clock belongs to a test that has ended, and moving it would move "
                "nothing; use the kv_clock fixture of the test that is running"
            )

    def __repr__(self) -> str:
        return f"<KVClock {_utc(self.now()).isoformat()} driven by {self.driver}>"


# The running test's kv_clock, read by the namespaces that its fixtures made.
active: Callable[[], float] | None = None
