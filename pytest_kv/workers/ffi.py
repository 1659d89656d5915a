"""The contents of the ``pyodide.ffi`` and ``pyodide.http`` stand-ins.

``to_js`` follows Pyodide: a dict becomes a JavaScript ``Map`` unless
``dict_converter=Object.fromEntries`` is given. KV reads its options as object
properties and silently ignores a ``Map``, so the bindings refuse one with a hint.
"""

from __future__ import annotations

from typing import Any, Final

from .body import BodyUsedError
from .fetch import AbortError, fetch
from .jsconvert import JsDoubleProxy, create_once_callable, create_proxy, destroy_proxies, to_js
from .jsvalues import (
    JsArray,
    JsBuffer,
    JsException,
    JsMap,
    JsNull,
    JsObject,
    JsProxy,
    JsSet,
    jsnull,
)
from .response import HttpStatusError, Response

__all__ = ["FFI", "HTTP"]


async def pyfetch(url: Any, **kwargs: Any) -> Response:
    """``pyodide.http.pyfetch``: an outbound request (served through httpx)."""
    __tracebackhide__ = True
    return await fetch(url, **kwargs)


FFI: Final[dict[str, Any]] = {
    "to_js": to_js,
    "JsProxy": JsProxy,
    "JsArray": JsArray,
    "JsBuffer": JsBuffer,
    "JsDoubleProxy": JsDoubleProxy,
    "JsException": JsException,
    "JsMap": JsMap,
    "JsNull": JsNull,
    "JsObject": JsObject,
    "JsSet": JsSet,
    "jsnull": jsnull,
    "create_proxy": create_proxy,
    "create_once_callable": create_once_callable,
    "destroy_proxies": destroy_proxies,
    "IN_BROWSER": False,
}

HTTP: Final[dict[str, Any]] = {
    "pyfetch": pyfetch,
    "FetchResponse": Response,
    "HttpStatusError": HttpStatusError,
    "BodyUsedError": BodyUsedError,
    "AbortError": AbortError,
}
