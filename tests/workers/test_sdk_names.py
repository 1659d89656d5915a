"""The rest of the workers module: its names, what is not provided, the module-level
env and wait_until, ctx, and the SDK's rpc conversions."""

from __future__ import annotations

import pytest
import workers
from js import JSON, Object
from pyodide.ffi import jsnull, to_js
from pyodide.http import BodyUsedError, HttpStatusError
from workers import DurableObject, Response, WorkflowEntrypoint

from pytest_kv import JsDict, KVEnv, KVNamespace, NotProvidedError
from pytest_kv.workers.compat import runtime_of
from pytest_kv.workers.context import ExecutionContext, Invocation, WorkerState
from pytest_kv.workers.headers import JsHeaders, http_message


def test_the_sdks_names_are_all_there() -> None:
    for name in workers.__all__:
        if name not in ("env",):
            assert hasattr(workers, name) or name in ("wait_until", "waitUntil")
    assert workers.waitUntil is workers.wait_until
    assert workers.FetchResponse is Response
    with pytest.raises(AttributeError, match="module 'workers' has no attribute 'nope'"):
        workers.nope  # noqa: B018 - a name the SDK does not have either


def test_durable_objects_and_workflows_load_but_cannot_be_built() -> None:
    class Counter(DurableObject):  # a module that defines one still imports
        pass

    with pytest.raises(NotProvidedError, match=r"Durable Objects \(workers.DurableObject\)"):
        Counter(None, None)

    class Flow(WorkflowEntrypoint):
        pass

    with pytest.raises(NotProvidedError, match="Workflows"):
        Flow(None, None)


@pytest.mark.parametrize("name", ["FormData", "Blob", "File", "patch_env"])
def test_other_sdk_features_raise_when_used(name: str) -> None:
    feature = getattr(workers, name)
    with pytest.raises(NotProvidedError, match=f"does not provide workers.{name}"):
        feature({})


def test_not_provided_names_say_so_on_access() -> None:
    with pytest.raises(NotProvidedError, match=r"workers\.wsgi"):
        workers.wsgi  # noqa: B018


def test_import_from_javascript_gives_cloudflare_workers(kv_env_like: KVEnv) -> None:
    module = workers.import_from_javascript("cloudflare:workers")
    assert module.env.KV.constructor.name == "KvNamespace"  # the raw env
    with pytest.raises(NotProvidedError, match="cloudflare:sockets"):
        workers.import_from_javascript("cloudflare:sockets")


@pytest.fixture
def kv_env_like(ns: KVNamespace, monkeypatch: pytest.MonkeyPatch) -> KVEnv:
    from pytest_kv.workers import context

    env = KVEnv({"KV": ns}, {})
    monkeypatch.setattr(context, "_test_env", lambda: env)
    return env


def test_module_level_env_outside_a_worker_is_the_tests_env(kv_env_like: KVEnv) -> None:
    env = workers.env
    assert env.KV.name == "NS"  # the namespace behind the KV binding
    assert env.KV.keys() == []


@pytest.mark.asyncio
async def test_wait_until_needs_an_invocation_and_an_awaitable(ns: KVNamespace) -> None:
    with pytest.raises(RuntimeError, match="outside a Worker invocation"):
        workers.wait_until(None)  # type: ignore[arg-type]
    invocation = Invocation(WorkerState(runtime_of(None), {"KV": ns}), "Default.fetch")
    ctx = ExecutionContext(invocation)
    with pytest.raises(TypeError, match=r"pass the coroutine itself"):
        ctx.waitUntil("not awaitable")

    async def store() -> None:
        await ns.put("k", "v")

    ctx.waitUntil(store())
    await invocation.drain()
    assert ns.keys() == ["k"]
    with pytest.raises(
        AttributeError, match=r"'wait_until' \(the JavaScript name is ctx.waitUntil\)"
    ):
        ctx.wait_until  # noqa: B018
    with pytest.raises(NotProvidedError, match=r"ctx\.exports"):
        ctx.exports  # noqa: B018


def test_python_from_rpc_and_to_rpc() -> None:
    value = workers.python_from_rpc(JSON.parse('{"a": [{"b": null}]}'))
    assert isinstance(value, JsDict)
    assert value.a[0].b is None
    assert workers.python_from_rpc(jsnull) is None
    assert workers.python_to_rpc(None) is jsnull
    assert workers.python_to_rpc({"a": 1}).a == 1  # a plain object, not a Map
    with pytest.raises(TypeError, match=r"<class .tuple.> cannot be sent over RPC\."):
        workers.python_to_rpc((1,))
    response = Response("x")
    assert workers.python_to_rpc(response) is response.js_object


@pytest.mark.asyncio
async def test_from_json_of_a_javascript_value_is_compact() -> None:
    response = Response.from_json(to_js({"a": [1, 2]}, dict_converter=Object.fromEntries))
    assert await response.text() == '{"a":[1,2]}'
    assert response.headers["content-type"] == "application/json"


def test_pyodide_http_errors() -> None:
    assert str(BodyUsedError()) == "Response body is already used"
    error = HttpStatusError(503, "Service Unavailable", "https://a.example/")
    assert str(error) == "503 Server Error: Service Unavailable for url: https://a.example/"
    assert isinstance(error, OSError)


def test_headers_with_and_without_preserve_commas() -> None:
    headers = JsHeaders([("b", "1, 2"), ("set-cookie", "x=1"), ("set-cookie", "y=2")])
    plain = http_message(headers, preserve_commas=False)
    assert plain.items() == [("b", "1, 2"), ("set-cookie", "x=1"), ("set-cookie", "y=2")]
    kept = http_message(headers, preserve_commas=True)
    assert kept.items() == [("Set-Cookie", "x=1"), ("Set-Cookie", "y=2"), ("b", "1, 2")]
    assert kept.get_all("b") == ["1, 2"]
    assert plain == {"b": "1, 2", "set-cookie": "y=2"}  # Mapping equality, as in the SDK


def test_the_frozen_sdks_module_env_is_the_raw_javascript_env(ns: KVNamespace) -> None:
    from pytest_kv.workers import context
    from pytest_kv.workers.jsproxy import RawKVNamespace

    frozen = runtime_of("2025-11-02", sdk="frozen")
    context.activate(WorkerState(frozen, KVEnv({"KV": ns}, {"A": "b"})))
    try:
        env = workers.env
        assert isinstance(env.KV, RawKVNamespace)
        assert env.A == "b"
        with pytest.raises(TypeError, match="not subscriptable"):
            env["KV"]
    finally:
        context.activate(None)


@pytest.mark.asyncio
async def test_a_kv_stream_is_a_response_body(ns: KVNamespace) -> None:
    await ns.put("file", b"\x00streamed")
    response = Response(await ns.get("file", "stream"), headers={"content-type": "a/b"})
    assert await response.bytes() == b"\x00streamed"
