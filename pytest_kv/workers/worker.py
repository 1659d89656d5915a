"""``KVWorker``: a Worker's own main module, imported and called the way workerd calls
it, with the test's fake KV bindings behind ``self.env``."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json as jsonlib
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urljoin, urlsplit

from pytest_kv.binding.env import KVEnv

from .bindings import positional_env, raw_env
from .compat import Runtime
from .context import ExecutionContext, Invocation, WorkerState, enter, leave
from .events import MessageBatch, QueueResult, ScheduledController, ScheduledEvent
from .jsvalues import JsException, JsObject, jsnull
from .loader import Entrypoint, WorkerLoadError, entrypoint_of, forget, import_main
from .request import JsRequest, Request
from .response import JsResponse, Response
from .sync import SyncKVWorker

__all__ = ["KVWorker"]

BASE_URL = "http://localhost:8787"  # where `wrangler dev` serves a Worker


def relaxed_call(function: Callable[..., Any], *args: Any) -> Any:
    """Call ``function`` with as many of ``args`` as it takes (Pyodide's
    ``relaxed_call``, which workerd uses for ``fetch``)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return function(*args)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return function(*args)
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return function(*args[: sum(p.kind in positional for p in parameters)])


def _require_asyncio() -> None:
    __tracebackhide__ = True
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "kv_worker runs the Worker on asyncio, as Pyodide does, but this test runs on "
            "another event loop (trio?): run it on asyncio (pytest-asyncio, or anyio's "
            "asyncio backend), or call kv_worker.sync.fetch(...) from a sync test"
        ) from None


