"""The contents of the ``workers`` stand-in module: the SDK's names, in the SDK's shapes.

``WorkerEntrypoint(ctx, env)`` wraps ``env`` before a subclass's ``__init__`` runs, as
the SDK does; ``handler`` converts a legacy ``on_fetch``'s arguments; ``env`` and
``wait_until`` are module attributes that read the Worker running now. ``Headers``
and the other type aliases are strings, as in the SDK. Durable Objects, Workflows,
``FormData``, ``Blob`` and the rest can be imported (so a module that defines them
still loads) but raise ``NotProvidedError`` when used.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol, TypedDict

from pytest_kv.js.jsdict import JsDict

from .bindings import LIVE_ENV, EnvWrapper, LiveRawEnv, raw_env, wrap_env
from .context import (
    NotProvidedError,
    current_env,
    current_invocation,
    current_runtime,
    not_provided,
)
from .fetch import fetch
from .jsconvert import from_entries, to_js
from .jsvalues import JsArray, JsObject, JsProxy, jsnull
from .request import JsRequest, Request
from .response import Response

__all__ = [
    "ATTRIBUTES",
    "NOT_PROVIDED",
    "SDK_NAMES",
    "WorkerEntrypoint",
    "handler",
    "module_getattr",
]


def _wrap_init(cls: type) -> None:
    """Wrap ``env`` (the second positional argument) before the class's own ``__init__``."""
    original = cls.__dict__.get("__init__")
    if original is None or getattr(original, "__kv_wrapped__", False):
        return

    @functools.wraps(original)
    def wrapped_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > 1:
            args = (args[0], wrap_env(args[1]), *args[2:])
        original(self, *args, **kwargs)

    wrapped_init.__kv_wrapped__ = True  # type: ignore[attr-defined]
    cls.__init__ = wrapped_init  # type: ignore[misc]


class WorkerEntrypoint:
    """A Worker's entrypoint class: ``class Default(WorkerEntrypoint)`` is the default
    export; workerd builds it as ``Default(ctx, env)`` for each request.

    ``self.env`` is the SDK's env wrapper (attribute access: ``self.env.KV``) and
    ``self.ctx`` the execution context (``self.ctx.waitUntil(coro)``).

    Example::

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(await self.env.KV.get("greeting") or "hello")
    """

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _wrap_init(cls)


_wrap_init(WorkerEntrypoint)


class _NotProvidedBase:
    """A base class that Worker modules may subclass, but that cannot be built."""

    feature: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise not_provided(self.feature)


class DurableObject(_NotProvidedBase):
    """Durable Objects are not provided; subclassing works so the module loads."""

    feature = "Durable Objects (workers.DurableObject)"


class WorkflowEntrypoint(_NotProvidedBase):
    """Workflows are not provided; subclassing works so the module loads."""

    feature = "Workflows (workers.WorkflowEntrypoint)"


def handler(func: Callable[..., Any]) -> Callable[..., Any]:
    """For a legacy module-level ``on_fetch(request, env)``: hand it a ``Request`` and
    the wrapped env instead of the raw JavaScript objects.

    Example::

        @handler
        async def on_fetch(request, env):
            return Response(await env.KV.get("k"))
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], JsRequest):
            args = (Request(args[0]), *args[1:])
        if len(args) > 1:
            args = (args[0], wrap_env(args[1]), *args[2:])
        return func(*args, **kwargs)

    return wrapper


def wait_until(awaitable: Awaitable[Any]) -> None:
    """``cloudflare:workers``' ``waitUntil``: keep the current request alive until
    ``awaitable`` finishes."""
    invocation = current_invocation()
    if invocation is None:
        raise RuntimeError(
            "workers.wait_until() was called outside a Worker invocation: pytest-kv runs "
            "wait_until tasks as part of the kv_worker call (fetch, scheduled, queue) that "
            "schedules them"
        )
    invocation.schedule(awaitable)


def python_from_rpc(obj: Any) -> Any:
    """The SDK's conversion of a JavaScript value: objects to ``JsDict``, null to ``None``."""
    if obj is jsnull:
        return None
    if isinstance(obj, JsObject):
        return JsDict((k, python_from_rpc(v)) for k, v in obj.as_object_map().items())
    if isinstance(obj, JsArray):
        return [python_from_rpc(v) for v in obj]
    if isinstance(obj, JsProxy):
        return obj.to_py()
    return obj


