"""A KV binding as Worker code sees it raw, the way Pyodide hands over the JavaScript
object when no SDK wrapper sits in between (the frozen SDK, a positional ``env``,
a module-level ``on_fetch`` without ``@handler``).

Results are JavaScript values: ``list()`` gives an object whose ``.keys`` is an array
(``for key in result.keys: key.name`` works), ``json`` values are objects with
attribute access, a bulk read is a ``Map``, and a missing value is ``jsnull`` on
Pyodide 0.28 and later (``None`` before). Arguments cross as Pyodide converts them:
a Python dict is a PyProxy, ``to_js(dict)`` a ``Map``. Where production would then
silently ignore the options or store something else, this view raises, with the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from pytest_kv.errors import PUT_VALUE_TYPE, KVTypeError

from .body import stream_source
from .jsconvert import as_js_value, to_python
from .jsvalues import JsMap, JsProxy, jsnull

if TYPE_CHECKING:
    from pytest_kv.binding.namespace import KVNamespace

    from .compat import Runtime

__all__ = ["RawKVNamespace", "check_no_map", "from_js"]

_MAP_HINT = (
    "KV.{method}(): {what} is a JavaScript Map (to_js(dict) without a dict_converter). "
    "Production's KV reads {what} as object properties, so it would silently ignore "
    "them. Pass keyword arguments, or to_js(value, dict_converter=Object.fromEntries)"
)


def check_no_map(method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse a ``Map`` where KV reads an object: it would be silently ignored."""
    for index, value in enumerate(args):
        if isinstance(value, JsMap):
            what = "the options" if index else "the first argument"
            raise KVTypeError(_MAP_HINT.format(method=method, what=what))
    for name, value in kwargs.items():
        if isinstance(value, JsMap):
            raise KVTypeError(_MAP_HINT.format(method=method, what=f"{name}="))
        if isinstance(value, Mapping):
            check_no_map(method, (), value)


def from_js(value: Any) -> Any:
    """An argument as the fake binding takes it: JavaScript values become Python ones,
    a ``ReadableStream`` an async iterable of bytes."""
    stream = stream_source(value)
    if stream is not None:
        return stream
    return to_python(value) if isinstance(value, JsProxy) else value


def _pyproxy_dict(method: str, what: str) -> KVTypeError:
    return KVTypeError(
        f"KV.{method}(): {what} is a Python dict, which reaches this raw binding as a "
        "PyProxy. Pyodide 0.26 (compatibility dates before 2025-09-29) does not read a "
        "dict's keys as properties, so production would silently ignore it. Pass keyword "
        "arguments, or to_js(value, dict_converter=Object.fromEntries)"
    )


class RawKVNamespace(JsProxy):
    """A KV binding as a raw ``JsProxy``: JavaScript results, Pyodide's conversions.

    Example::

        page = await env.KV.list(prefix="user:")     # env passed positionally
        names = [key.name for key in page.keys]       # works on a JsProxy, not on a JsDict
    """

    js_type = "KvNamespace"

    def __init__(self, namespace: KVNamespace, runtime: Runtime) -> None:
        self._ns = namespace
        self._null = jsnull if runtime.jsnull else None
        self._old_pyodide = not runtime.jsnull

    def _args(
        self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        check_no_map(method, args, kwargs)
        converted = []
        for index, value in enumerate(args):
            if index == 0 and isinstance(value, (list, tuple)):
                raise KVTypeError(
                    f"KV.{method}(): the keys are a Python {type(value).__name__}, which "
                    "reaches this raw binding as a PyProxy, not a JavaScript Array, so "
                    "production would not read them as a bulk read: pass to_js(keys)"
                )
            if method == "put" and index == 1 and isinstance(value, (bytes, memoryview)):
                raise KVTypeError(
                    f"{PUT_VALUE_TYPE} (a Python {type(value).__name__} reaches this raw "
                    "binding as a PyProxy: pass to_js(value))"
                )
            is_value = method == "put" and index == 1
            if index > 0 and not is_value and isinstance(value, dict) and self._old_pyodide:
                raise _pyproxy_dict(method, "the options")
            converted.append(from_js(value))
        options = {}
        for name, value in kwargs.items():
            if name == "metadata" and isinstance(value, dict) and self._old_pyodide:
                raise _pyproxy_dict(method, "metadata=")
            options[name] = from_js(value)
        return tuple(converted), options

    def _result(self, value: Any, bulk: bool) -> Any:
        if bulk and isinstance(value, dict):
            return JsMap((k, as_js_value(v, self._null)) for k, v in value.items())
        return as_js_value(value, self._null)

    async def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """``get(key, type | options)`` or a bulk ``get(to_js([k1, k2]))`` (a ``Map``)."""
        __tracebackhide__ = True
        args, kwargs = self._args("get", (key, *args), kwargs)
        return self._result(await self._ns.get(*args, **kwargs), isinstance(args[0], list))

    async def getWithMetadata(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """An object ``{value, metadata, cacheStatus}``; a ``Map`` of them in bulk."""
        __tracebackhide__ = True
        args, kwargs = self._args("getWithMetadata", (key, *args), kwargs)
        result = await self._ns.getWithMetadata(*args, **kwargs)
        return self._result(result, isinstance(args[0], list))

    async def put(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        """Store a value; returns ``None`` (JavaScript ``undefined``)."""
        __tracebackhide__ = True
        args, kwargs = self._args("put", (key, value, *args), kwargs)
        await self._ns.put(*args, **kwargs)

    async def delete(self, key: Any, *args: Any) -> None:
        """Delete a key."""
        __tracebackhide__ = True
        args, _ = self._args("delete", (key, *args), {})
        await self._ns.delete(*args)

    async def list(self, *args: Any, **kwargs: Any) -> Any:
        """One page: an object with ``keys`` (an array), ``list_complete`` and, while
        the listing is not complete, ``cursor``."""
        __tracebackhide__ = True
        # list()'s only argument is its options object.
        args, kwargs = self._args("list", (None, *args), kwargs)
        return self._result(await self._ns.list(*args[1:], **kwargs), False)

    def __len__(self) -> NoReturn:
        raise TypeError("object of type 'pyodide.ffi.JsProxy' has no len()")

    def __iter__(self) -> NoReturn:
        raise TypeError("'pyodide.ffi.JsProxy' object is not iterable")

    def __str__(self) -> str:
        return "[object KvNamespace]"
