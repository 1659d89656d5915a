"""The ``workers.asgi`` module (also importable as the older top-level ``asgi``):
``fetch(app, request, env)`` serves one request with an ASGI app (FastAPI, Starlette).

As in the SDK, every call runs the app's lifespan startup and shutdown around the
request, and the scope carries the Worker's ``env`` as ``scope["env"]``, untouched:
pass ``self.env`` and routes get the wrapped env, pass a positional ``env`` and they
get what that is. The response is a JavaScript ``Response``. Unlike production, a
streamed body is collected before ``fetch`` returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from .context import not_provided
from .headers import JsHeaders
from .request import JsRequest, Request
from .response import JsResponse
from .sdk import WorkerEntrypoint

__all__ = ["Options", "entrypoint", "fetch", "module_getattr"]

ASGI: Final = {"spec_version": "2.0", "version": "3.0"}
NULL_BODY_STATUSES: Final = frozenset({101, 103, 204, 205, 304})
_ENCODINGS: Final = ("automatic", "manual")
logger = logging.getLogger("asgi")

Shutdown = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Options:
    """``encode_body``: ``"automatic"`` (the default) or ``"manual"``."""

    encode_body: str = "automatic"

    def __post_init__(self) -> None:
        if self.encode_body not in _ENCODINGS:
            raise ValueError(f"encode_body must be one of {_ENCODINGS}, got {self.encode_body!r}")


async def _start(app: Any) -> tuple[dict[str, Any], Shutdown]:
    """One lifespan startup; returns the lifespan state and the matching shutdown."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    state: dict[str, Any] = {}
    started: asyncio.Future[bool] = loop.create_future()
    stopped: asyncio.Future[None] = loop.create_future()
    queue.put_nowait({"type": "lifespan.startup"})

    async def receive() -> dict[str, Any]:
        return await queue.get()

    def settle(
        future: asyncio.Future[Any], value: Any = None, error: Exception | None = None
    ) -> None:
        if not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)

    async def send(message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            settle(started, True)
        elif kind == "lifespan.startup.failed":
            failure = message.get("message") or "ASGI lifespan startup failed"
            settle(started, error=RuntimeError(failure))
        elif kind == "lifespan.shutdown.complete":
            settle(stopped)
        elif kind == "lifespan.shutdown.failed":
            failure = message.get("message") or "ASGI lifespan shutdown failed"
            settle(stopped, error=RuntimeError(failure))
        else:
            raise RuntimeError(f"Unexpected lifespan event {kind}")

    async def run() -> None:
        try:
            await app({"asgi": ASGI, "state": state, "type": "lifespan"}, receive, send)
        except Exception as error:
            if not started.done():
                # An app that raises before acknowledging startup has no lifespan.
                logger.debug("ASGI app does not support lifespan", exc_info=error)
            else:
                logger.exception("Exception in ASGI lifespan application", exc_info=error)
        settle(started, False)
        settle(stopped)

    task = asyncio.ensure_future(run())
    try:
        supported = await started
    except BaseException:
        task.cancel()
        raise

    async def shutdown() -> None:
        if supported:
            queue.put_nowait({"type": "lifespan.shutdown"})
            await stopped
        await task

    return state, shutdown


def _scope(request: Request | JsRequest, env: Any, state: dict[str, Any]) -> dict[str, Any]:
    pairs = request.headers.items() if isinstance(request, Request) else request.headers.pairs()
    url = urlsplit(request.url)
    return {
        "asgi": ASGI,
        "headers": [(name.lower().encode(), value.encode()) for name, value in pairs],
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": unquote(url.path or "/"),
        "raw_path": (url.path or "/").encode(),
        "query_string": url.query.encode(),
        "type": "http",
        "env": env,
        "state": dict(state),
    }


async def _serve(
    app: Any, request: Request | JsRequest, env: Any, state: dict[str, Any], options: Options
) -> JsResponse:
    js_request = request.js_object if isinstance(request, Request) else request
    messages: deque[dict[str, Any]] = deque()
    stream = js_request.body
    if stream:
        async for chunk in stream:
            messages.append({"type": "http.request", "body": chunk.to_bytes(), "more_body": True})
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    finished = asyncio.Event()
    status: int | None = None
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.popleft()
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers.extend((k.decode(), v.decode()) for k, v in message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(_scope(request, env, state), receive, send)
    except Exception:
        if not finished.is_set():
            logger.exception("ASGI request failed")
            raise
        logger.exception("Exception in ASGI application after response started")
    finished.set()
    if status is None:
        raise RuntimeError("The application did not generate a response")
    body = None if status in NULL_BODY_STATUSES else b"".join(chunks)
    init: dict[str, Any] = {"status": status, "headers": JsHeaders(headers)}
    if options.encode_body != "automatic":
        init["encodeBody"] = options.encode_body
    return JsResponse(body, init)


async def fetch(
    app: Any,
    req: Request | JsRequest,
    env: Any,
    ctx: Any = None,
    *,
    options: Options | None = None,
) -> JsResponse:
    """Serve ``req`` with the ASGI ``app``; ``scope["env"]`` is ``env``.

    Example::

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return await asgi.fetch(app, request.js_object, self.env)
    """
    if not isinstance(req, (Request, JsRequest)):
        raise TypeError(f"asgi.fetch() takes a Request or a js.Request, got {type(req).__name__}")
    logger.debug("ASGI request: %s %s", req.method, req.url)
    state, shutdown = await _start(app)
    try:
        response = await _serve(app, req, env, state, options or Options())
    finally:
        await shutdown()
    return response


def entrypoint(app: Any, *, options: Options | None = None) -> type[WorkerEntrypoint]:
    """A ``Default`` entrypoint class that serves every request with ``app``."""

    class Default(WorkerEntrypoint):
        async def fetch(self, request: Request) -> JsResponse:
            return await fetch(app, request, self.env, self.ctx, options=options)

    return Default


async def websocket(app: Any, req: Any, env: Any = None) -> Any:
    """WebSockets are not provided."""
    raise not_provided("WebSockets (workers.asgi.websocket)")


def module_getattr(name: str) -> Any:
    """``workers.asgi.env``: a FastAPI dependency that gives a route ``scope["env"]``."""
    if name == "env":
        from fastapi import Depends, Request

        async def env(request: Any) -> Any:
            return request.scope["env"]

        # FastAPI reads the annotation to inject the request; under postponed
        # evaluation a locally imported name would not resolve, so set it directly.
        env.__annotations__ = {"request": Request, "return": Any}
        return Depends(env)
    raise AttributeError(f"module 'workers.asgi' has no attribute {name!r}")
