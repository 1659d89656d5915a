"""Which Worker is running now: its configuration, its env, and the invocation in
progress with its ``ctx.waitUntil()`` tasks.

``from workers import env`` and ``workers.wait_until`` read this; so do the
stand-ins whose behaviour depends on the compatibility date (``jsnull``, headers).
The invocation in progress is a ``ContextVar``, so tasks started from a request keep
seeing that request.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

from .compat import Runtime, runtime_of
from .jsvalues import JsObject, jsnull

__all__ = [
    "ExecutionContext",
    "Invocation",
    "NotProvidedError",
    "WaitUntilError",
    "WorkerState",
]


class NotProvidedError(NotImplementedError):
    """A part of the Workers runtime that pytest-kv's stand-ins do not provide.

    Example: ``from workers import DurableObject`` works, but building one raises
    this error, naming the feature and what to do instead.
    """


def not_provided(feature: str, hint: str = "") -> NotProvidedError:
    """The error for a feature the stand-ins lack, in one wording everywhere."""
    return NotProvidedError(
        f"pytest-kv's stand-in for the Python Workers SDK does not provide {feature}. "
        + (hint or "Mock it in the test (monkeypatch), or test that code under `pywrangler dev`.")
    )


@dataclass
class WorkerState:
    """One Worker as ``kv_worker`` runs it: its runtime settings, the test-side env
    (a ``KVEnv`` or any mapping of bindings) and the location it is served from."""

    runtime: Runtime
    env: Any
    location: str = "local"


class WaitUntilError(Exception):
    """A task handed to ``ctx.waitUntil()`` (or ``workers.wait_until``) raised.

    Production logs such an error and the client never sees it; a test should, so
    ``kv_worker`` fails the call that scheduled the task, naming it.

    Example::

        with pytest.raises(WaitUntilError, match="Default.log_visit"):
            await kv_worker.fetch("/")
    """


def task_name(awaitable: Any) -> str:
    """The qualified name of a task's coroutine, for messages."""
    coro = awaitable.get_coro() if isinstance(awaitable, asyncio.Task) else awaitable
    name = getattr(coro, "__qualname__", None)
    return str(name) if name else repr(awaitable)


@dataclass
class Invocation:
    """One call into the Worker (a request, a cron event, a queue batch)."""

    state: WorkerState
    handler: str
    tasks: list[tuple[str, asyncio.Future[Any]]] = field(default_factory=list)

    def schedule(self, awaitable: Any) -> None:
        """Run ``awaitable`` alongside the invocation; ``drain`` waits for it."""
        if not inspect.isawaitable(awaitable):
            raise TypeError(
                f"waitUntil() takes a coroutine, task or future, got {type(awaitable).__name__}: "
                "pass the coroutine itself, e.g. ctx.waitUntil(self.log(request)), not its result"
            )
        self.tasks.append((task_name(awaitable), asyncio.ensure_future(awaitable)))

    async def drain(self) -> None:
        """Await every scheduled task, including the ones they schedule; raise for the
        first that failed, after all have finished."""
        __tracebackhide__ = True
        failures: list[tuple[str, BaseException]] = []
        done = 0
        while done < len(self.tasks):
            name, task = self.tasks[done]
            done += 1
            try:
                await task
            except Exception as error:
                failures.append((name, error))
        if failures:
            first, cause = failures[0]
            more = f" ({len(failures) - 1} more failed too)" if len(failures) > 1 else ""
            raise WaitUntilError(
                f"the ctx.waitUntil() task {first} of {self.handler} raised "
                f"{type(cause).__name__}: {cause}{more}. Production would only log it; "
                "fix the task, or catch the error inside it if losing it is deliberate"
            ) from cause


class ExecutionContext:
    """The ``ctx`` a Worker gets: ``waitUntil``, ``passThroughOnException``, ``props``.

    Like production's (a raw JavaScript object), it has no ``wait_until``.
    """

    def __init__(self, invocation: Invocation | None = None) -> None:
        self._invocation = invocation
        self.props = JsObject()
        self.passed_through = False

    def waitUntil(self, awaitable: Any) -> None:
        """Keep the invocation alive until ``awaitable`` finishes."""
        invocation = self._invocation or current_invocation()
        if invocation is None:
            raise RuntimeError(
                "ctx.waitUntil() was called outside a Worker invocation: pytest-kv runs "
                "waitUntil tasks as part of the kv_worker call (fetch, scheduled, queue) "
                "that schedules them"
            )
        invocation.schedule(awaitable)

    def passThroughOnException(self) -> None:
        """Recorded only: there is no origin to fall back to in a test."""
        self.passed_through = True

    def __getattr__(self, name: str) -> Any:
        if name == "exports":
            raise not_provided("ctx.exports (loopback bindings)")
        hint = " (the JavaScript name is ctx.waitUntil)" if name == "wait_until" else ""
        raise AttributeError(f"ExecutionContext has no attribute {name!r}{hint}")

    def __repr__(self) -> str:
        return "[object ExecutionContext]"


_INVOCATION: Final[ContextVar[Invocation | None]] = ContextVar("kv_worker_invocation", default=None)
_active: WorkerState | None = None  # the Worker being imported, or the last one called
_test_env: Callable[[], Any] | None = None  # the current test's kv_env, made on demand


def current_invocation() -> Invocation | None:
    """The invocation in progress, if any."""
    return _INVOCATION.get()


def enter(invocation: Invocation) -> Any:
    """Make ``invocation`` current; returns the token for ``leave``."""
    global _active
    _active = invocation.state
    return _INVOCATION.set(invocation)


def leave(token: Any) -> None:
    """End the invocation that ``enter`` started."""
    _INVOCATION.reset(token)


def activate(state: WorkerState | None) -> None:
    """The Worker whose module is being imported (module-level code sees its env)."""
    global _active
    _active = state


def set_test_env(provider: Callable[[], Any] | None) -> None:
    """How to get the current test's env when no Worker is running (``kv_env``)."""
    global _test_env
    _test_env = provider


def current_state() -> WorkerState | None:
    """The Worker of the invocation in progress, else the one last active."""
    invocation = _INVOCATION.get()
    return invocation.state if invocation is not None else _active


def current_runtime() -> Runtime:
    """The settings of the Worker running now, or today's defaults."""
    state = current_state()
    return state.runtime if state is not None else _DEFAULT


def current_env() -> Any:
    """The env of the Worker running now, else the current test's ``kv_env``."""
    state = current_state()
    if state is not None:
        return state.env
    if _test_env is not None:
        return _test_env()
    raise RuntimeError(
        "workers.env is the env of the Worker under test, and there is none here: it "
        "works in Worker code that kv_worker runs, and in tests (where it is the "
        "test's kv_env). Outside a test, pass the env to the code explicitly"
    )


def js_null() -> Any:
    """What JavaScript ``null`` is in Python for the running Worker."""
    return jsnull if current_runtime().jsnull else None


_DEFAULT: Final = runtime_of(None)
