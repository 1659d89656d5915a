"""The env and KV bindings in each shape production hands them to Python: wrapped by
the vendored SDK (``self.env``), raw JsProxies (the frozen SDK, a positional env, a
legacy ``on_fetch``), and the rpc-converted positional env."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from js import JSON, Object
from pyodide.ffi import JsMap, JsProxy, jsnull, to_js
from workers import WorkerEntrypoint

from pytest_kv import JsDict, KVEnv, KVNamespace, KVTypeError
from pytest_kv.workers.bindings import EnvWrapper, positional_env, raw_env
from pytest_kv.workers.compat import runtime_of
from pytest_kv.workers.jsproxy import RawKVNamespace

asyncio = pytest.mark.asyncio

NEW = runtime_of("2025-11-02")  # vendored SDK, Pyodide 0.28
OLD = runtime_of("2025-09-01")  # Pyodide 0.26: null is None
FROZEN = runtime_of("2025-11-02", sdk="frozen")


@pytest.fixture
def env(ns: KVNamespace) -> KVEnv:
    return KVEnv({"KV": ns}, {"MESSAGE": "hi", "CONFIG": {"theme": {"dark": True}}, "N": 3})


def raw(ns: KVNamespace, runtime: Any = NEW) -> RawKVNamespace:
    return RawKVNamespace(ns, runtime)


@asyncio
async def test_wrapped_list_keys_is_the_dict_method_as_in_production(ns: KVNamespace) -> None:
    await ns.put("a", "1")
    wrapped = EnvWrapper(KVEnv({"KV": ns}, {}), True).KV
    page = await wrapped.list()
    assert isinstance(page, JsDict)
    with pytest.raises(TypeError, match="'builtin_function_or_method' object is not iterable"):
        [key.name for key in page.keys]  # type: ignore[attr-defined]
    assert [key.name for key in page["keys"]] == ["a"]
    assert await wrapped.get("missing") is None


@asyncio
async def test_raw_results_are_javascript_values(ns: KVNamespace) -> None:
    await ns.put("user:1", '{"name": "ada", "tags": null}', metadata={"v": 1})
    kv = raw(ns)
    page = await kv.list(prefix="user:")
    assert [key.name for key in page.keys] == ["user:1"]  # works on a raw JsProxy
    assert page.keys[0].metadata.v == 1
    assert page.list_complete is True
    assert page.cacheStatus is jsnull
    with pytest.raises(AttributeError):
        page.cursor  # noqa: B018 - absent while the listing is complete
    value = await kv.get("user:1", "json")
    assert isinstance(value, JsProxy)
    assert value.name == "ada"
    assert value.tags is jsnull
    with pytest.raises(TypeError, match="not subscriptable"):
        value["name"]
    meta = await kv.getWithMetadata("missing")
    assert meta.value is jsnull
    assert meta.metadata is jsnull
    buffer = await kv.get("user:1", "arrayBuffer")
    assert buffer.constructor.name == "ArrayBuffer"
    assert buffer.to_bytes().startswith(b'{"name"')


@asyncio
async def test_raw_nulls_follow_the_pyodide_of_the_compatibility_date(ns: KVNamespace) -> None:
    assert await raw(ns, NEW).get("missing") is jsnull
    assert await raw(ns, OLD).get("missing") is None


@asyncio
async def test_a_raw_bulk_read_is_a_map(ns: KVNamespace) -> None:
    await ns.put("a", "1")
    result = await raw(ns).get(to_js(["a", "b"]))
    assert isinstance(result, JsMap)
    assert result["a"] == "1"
    assert result["b"] is jsnull
    assert result.to_py() == {"a": "1", "b": jsnull}


@asyncio
@pytest.mark.parametrize("shape", ["wrapped", "raw"])
async def test_options_as_a_javascript_map_are_refused(ns: KVNamespace, shape: str) -> None:
    kv: Any = EnvWrapper(KVEnv({"KV": ns}, {}), True).KV if shape == "wrapped" else raw(ns)
    with pytest.raises(KVTypeError, match=r"options is a JavaScript Map.*silently ignore"):
        await kv.put("k", "v", to_js({"expirationTtl": 60}))
    with pytest.raises(KVTypeError, match="metadata= is a JavaScript Map"):
        await kv.put("k", "v", metadata=to_js({"v": 1}))
    with pytest.raises(KVTypeError, match=r"dict_converter=Object.fromEntries"):
        await kv.get("k", to_js({"type": "json"}))
    assert ns.keys() == []  # nothing was written
    await kv.put("k", "v", to_js({"expirationTtl": 60}, dict_converter=Object.fromEntries))
    assert ns.peek("k").expiration == 1060  # type: ignore[union-attr]


@asyncio
async def test_raw_bindings_refuse_what_pyodide_would_mangle(ns: KVNamespace) -> None:
    with pytest.raises(KVTypeError, match=r"a Python list.*not a JavaScript Array"):
        await raw(ns).get(["a", "b"])
    with pytest.raises(KVTypeError, match=r"accepts only strings.*pass to_js\(value\)"):
        await raw(ns).put("k", b"\x00")
    with pytest.raises(KVTypeError, match=r"Pyodide 0.26.*silently ignore"):
        await raw(ns, OLD).put("k", "v", {"expirationTtl": 60})
    with pytest.raises(KVTypeError, match="metadata= is a Python dict"):
        await raw(ns, OLD).put("k", "v", metadata={"v": 1})
    assert ns.keys() == []
    # Pyodide 0.28 reads a dict's keys as properties; keyword options always work.
    await raw(ns, NEW).put("k", "v", {"expirationTtl": 60})
    await raw(ns, OLD).put("j", to_js(b"\x00"), expirationTtl=120)
    assert ns.peek("k").expiration == 1060  # type: ignore[union-attr]
    assert ns.peek("j").value == b"\x00"  # type: ignore[union-attr]


@asyncio
async def test_the_binding_object_itself(ns: KVNamespace) -> None:
    wrapped = EnvWrapper(KVEnv({"KV": ns}, {}), True).KV
    assert bool(wrapped)
    with pytest.raises(TypeError, match="'KvNamespace' object has no len"):
        len(wrapped)
    with pytest.raises(TypeError, match="'KvNamespace' object is not iterable"):
        iter(wrapped)
    assert wrapped.keys() == []  # the namespace's own test-side helpers stay reachable
    with pytest.raises(TypeError, match="has no len"):
        len(raw(ns))


def test_the_wrapped_env_has_attributes_only(env: KVEnv) -> None:
    wrapped = EnvWrapper(env, True)
    assert wrapped.MESSAGE == "hi"
    assert wrapped.N == 3
    assert wrapped.CONFIG.theme.dark is True  # a JSON var is a JavaScript object
    assert wrapped.KV is wrapped.KV  # cached, as in the SDK
    with pytest.raises(TypeError, match="'_EnvWrapper' object is not subscriptable"):
        wrapped["KV"]
    with pytest.raises(
        AttributeError, match=r"no binding 'DB'; its bindings: MESSAGE, CONFIG, N, KV"
    ):
        wrapped.DB  # noqa: B018
    assert EnvWrapper(wrapped) is wrapped


def test_the_frozen_sdk_leaves_kv_raw(env: KVEnv) -> None:
    assert isinstance(EnvWrapper(env, False).KV, RawKVNamespace)


@pytest.mark.parametrize("runtime", [NEW, FROZEN], ids=["vendored", "frozen"])
def test_the_positional_env_went_through_python_from_rpc(env: KVEnv, runtime: Any) -> None:
    positional = positional_env(env, runtime)
    assert type(positional) is (JsDict if runtime.wrapped else dict)
    assert isinstance(positional["KV"], RawKVNamespace)
    assert positional["CONFIG"] == {"theme": {"dark": True}}
    if runtime.wrapped:
        assert positional.KV is positional["KV"]
        assert positional.CONFIG.theme.dark is True
    else:
        with pytest.raises(AttributeError):
            positional.KV  # noqa: B018 - a plain dict in the frozen SDK


def test_the_raw_env_is_a_javascript_object(env: KVEnv) -> None:
    js_env = raw_env(env, NEW)
    assert isinstance(js_env.KV, RawKVNamespace)
    assert js_env.CONFIG.theme.dark is True
    assert js_env.object_keys().to_py() == ["MESSAGE", "CONFIG", "N", "KV"]


def test_worker_entrypoint_wraps_env_before_the_subclass_init(env: KVEnv) -> None:
    seen: list[object] = []

    class Default(WorkerEntrypoint):
        def __init__(self, ctx: object, env: object) -> None:
            seen.append(env)
            super().__init__(ctx, env)

    class Plain(WorkerEntrypoint):
        pass

    worker = Default("ctx", env)
    assert isinstance(seen[0], EnvWrapper)
    assert worker.env is seen[0]  # wrapping twice keeps the one wrapper
    assert worker.ctx == "ctx"
    assert isinstance(Plain(None, env).env, EnvWrapper)


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers(-(2**31), 2**31 - 1)))
def test_object_from_entries_round_trips(data: dict[str, int]) -> None:
    value = to_js(data, dict_converter=Object.fromEntries)
    assert value.to_py() == data
    assert JSON.parse(JSON.stringify(value)).to_py() == data