def python_to_rpc(value: Any) -> Any:
    """The SDK's conversion of a Python value for JavaScript: ``None`` is null, a
    ``Response`` its JavaScript object, dicts plain objects."""
    if value is None:
        return jsnull
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    js_object = getattr(value, "js_object", None)
    if js_object is not None:
        return js_object
    return to_js(value, dict_converter=from_entries)


class NonRetryableError(Exception):
    """``workers.workflows.NonRetryableError``."""


def import_from_javascript(module_name: str) -> Any:
    """Only ``cloudflare:workers`` (``env``, ``waitUntil``) is provided."""
    if module_name == "cloudflare:workers":
        return JsObject({"env": raw_env(current_env(), current_runtime()), "waitUntil": wait_until})
    raise not_provided(f"import_from_javascript({module_name!r})")


def patch_env(*args: Any, **kwargs: Any) -> Any:
    """Not provided: workerd removed the helper behind it on 2026-06-30."""
    raise not_provided(
        "workers.patch_env",
        "workerd removed its runtime helper on 2026-06-30; give the Worker extra "
        "bindings with kv_worker.bind(NAME=value) instead.",
    )


class Context(Protocol):
    """What a handler's ``ctx`` offers: ``waitUntil``."""

    def waitUntil(self, other: Awaitable[Any]) -> None: ...


class FetchKwargs(TypedDict, total=False):
    """Options of ``Request(...)`` and ``fetch(...)``."""

    headers: Any
    body: Any
    method: Any
    redirect: str | None
    cf: Any
    fetcher: Any


class RequestInitCfProperties(TypedDict, total=False):
    """The ``cf`` options of an outbound request."""

    cacheEverything: bool | None
    cacheKey: str | None
    cacheTtl: int
    cacheTtlByStatus: dict[str, int]


def _placeholder(name: str, feature: str) -> Callable[..., Any]:
    def not_here(*args: Any, **kwargs: Any) -> Any:
        raise not_provided(feature)

    not_here.__name__ = not_here.__qualname__ = name
    return not_here


# The SDK's type aliases are strings (``TypeAlias`` literals), not classes.
ALIASES: Final = {
    "Headers": "dict[str, str] | list[tuple[str, str]] | js.Headers",
    "JSBody": "js.Blob | JsBuffer | js.FormData | js.ReadableStream | js.URLSearchParams",
    "Body": "str | FormData | JSBody",
    "BlobValue": "str | bytes | JsBuffer | Blob | File | js.Blob | js.File",
    "FormDataValue": "str | Blob | File",
}

ATTRIBUTES: Final[dict[str, Any]] = {
    **ALIASES,
    "WorkerEntrypoint": WorkerEntrypoint,
    "DurableObject": DurableObject,
    "WorkflowEntrypoint": WorkflowEntrypoint,
    "Request": Request,
    "Response": Response,
    "FetchResponse": Response,
    "fetch": fetch,
    "handler": handler,
    "Context": Context,
    "FetchKwargs": FetchKwargs,
    "RequestInitCfProperties": RequestInitCfProperties,
    "python_from_rpc": python_from_rpc,
    "python_to_rpc": python_to_rpc,
    "import_from_javascript": import_from_javascript,
    "patch_env": patch_env,
    "Blob": _placeholder("Blob", "workers.Blob"),
    "File": _placeholder("File", "workers.File"),
    "FormData": _placeholder("FormData", "workers.FormData (form bodies)"),
    "BlobEnding": _placeholder("BlobEnding", "workers.BlobEnding"),
    "NotProvidedError": NotProvidedError,
}

# Submodules and attributes of the SDK that are not provided at all.
NOT_PROVIDED: Final = {
    "wsgi": "workers.wsgi (WSGI apps such as Django or Flask)",
    "gateway": "workers.gateway",
    "rpc": "workers.rpc (its conversions are workers.python_from_rpc/python_to_rpc)",
    "blob": "workers.blob", "formdata": "workers.formdata", "utils": "workers.utils",
}  # fmt: skip

# Everything the SDK's ``workers`` module exports (its ``__all__``).
SDK_NAMES: Final = (*ATTRIBUTES, "env", "wait_until", "waitUntil")


def module_getattr(name: str) -> Any:
    """``workers.env`` and ``workers.wait_until``, read when accessed."""
    if name == "env":
        # The frozen SDK hands over the raw JavaScript env.
        return EnvWrapper(LIVE_ENV, True) if current_runtime().wrapped else LiveRawEnv()
    if name in ("wait_until", "waitUntil"):
        return wait_until
    if name in NOT_PROVIDED:
        raise not_provided(NOT_PROVIDED[name])
    raise AttributeError(f"module 'workers' has no attribute {name!r}")
