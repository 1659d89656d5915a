"""workers.asgi.fetch (and the top-level asgi module): an ASGI app served one request
at a time, with the Worker's env in the scope, as the SDK does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asgi
import pytest
import workers.asgi
from fastapi import FastAPI
from fastapi import Request as FastAPIRequest
from fastapi.responses import PlainTextResponse
from workers import Request, Response

from pytest_kv import KVEnv, KVNamespace
from pytest_kv.workers.bindings import EnvWrapper

asyncio = pytest.mark.asyncio

Scope = dict[str, Any]


def test_the_old_top_level_module_is_workers_asgi() -> None:
    assert asgi is workers.asgi


@asyncio
async def test_a_fastapi_route_gets_the_env_from_the_scope(ns: KVNamespace) -> None:
    app = FastAPI()

    @app.post("/items/{name}")
    async def put_item(name: str, request: FastAPIRequest) -> dict[str, Any]:
        env = request.scope["env"]
        await env.KV.put(name, (await request.body()).decode())
        return {"stored": name, "q": request.query_params["q"], "user": request.headers["x-user"]}

    @app.get("/items/{name}")
    async def get_item(name: str, env: Any = asgi.env) -> PlainTextResponse:
        return PlainTextResponse(await env.KV.get(name) or "", headers={"x-from": "kv"})

    env = EnvWrapper(KVEnv({"KV": ns}, {}), True)
    request = Request(
        "https://w.dev/items/a%20b?q=1", method="POST", headers={"X-User": "ada"}, body="v"
    )
    response = Response(await asgi.fetch(app, request.js_object, env))
    assert response.status == 200
    assert await response.json() == {"stored": "a b", "q": "1", "user": "ada"}
    assert ns.peek("a b").text == "v"  # type: ignore[union-attr]
    answer = await asgi.fetch(app, Request("https://w.dev/items/a%20b"), env)
    assert answer.headers.get("x-from") == "kv"
    assert await answer.text() == "v"  # a JavaScript Response, as in the SDK


@asyncio
async def test_the_scope_is_the_sdks() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return  # an app without lifespan support
        seen.append(scope)
        assert await receive() == {"type": "http.request", "body": b"", "more_body": False}
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        assert await receive() == {"type": "http.disconnect"}

    env = object()
    response = await workers.asgi.fetch(
        app, Request("https://w.dev/a%2Fb/?x=%20", headers={"X-A": "1"}), env
    )
    assert response.status == 204
    assert response.body is None or not response.body
    scope = seen[0]
    assert scope["env"] is env  # passed through untouched
    assert scope["path"] == "/a/b/"
    assert scope["raw_path"] == b"/a%2Fb/"
    assert scope["query_string"] == b"x=%20"
    assert scope["headers"] == [(b"x-a", b"1")]
    assert scope["method"] == "GET"
    assert scope["state"] == {}
    assert "client" not in scope
    assert "server" not in scope


@asyncio
async def test_lifespan_runs_around_every_request() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        events.append("startup")
        yield {"db": "connected"}
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    async def home(request: FastAPIRequest) -> dict[str, str]:
        events.append("request")
        return {"db": request.state.db}

    for _ in range(2):
        response = await asgi.fetch(app, Request("https://w.dev/"), None)
        assert (await response.json()).to_py() == {"db": "connected"}
    assert events == ["startup", "request", "shutdown"] * 2


@asyncio
async def test_a_failed_startup_fails_the_request() -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield  # pragma: no cover

    app = FastAPI(lifespan=lifespan)
    with pytest.raises(RuntimeError, match="no database"):
        await asgi.fetch(app, Request("https://w.dev/"), None)


@asyncio
async def test_errors_from_the_app(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise KeyError("boom")

    # Starlette answers 500 and then re-raises: as in the SDK, the response stands and
    # the error is logged.
    response = await asgi.fetch(app, Request("https://w.dev/boom"), None)
    assert response.status == 500
    assert "Exception in ASGI application after response started" in caplog.text
    assert "KeyError: 'boom'" in caplog.text

    async def early(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raise KeyError("before the response")

    with pytest.raises(KeyError, match="before the response"):
        await asgi.fetch(early, Request("https://w.dev/"), None)

    async def silent(scope: Scope, receive: Any, send: Any) -> None:
        return None

    with pytest.raises(RuntimeError, match="The application did not generate a response"):
        await asgi.fetch(silent, Request("https://w.dev/"), None)
    with pytest.raises(TypeError, match=r"takes a Request or a js\.Request"):
        await asgi.fetch(app, "https://w.dev/", None)


@asyncio
async def test_repeated_headers_and_streamed_bodies() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return
        headers = [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2"), (b"content-type", b"x/y")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b"one ", "more_body": True})
        await send({"type": "http.response.body", "body": b"two"})

    response = Response(await asgi.fetch(app, Request("https://w.dev/"), None))
    assert response.headers.get_all("set-cookie") == ["a=1", "b=2"]
    assert repr(response) == "Response(status=201, status_text='Created', content_type='x/y')"
    assert await response.text() == "one two"


def test_options_are_checked() -> None:
    assert workers.asgi.Options(encode_body="manual").encode_body == "manual"
    with pytest.raises(ValueError, match=r"encode_body must be one of \('automatic', 'manual'\)"):
        workers.asgi.Options(encode_body="gzip")


@asyncio
async def test_entrypoint_builds_a_default_class(ns: KVNamespace) -> None:
    app = FastAPI()

    @app.get("/")
    async def home(request: FastAPIRequest) -> dict[str, str]:
        return {"message": request.scope["env"].MESSAGE}

    default = workers.asgi.entrypoint(app)
    worker = default(None, KVEnv({"KV": ns}, {"MESSAGE": "hi"}))
    response = await worker.fetch(Request("https://w.dev/"))
    assert await response.text() == '{"message":"hi"}'
