"""The js and pyodide.ffi stand-ins: Pyodide's conversions and the JavaScript globals
Worker code uses next to KV."""

from __future__ import annotations

import math
from unittest import mock

import js
import pyodide
import pytest
from hypothesis import given
from hypothesis import strategies as st
from js import JSON, Object
from pyodide.ffi import (
    JsArray,
    JsBuffer,
    JsException,
    JsMap,
    JsProxy,
    create_once_callable,
    create_proxy,
    jsnull,
    to_js,
)

from pytest_kv import NotProvidedError


def test_to_js_makes_a_map_of_a_dict_unless_told_otherwise() -> None:
    as_map = to_js({"expirationTtl": 60})
    assert isinstance(as_map, JsMap)
    assert as_map.constructor.name == "Map"
    assert as_map["expirationTtl"] == 60
    assert as_map.size == 1
    with pytest.raises(AttributeError):
        as_map.expirationTtl  # noqa: B018 - a Map has no such property
    as_object = to_js({"expirationTtl": 60}, dict_converter=Object.fromEntries)
    assert as_object.expirationTtl == 60
    assert as_object.constructor.name == "Object"
    assert isinstance(as_object, JsProxy)


def test_to_js_conversions() -> None:
    array = to_js([1, (2, 3), b"\x01"])
    assert isinstance(array, JsArray)
    assert len(array) == 3
    assert isinstance(array[1], JsArray)
    assert list(array[1]) == [2, 3]
    assert isinstance(array[2], JsBuffer)
    assert array[2].to_bytes() == b"\x01"
    assert to_js(None) is None
    assert to_js("s") == "s"
    assert to_js(jsnull) is jsnull
    assert to_js({1, 2}).to_py() == {1, 2}
    assert to_js({"a": {"b": 1}}, depth=1)["a"] == {"b": 1}  # deeper stays Python
    nested = to_js({"a": [{"b": None}]}, dict_converter=Object.fromEntries)
    assert nested.to_py() == {"a": [{"b": None}]}


def test_a_javascript_object_has_attributes_not_items() -> None:
    value = JSON.parse('{"keys": [{"name": "a"}], "list_complete": true}')
    assert [key.name for key in value.keys] == ["a"]  # works on a JsProxy
    assert value.list_complete is True
    with pytest.raises(TypeError, match=r"not subscriptable.*as_object_map"):
        value["keys"]
    assert value.as_object_map()["list_complete"] is True
    assert value.to_py() == {"keys": [{"name": "a"}], "list_complete": True}
    assert value.object_keys().to_py() == ["keys", "list_complete"]
    assert str(value) == "[object Object]"
    assert value != JSON.parse('{"keys": [{"name": "a"}], "list_complete": true}')  # ===


def test_jsnull() -> None:
    assert repr(jsnull) == "jsnull"
    assert not jsnull
    assert jsnull is not None
    assert type(jsnull)() is jsnull
    assert JSON.parse("null") is jsnull  # today's Pyodide (0.28) under the default date
    assert pyodide.__version__ == "0.28.2"


def test_json_parse_errors_are_v8s() -> None:
    with pytest.raises(JsException) as info:
        JSON.parse("{")
    assert info.value.name == "SyntaxError"
    assert str(info.value).startswith("SyntaxError: Expected property name")


def test_json_stringify_takes_javascript_values() -> None:
    value = to_js({"b": 1.0, "a": [None, jsnull]}, dict_converter=Object.fromEntries)
    assert JSON.stringify(value) == '{"b":1,"a":[null,null]}'
    assert JSON.stringify(JSON.parse('{"2": 1, "x": 2}')) == '{"2":1,"x":2}'
    with pytest.raises(
        TypeError, match=r"Python dict.*PyProxy.*dict_converter=Object\.fromEntries"
    ):
        JSON.stringify({"a": 1})


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_date_now_is_time_time_in_whole_milliseconds(epoch: float) -> None:
    with mock.patch("time.time", return_value=epoch):
        now = js.Date.now()
    assert isinstance(now, int)
    assert now == math.floor(epoch * 1000)


def test_date_now_follows_kv_clock(kv_clock: object) -> None:
    before = js.Date.now()
    kv_clock.advance(90)  # type: ignore[attr-defined]
    assert js.Date.now() - before == 90_000
    assert js.Date.new(0).toISOString() == "1970-01-01T00:00:00.000Z"


def test_console_prints_to_the_captured_streams(capsys: pytest.CaptureFixture[str]) -> None:
    js.console.log("put", 1, None, True)
    js.console.error("boom")
    out, err = capsys.readouterr()
    assert out == "put 1 undefined true\n"
    assert err == "boom\n"


def test_old_style_js_response() -> None:
    response = js.Response.new("body", status=201, headers=js.Headers.new([("a", "1")]))
    assert (response.status, response.statusText, response.headers.get("A")) == (
        201,
        "Created",
        "1",
    )
    assert js.Response.json({"a": 1}).headers.get("content-type") == "application/json"
    url = js.URL.new("https://example.com/a%20b?q=1&q=2#top")
    assert (url.protocol, url.pathname, url.search, url.hash) == (
        "https:",
        "/a%20b",
        "?q=1&q=2",
        "#top",
    )
    assert url.searchParams.get("q") == "1"
    assert url.searchParams.getAll("q").to_py() == ["1", "2"]
    assert url.searchParams.get("none") is jsnull


def test_proxies_can_be_destroyed() -> None:
    proxy = create_proxy(lambda x: x + 1)
    assert proxy(1) == 2
    assert proxy.unwrap()(2) == 3
    proxy.destroy()
    with pytest.raises(JsException, match="destroyed"):
        proxy(1)
    once = create_once_callable(lambda: "ran")
    assert once() == "ran"
    with pytest.raises(JsException):
        once()


@pytest.mark.parametrize(
    ("module", "name"), [(js, "caches"), (js, "crypto"), (pyodide, "code"), (js, "WebSocketPair")]
)
def test_what_is_not_provided_is_named(module: object, name: str) -> None:
    with pytest.raises(NotProvidedError, match=rf"does not provide \w+\.{name}"):
        getattr(module, name)


def test_import_of_an_sdk_module_that_is_not_provided() -> None:
    with pytest.raises(ModuleNotFoundError, match=r"does not provide workers\.wsgi \(WSGI"):
        import workers.wsgi  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match=r"does not provide pyodide\.webloop"):
        import pyodide.webloop  # noqa: F401