class KVWorker:
    """The ``kv_worker`` fixture: the Worker named by the wrangler config's ``main``,
    imported fresh for the test and served from one edge location.

    Example::

        async def test_home(kv_worker):
            response = await kv_worker.fetch("/", headers={"accept": "text/html"})
            assert response.status == 200
            assert await response.text() == "hello"
            sydney = kv_worker.at("syd")                # the same Worker at another location
            assert (await sydney.fetch("/")).ok
    """

    def __init__(
        self,
        main: Path,
        runtime: Runtime,
        env: Any,
        *,
        location: str | None = None,
        bindings: Mapping[str, Any] | None = None,
        base_url: str = BASE_URL,
    ) -> None:
        self.main = main
        self.runtime = runtime
        self.base_url = base_url
        self._base_env = env
        self._bindings = dict(bindings or {})
        self.location = location or _first_location(env)
        self._state = WorkerState(runtime, self._merged_env(), self.location)
        self._module: ModuleType | None = None
        self._entrypoint: Entrypoint | None = None
        self._views: dict[str, KVWorker] = {self.location: self}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closers: list[KVWorker] = [self]
        self.sync = SyncKVWorker(self)

    def _merged_env(self) -> Any:
        base = self._base_env
        if not self._bindings:
            return base
        if isinstance(base, KVEnv):  # keep the test side's attribute access and .at()
            namespaces = {k: v for k, v in base.namespaces.items() if k not in self._bindings}
            others = {k: v for k, v in base.items() if k not in base.namespaces}
            return KVEnv(namespaces, {**others, **self._bindings})
        return {**_bindings_of(base), **self._bindings}

    @property
    def env(self) -> Any:
        """The test-side env (``kv_env``, plus ``bind()``'s bindings): inspect or seed
        the namespaces the Worker uses, as ``kv_worker.env.KV.keys()``."""
        return self._state.env

    @property
    def module(self) -> ModuleType:
        """The Worker's main module, as imported for this test and location."""
        __tracebackhide__ = True
        if self._module is None:
            self._module = import_main(self.main, self._state)
            self._entrypoint = entrypoint_of(self._module, self.main, self.runtime)
        return self._module

    @property
    def entrypoint(self) -> Entrypoint:
        """The default entrypoint: the ``Default`` class or module-level handlers."""
        __tracebackhide__ = True
        if self._entrypoint is None:
            self.module  # noqa: B018 - imports the module and finds the entrypoint
        assert self._entrypoint is not None
        return self._entrypoint

    def at(self, location: str) -> KVWorker:
        """The same Worker served from ``location``: its bindings read and write there
        (eventual consistency), and its module is imported separately, as each
        location runs its own isolate."""
        __tracebackhide__ = True
        view = self._views.get(location)
        if view is None:
            base = self._base_env
            env = base.at(location) if hasattr(base, "at") else base
            view = KVWorker(
                self.main,
                self.runtime,
                env,
                location=location,
                bindings=self._bindings,
                base_url=self.base_url,
            )
            view._views = self._views
            self._views[location] = view
            self._closers.append(view)
        return view

    def bind(self, **bindings: Any) -> KVWorker:
        """The same Worker with more env bindings: secrets, or your own fakes of
        bindings pytest-kv does not provide (D1, R2, services...).

        Example: ``worker = kv_worker.bind(API_TOKEN="test-token")``.
        """
        worker = KVWorker(
            self.main,
            self.runtime,
            self._base_env,
            location=self.location,
            bindings={**self._bindings, **bindings},
            base_url=self.base_url,
        )
        self._closers.append(worker)
        return worker

    # -- invocations ---------------------------------------------------------------

    def _request(
        self,
        path_or_url: str,
        method: str,
        headers: Any,
        body: Any,
        json: Any,
        cf: Mapping[str, Any] | None,
    ) -> JsRequest:
        __tracebackhide__ = True
        url = path_or_url if urlsplit(path_or_url).scheme else urljoin(self.base_url, path_or_url)
        pairs = list(headers.items() if isinstance(headers, Mapping) else headers or [])
        if json is not None:
            if body is not None:
                raise ValueError("kv_worker.fetch() takes body= or json=, not both")
            body = jsonlib.dumps(json)
            if not any(str(name).lower() == "content-type" for name, _ in pairs):
                pairs.append(("content-type", "application/json"))
        properties = {"colo": self.location.upper(), **(cf or {})}
        try:
            return JsRequest(url, method=method, headers=pairs, body=body, cf=JsObject(properties))
        except JsException as error:
            raise (TypeError if error.name == "TypeError" else ValueError)(
                f"kv_worker.fetch(): {error.message}"
            ) from None

    async def _invoke(self, handler: str, call: Callable[[Any, ExecutionContext], Any]) -> Any:
        """Run one invocation: build the entrypoint, call, then await waitUntil tasks."""
        __tracebackhide__ = True
        _require_asyncio()
        entrypoint = self.entrypoint
        invocation = Invocation(self._state, f"{entrypoint.name}.{handler}")
        ctx = ExecutionContext(invocation)
        token = enter(invocation)
        try:
            try:
                result = call(self._target(entrypoint, ctx), ctx)
                if inspect.isawaitable(result):
                    result = await result
            except BaseException:
                await _cancel(invocation)
                raise
            await invocation.drain()
        finally:
            leave(token)
        return result

    def _target(self, entrypoint: Entrypoint, ctx: ExecutionContext) -> Any:
        __tracebackhide__ = True
        if entrypoint.cls is None:
            return entrypoint.handlers
        env = raw_env(self._state.env, self.runtime)
        try:
            return entrypoint.cls(ctx, env)
        except Exception as error:
            raise WorkerLoadError(
                f"{self.main}: building the entrypoint as {entrypoint.cls.__name__}(ctx, env) "
                f"failed: {type(error).__name__}: {error}. workerd builds it with two "
                "arguments, ctx and env, for each request"
            ) from error

    def _method(self, target: Any, name: str, legacy_name: str | None = None) -> Any:
        __tracebackhide__ = True
        if isinstance(target, dict):
            function = target.get(f"on_{name}")
            if function is None:
                raise TypeError(
                    f'Python entrypoint "{self.main.name}" does not export a handler named '
                    f'"on_{name}"'
                )
            return function
        prop = legacy_name if legacy_name and self.runtime.legacy_handlers else name
        method = getattr(target, prop, None)
        if not callable(method):
            hint = ""
            if prop != name and callable(getattr(target, name, None)):
                hint = (
                    f"; compatibility_date {self.runtime.compatibility_date} is before "
                    "2025-08-14 (python_no_global_handlers), so workerd calls on_fetch: "
                    "rename the method, or set a later compatibility_date"
                )
            raise TypeError(f"Method {prop} does not exist{hint}")
        return method

    async def fetch(
        self,
        path_or_url: str = "/",
        method: str = "GET",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: str | bytes | None = None,
        json: Any = None,
        cf: Mapping[str, Any] | None = None,
    ) -> Response:
        """Send a request to the Worker; returns its ``Response`` once every
        ``ctx.waitUntil()`` task has finished.

        ``path_or_url`` is a path (served from ``http://localhost:8787``, as by
        ``wrangler dev``) or a full URL; ``json=`` sends a JSON body; ``cf`` adds to
        ``request.cf`` (whose ``colo`` is the location).
        """
        __tracebackhide__ = True
        request = self._request(path_or_url, method, headers, body, json, cf)

        def call(target: Any, ctx: ExecutionContext) -> Any:
            handler = self._method(target, "fetch", "on_fetch")
            env = raw_env(self._state.env, self.runtime)
            if isinstance(target, dict):  # module-level on_fetch: raw arguments
                return relaxed_call(handler, request, env, ctx)
            return relaxed_call(
                handler, Request(request), positional_env(self._state.env, self.runtime), ctx
            )

        result = await self._invoke("fetch", call)
        return self._response(result)

    def _response(self, result: Any) -> Response:
        __tracebackhide__ = True
        js = getattr(result, "js_response", None) or getattr(result, "js_object", None)
        if isinstance(result, JsResponse):
            js = result
        if not isinstance(js, JsResponse):
            shown = "None" if result is None or result is jsnull else type(result).__name__
            raise TypeError(
                f"the Worker's fetch returned {shown}, not a Response: production fails "
                "the request. Return a workers.Response (or a js.Response)"
            )
        return Response(js)

    async def scheduled(
        self, cron: str = "* * * * *", *, scheduled_time: float | None = None
    ) -> ScheduledEvent:
        """Fire a cron event: calls ``scheduled(self, controller, env, ctx)`` (workerd
        passes all three); returns the event, with ``no_retry`` if it called
        ``controller.noRetry()``. ``scheduled_time`` is in epoch milliseconds."""
        __tracebackhide__ = True
        when = float(int(time.time() * 1000)) if scheduled_time is None else scheduled_time
        event = ScheduledEvent(cron, when)
        controller = ScheduledController(event)

        def call(target: Any, ctx: ExecutionContext) -> Any:
            handler = self._method(target, "scheduled")
            env = positional_env(self._state.env, self.runtime)
            if isinstance(target, dict):
                return relaxed_call(
                    handler, controller, raw_env(self._state.env, self.runtime), ctx
                )
            return handler(controller, env, ctx)

        await self._invoke("scheduled", call)
        return event

    async def queue(self, messages: Iterable[Any], *, queue: str = "queue") -> QueueResult:
        """Deliver a batch of messages (their bodies): calls ``queue(self, batch, env,
        ctx)``; returns which messages were acknowledged and which retried."""
        __tracebackhide__ = True
        batch = MessageBatch(
            queue,
            messages,
            time.time() * 1000,
            self.runtime.wrapped,
            jsnull if self.runtime.jsnull else None,
        )

        def call(target: Any, ctx: ExecutionContext) -> Any:
            handler = self._method(target, "queue")
            if isinstance(target, dict):
                return relaxed_call(handler, batch, raw_env(self._state.env, self.runtime), ctx)
            return handler(batch, positional_env(self._state.env, self.runtime), ctx)

        await self._invoke("queue", call)
        return batch.result()

    # -- lifetime ------------------------------------------------------------------

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop

    def close(self) -> None:
        """Close the event loop of ``sync`` calls, and forget the imported modules."""
        for worker in self._closers:
            if worker._loop is not None:
                loop, worker._loop = worker._loop, None
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
            if worker is not self:
                worker.close()
        forget(self.main)

    def __repr__(self) -> str:
        return f"<KVWorker {self.main.name} at {self.location!r}>"


async def _cancel(invocation: Invocation) -> None:
    for _, task in invocation.tasks:
        task.cancel()
    for _, task in invocation.tasks:
        # The handler's own error is what the test sees; the tasks only need to end.
        with contextlib.suppress(BaseException):
            await task


def _bindings_of(env: Any) -> dict[str, Any]:
    if isinstance(env, Mapping):
        return dict(env)
    return {k: v for k, v in vars(env).items() if not k.startswith("_")}


def _first_location(env: Any) -> str:
    namespaces = getattr(env, "namespaces", None)
    if isinstance(namespaces, Mapping):
        for namespace in namespaces.values():
            return str(namespace.location)
    return "local"
