"""Suspension points: where an async KV call lets other tasks run, as production's I/O
does.

Every async call of the binding, and of the REST API's async transport, awaits
``suspend(...)`` before it does anything else, so concurrent tasks interleave at KV
calls and a call's result reflects the state when it completes. What the point does is
decided on every call, cheaply, in this order:

1. ``DRIVER`` holds a driver (the race explorer, which steps the coroutines of its
   invocations by hand): the call yields a ``Pending`` describing itself, and the driver
   decides when it completes by sending ``None`` back.
2. ``DRIVER`` holds ``STEPPED`` (helpers that run a coroutine to the end by hand with
   ``coro.send(None)``, such as ``assert_paginates``): no suspension.
3. asyncio, a running loop with a current task: a bare ``yield``, exactly what
   ``asyncio.sleep(0)`` does (the task is rescheduled with ``call_soon``). The task
   check keeps trio's guest mode, whose tasks run inside asyncio callbacks, on rule 4.
4. trio, a current trio task: ``trio.lowlevel.checkpoint()``, a schedule point and a
   cancel point, as I/O is in trio (a cancelled call never happened: the call's work
   comes after the point).
5. Anything else (no event loop, curio, a coroutine stepped by hand outside a loop):
   no suspension; the call completes at once.

This module sits below the front doors because both the binding and the REST API
suspend here, and the explorer must recognise both through one context variable;
neither door may import the other.
"""

from __future__ import annotations

import sys
from asyncio import _get_running_loop, current_task
from collections.abc import Awaitable, Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any, Final

__all__ = ["DRIVER", "STEPPED", "Pending", "stepping", "suspend"]


class _Stepped:
    """The ``DRIVER`` value of a coroutine run to its end by hand: nothing suspends."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "STEPPED"


STEPPED: Final = _Stepped()

# None: the running event loop decides (rules 3 to 5). Set per context, so a driver's
# choice covers the coroutines it steps and nothing else.
DRIVER: ContextVar[object | None] = ContextVar("pytest_kv_driver", default=None)


class Pending:
    """A call about to complete, as a driver receives it at a suspension point.

    ``subject`` is the binding (a ``KVNamespace``) or ``"rest"``; ``method``, ``key``,
    ``args`` and ``kwargs`` are the call as it was made, not yet checked.
    """

    __slots__ = ("args", "key", "kwargs", "method", "subject")

    def __init__(
        self, subject: object, method: str, key: object, args: tuple[Any, ...], kwargs: Any
    ) -> None:
        self.subject = subject
        self.method = method
        self.key = key
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"<Pending {self.method} {self.key!r} on {self.subject!r}>"


class _Yields:
    """An awaitable that yields the values it was made with, one by one, to whoever
    drives the coroutine, and returns None: ``await`` needs only an iterator, and a
    tuple's will do. The two shared instances below make their ``__await__`` C code
    too, so the common suspensions run no Python frame of their own: the asyncio
    suspension costs what ``asyncio.sleep(0)`` costs."""

    __slots__ = ("_values",)

    def __init__(self, *values: object) -> None:
        self._values = values

    def __await__(self) -> Generator[Any, Any, None]:
        # ``await`` needs only an iterator; typeshed asks for a generator.
        return iter(self._values)  # type: ignore[return-value]


class _Once(_Yields):
    """``await`` yields ``None`` once: asyncio's bare yield."""

    __slots__ = ()
    if not TYPE_CHECKING:
        __await__ = staticmethod(partial(iter, (None,)))


class _Never(_Yields):
    """``await`` yields nothing: the call does not suspend."""

    __slots__ = ()
    if not TYPE_CHECKING:
        __await__ = staticmethod(partial(iter, ()))


_YIELD_ONCE: Final = _Once()
_NO_YIELD: Final = _Never()


def suspend(
    subject: object, method: str, key: object, args: tuple[Any, ...], kwargs: Any
) -> Awaitable[Any]:
    """The suspension point of one async call: ``await suspend(ns, "get", key, args,
    kwargs)`` first, then do the call's work (see the module's docstring for the rules).
    """
    driver = DRIVER.get()
    if driver is None:
        loop = _get_running_loop()
        if loop is not None and current_task(loop) is not None:
            return _YIELD_ONCE  # asyncio.sleep(0)'s own yield: the cheapest the loop allows
        checkpoint = _trio_checkpoint()
        return _NO_YIELD if checkpoint is None else checkpoint()
    if driver is STEPPED:
        return _NO_YIELD
    return _Yields(Pending(subject, method, key, args, kwargs))


# trio's current_task and checkpoint, looked up once trio has been imported.
_TRIO: tuple[Any, Any] | None = None


def _trio_checkpoint() -> Any:
    """``trio.lowlevel.checkpoint`` when this runs in a trio task, else None. Only
    looked up when no asyncio task runs; trio is never imported here."""
    global _TRIO
    if _TRIO is None:
        trio = sys.modules.get("trio")
        if trio is None:
            return None
        _TRIO = (trio.lowlevel.current_task, trio.lowlevel.checkpoint)
    current_trio_task, checkpoint = _TRIO
    try:
        current_trio_task()
    except RuntimeError:  # trio is imported, but this is not one of its tasks
        return None
    return checkpoint


@contextmanager
def stepping() -> Iterator[None]:
    """While the block runs, KV calls made in this context do not suspend: for code
    that steps a coroutine by hand (``coro.send(None)``) and expects it to finish at
    once. This holds inside the race explorer too: what a hand-stepped coroutine
    yields goes to the code stepping it, never to the explorer."""
    token = DRIVER.set(STEPPED)
    try:
        yield
    finally:
        DRIVER.reset(token)
