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
from types import FrameType
from typing import Any, Final

from pytest_kv.errors import KVError

# sys.monitoring's tool ids 3 and 4 are free for tools that are not a debugger,
# coverage, a profiler or an optimizer.
_TOOL_IDS: Final = (3, 4)


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, every exception it was raised from or while handling, and the
    members of exception groups (a task group's) among them."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        members = getattr(current, "exceptions", None)  # ExceptionGroup, or the backport's
        if isinstance(members, tuple):
            pending.extend(member for member in members if isinstance(member, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)


class Wrappers:
    """Exceptions raised during one test that carry a ``KVError``.

    Watching starts with the test's first validation error (``error()``), so a test
    that has none pays nothing: ``sys.monitoring`` reports every raise on Python 3.12
    and later; before that, a trace function on the test's own frames sees every
    exception that reaches them (unless a debugger or coverage tracer is active, when
    the live exceptions are searched at teardown instead).
    """

    __slots__ = ("_files", "_tool", "_tracing", "kept")

    def __init__(self, files: set[str]) -> None:
        self._files = files
        self.kept: list[BaseException] = []
        self._tool: int | None = None
        self._tracing = False

    def error(self, error: BaseException) -> None:
        """A call failed with ``error``: from now on, watch for what carries it."""
        if self._tool is not None or self._tracing or not isinstance(error, KVError):
            return
        monitoring: Any = getattr(sys, "monitoring", None)
        if monitoring is not None:
            for tool in _TOOL_IDS:
                try:
                    monitoring.use_tool_id(tool, "pytest-kv")
                except ValueError:  # taken by another tool
                    continue
                monitoring.register_callback(tool, monitoring.events.RAISE, self._raised)
                monitoring.set_events(tool, monitoring.events.RAISE)
                self._tool = tool
                return
        elif sys.gettrace() is None:
            self._tracing = True
            sys.settrace(self._call)
            frame = sys._getframe(1)
            while frame is not None:  # the frames already running: the test's among them
                if frame.f_code.co_filename in self._files:
                    frame.f_trace_lines = False
                    frame.f_trace = self._local
                frame = frame.f_back  # type: ignore[assignment]

    def stop(self) -> None:
        if self._tracing:
            sys.settrace(None)
            self._tracing = False
        if self._tool is None:
            return
        monitoring: Any = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        monitoring.set_events(self._tool, 0)
        monitoring.register_callback(self._tool, monitoring.events.RAISE, None)
        monitoring.free_tool_id(self._tool)
        self._tool = None

    def _call(self, frame: FrameType, event: str, arg: object) -> Any:
        if frame.f_code.co_filename in self._files:
            frame.f_trace_lines = False
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "exception":
            self._raised(frame.f_code, 0, arg[1])
        return self._local

    def _raised(self, code: object, offset: int, exception: BaseException) -> None:
        # Called for every raise while the test runs: keep it cheap.
        if (
            exception.__cause__ is None
            and exception.__context__ is None
            and getattr(exception, "exceptions", None) is None
        ):
            return
        if isinstance(exception, KVError):
            return
        if any(isinstance(link, KVError) for link in chain(exception)):
            self.kept.append(exception)

    def carriers(self, error: BaseException) -> list[BaseException]:
        """The exceptions known to carry ``error``: kept ones, and live ones."""
        found = [kept for kept in self.kept if any(link is error for link in chain(kept))]
        if not found and not self._tracing and self._tool is None:
            found = _live_carriers(error)
        return found


def _live_carriers(error: BaseException) -> list[BaseException]:
    carriers: list[BaseException] = []
    frontier = [error]
    while frontier and len(carriers) < 100:
        current = frontier.pop()
        for referrer in gc.get_referrers(current):
            found = [referrer]
            if isinstance(referrer, tuple):  # an exception group's members
                found = [
                    group
                    for group in gc.get_referrers(referrer)
                    if getattr(group, "exceptions", None) is referrer
                ]
            for carrier in found:
                if (
                    isinstance(carrier, BaseException)
                    and carrier not in carriers
                    and any(link is current for link in _links(carrier))
                ):
                    carriers.append(carrier)
                    frontier.append(carrier)
    return carriers


def _links(error: BaseException) -> Iterator[BaseException]:
    """The exceptions ``error`` refers to directly."""
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            yield linked
    members = getattr(error, "exceptions", None)
    if isinstance(members, tuple):
        yield from (member for member in members if isinstance(member, BaseException))
