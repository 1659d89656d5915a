"""Conversions between Python and the JavaScript values of ``jsvalues``, as Pyodide
makes them: ``to_js``, ``Object.fromEntries``, ``JSON.parse``, the way back to plain
Python for the fake binding, and the function proxies of ``create_proxy``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pytest_kv.errors import KVError
from pytest_kv.js.json_parse import json_parse

from .jsvalues import JsArray, JsBuffer, JsException, JsMap, JsObject, JsProxy, JsSet, jsnull

__all__ = [
    "JsDoubleProxy",
    "as_js_value",
    "create_once_callable",
    "create_proxy",
    "destroy_proxies",
    "from_entries",
    "parse_json",
    "to_js",
    "to_python",
]


class JsDoubleProxy(JsProxy):
    """What ``create_proxy`` returns: a JS function that calls the Python object."""

    js_type = "Function"

    def __init__(self, target: Any, *, once: bool = False) -> None:
        self._target = target
        self._once = once
        self._destroyed = False

    @property
    def typeof(self) -> str:
        return "function"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._destroyed:
            raise JsException("Error", "This borrowed proxy was already destroyed")
        if self._once:
            self._destroyed = True
        return self._target(*args, **kwargs)

    def destroy(self) -> None:
        """Release the proxy; calling it afterwards is an error, as in Pyodide."""
        self._destroyed = True

    def unwrap(self) -> Any:
        """The Python object behind the proxy."""
        return self._target


def create_proxy(obj: Any, /, *, capture_this: bool = False, roundtrip: bool = True) -> Any:
    """``pyodide.ffi.create_proxy``: a JS proxy of ``obj`` that lives until destroyed."""
    return JsDoubleProxy(obj)


def create_once_callable(obj: Callable[..., Any], /) -> Any:
    """``pyodide.ffi.create_once_callable``: a function that may be called once."""
    return JsDoubleProxy(obj, once=True)


def destroy_proxies(proxies: Iterable[Any], /) -> None:
    """``pyodide.ffi.destroy_proxies``: destroy every proxy in ``proxies``."""
    for proxy in proxies:
        if isinstance(proxy, JsDoubleProxy):
            proxy.destroy()


def _property_name(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def from_entries(entries: Iterable[Any]) -> JsObject:
    """``Object.fromEntries``: a plain object from ``[key, value]`` pairs."""
    pairs = []
    for pair in entries:
        key, value = pair
        pairs.append((_property_name(key), value))
    return JsObject(pairs)


def to_js(
    obj: Any,
    /,
    *,
    depth: int = -1,
    pyproxies: Any = None,
    create_pyproxies: bool = True,
    dict_converter: Callable[[Iterable[Any]], Any] | None = None,
    default_converter: Callable[..., Any] | None = None,
    eager_converter: Callable[..., Any] | None = None,
) -> Any:
    """``pyodide.ffi.to_js``: a deep conversion with Pyodide's rules.

    A ``dict`` becomes a JavaScript **Map** unless ``dict_converter`` says otherwise
    (the idiom is ``dict_converter=Object.fromEntries``); lists and tuples become
    Arrays, sets Sets, ``bytes`` a ``Uint8Array``; ``None`` stays ``None`` (undefined).
    Other objects are returned as they are (in Pyodide: a PyProxy).

    Example: ``to_js({"expirationTtl": 60}, dict_converter=Object.fromEntries)``.
    """

    def convert(value: Any, level: int) -> Any:
        if level == 0 or value is None or isinstance(value, (JsProxy, bool, int, float, str)):
            return value
        if eager_converter is not None:
            value = eager_converter(value, lambda v: convert(v, level - 1), _no_cache)
            if isinstance(value, JsProxy):
                return value
        if isinstance(value, dict):
            entries = JsArray(JsArray([k, convert(v, level - 1)]) for k, v in value.items())
            return (dict_converter or JsMap)(entries)
        if isinstance(value, (list, tuple)):
            return JsArray(convert(v, level - 1) for v in value)
        if isinstance(value, (set, frozenset)):
            return JsSet(convert(v, level - 1) for v in value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return JsBuffer(bytes(value))
        if default_converter is not None:
            return default_converter(value, lambda v: convert(v, level - 1), _no_cache)
        return value

    return convert(obj, depth)


def _no_cache(_python: Any, _js: Any) -> None:
    """``cache_conversion`` for converters: nothing to cache in the stand-in."""


def to_python(value: Any) -> Any:
    """A stand-in JavaScript value as the Python value the fake binding takes:
    objects become dicts, arrays lists, buffers ``bytes``, ``jsnull`` ``None``."""
    if value is jsnull:
        return None
    if isinstance(value, JsBuffer):
        return value.to_bytes()
    if isinstance(value, JsObject):
        return {k: to_python(v) for k, v in value._pairs()}
    if isinstance(value, JsArray):
        return [to_python(v) for v in value]
    return value


def as_js_value(value: Any, null: Any) -> Any:
    """A Python value (as the fake binding returns it) as Pyodide would hand the same
    JavaScript value over unwrapped: dicts as objects, lists as arrays, buffers as
    ``ArrayBuffer``, ``None`` as ``null`` (``jsnull`` on Pyodide 0.28 and later)."""
    if value is None:
        return null
    if isinstance(value, dict):
        return JsObject((k, as_js_value(v, null)) for k, v in value.items())
    if isinstance(value, list):
        return JsArray(as_js_value(v, null) for v in value)
    if isinstance(value, (bytes, memoryview)):
        return JsBuffer(bytes(value), "ArrayBuffer")
    return value


def parse_json(text: str, null: Any) -> Any:
    """``JSON.parse(text)`` as Pyodide hands the result over, with V8's messages."""
    try:
        value = json_parse(text)
    except KVError as error:
        raise JsException("SyntaxError", str(error)) from None
    return as_js_value(value, null)
