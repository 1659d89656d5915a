"""Exceptions that carry a KV error onward: ``raise AppError() from error``.

Strict teardown must not flag a KV error that the code under test wrapped in its own
exception, when that exception reached the test. The KV error's own traceback ends
where the app caught it, so the wrapper has to be found: on Python 3.12 and later
``sys.monitoring`` reports every exception raised while a test runs, and the ones
chained to a KV error are kept until teardown; elsewhere the wrappers still alive at
teardown are found through the garbage collector, and the test's own failure is
checked too.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from typing import Any, Final

from pytest_kv.errors import KVError

# sys.monitoring's tool ids 3 and 4 are free for tools that are not a debugger,
# coverage, a profiler or an optimizer.
_TOOL_IDS: Final = (3, 4)


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it was raised from or while handling."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


class Wrappers:
    """Exceptions raised during one test that chain to a ``KVError``."""

    __slots__ = ("_tool", "kept")

    def __init__(self) -> None:
        self.kept: list[BaseException] = []
        self._tool: int | None = None

    def start(self) -> None:
        monitoring: Any = getattr(sys, "monitoring", None)
        if monitoring is None:
            return
        for tool in _TOOL_IDS:
            try:
                monitoring.use_tool_id(tool, "pytest-kv")
            except ValueError:  # taken by another tool
                continue
            monitoring.register_callback(tool, monitoring.events.RAISE, self._raised)
            monitoring.set_events(tool, monitoring.events.RAISE)
            self._tool = tool
            return

    def stop(self) -> None:
        if self._tool is None:
            return
        monitoring: Any = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        monitoring.set_events(self._tool, 0)
        monitoring.register_callback(self._tool, monitoring.events.RAISE, None)
        monitoring.free_tool_id(self._tool)
        self._tool = None

    def _raised(self, code: object, offset: int, exception: BaseException) -> None:
        # Called for every raise while the test runs: keep it cheap.
        if exception.__cause__ is None and exception.__context__ is None:
            return
        if isinstance(exception, KVError):
            return
        if any(isinstance(link, KVError) for link in chain(exception)):
            self.kept.append(exception)

    def carriers(self, error: BaseException) -> list[BaseException]:
        """The exceptions known to carry ``error``: kept ones, and live ones."""
        found = [kept for kept in self.kept if any(link is error for link in chain(kept))]
        if self._tool is None and not found:
            found = _live_carriers(error)
        return found


def _live_carriers(error: BaseException) -> list[BaseException]:
    carriers: list[BaseException] = []
    frontier = [error]
    while frontier and len(carriers) < 100:
        current = frontier.pop()
        for referrer in gc.get_referrers(current):
            if (
                isinstance(referrer, BaseException)
                and referrer not in carriers
                and (referrer.__cause__ is current or referrer.__context__ is current)
            ):
                carriers.append(referrer)
                frontier.append(referrer)
    return carriers
