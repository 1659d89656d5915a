"""The env a Worker sees, in each of production's shapes.

- ``self.env`` (and ``from workers import env``, ``@handler``'s ``env``) is the SDK's
  ``_EnvWrapper``: attribute access only; with the vendored SDK a KV binding is
  wrapped (``WrappedKV``: results are ``JsDict``, a missing key ``None``), with the
  frozen SDK it stays raw.
- The raw env (``raw_env``) is the JavaScript object: bindings are raw
  ``RawKVNamespace`` proxies, JSON vars JavaScript objects.
- The ``env`` passed positionally to ``fetch``/``scheduled``/``queue`` went through
  ``python_from_rpc``: a ``JsDict`` (a plain ``dict`` with the frozen SDK) holding the
  raw bindings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.js.jsdict import JsDict

from .compat import Runtime
from .context import current_env, current_runtime
from .jsconvert import as_js_value
from .jsproxy import RawKVNamespace, check_no_map, from_js
from .jsvalues import JsArray, JsObject, JsProxy, jsnull

__all__ = [
    "LIVE_ENV",
    "EnvWrapper",
    "LiveRawEnv",
    "WrappedKV",
    "positional_env",
    "raw_env",
    "wrap_env",
]

_MISSING_HINT = (
    "KV namespaces come from kv_namespaces in the wrangler config and vars from [vars]; "
    "secrets and other bindings (D1, R2, Durable Objects, queues, services) are not "
    "there: give them to the Worker with kv_worker.bind(NAME=value)"
)


def _missing(name: str, known: list[str]) -> AttributeError:
    return AttributeError(
        f"env has no binding {name!r}; its bindings: {', '.join(known) or 'none'}. " + _MISSING_HINT
    )


class WrappedKV:
    """A KV binding as the vendored SDK wraps it (``self.env.KV``): the fake binding's
    own results, after the SDK's argument conversions. Test-side helpers of the
    namespace (``keys()``, ``peek()``, ``at()``...) are reachable through it."""

    __slots__ = ("_ns",)

    def __init__(self, namespace: KVNamespace) -> None:
        self._ns = namespace

    @staticmethod
    def _args(
        method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        check_no_map(method, args, kwargs)
        return tuple(map(from_js, args)), {k: from_js(v) for k, v in kwargs.items()}

    async def get(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """``get(key, type | options)``; ``None`` when missing."""
        __tracebackhide__ = True
        args, kwargs = self._args("get", (key, *args), kwargs)
        return await self._ns.get(*args, **kwargs)

    async def getWithMetadata(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        """``{"value", "metadata", "cacheStatus"}``."""
        __tracebackhide__ = True
        args, kwargs = self._args("getWithMetadata", (key, *args), kwargs)
        return await self._ns.getWithMetadata(*args, **kwargs)

    async def put(self, key: Any, value: Any, *args: Any, **kwargs: Any) -> None:
        """Store a value."""
        __tracebackhide__ = True
        args, kwargs = self._args("put", (key, value, *args), kwargs)
        await self._ns.put(*args, **kwargs)

    async def delete(self, key: Any, *args: Any) -> None:
        """Delete a key."""
        __tracebackhide__ = True
        args, _ = self._args("delete", (key, *args), {})
        await self._ns.delete(*args)

    async def list(self, *args: Any, **kwargs: Any) -> JsDict:
        """One page of keys, a ``JsDict``: use ``page["keys"]`` (``page.keys`` is the
        dict method, as in production)."""
        __tracebackhide__ = True
        args, kwargs = self._args("list", args, kwargs)
        return await self._ns.list(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ns, name)

    def __len__(self) -> int:
        return len(self._ns)

    def __iter__(self) -> Any:
        return iter(self._ns)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<KvNamespace {self._ns.name!r} (wrapped)>"


def _namespace_of(value: Any) -> KVNamespace | None:
    if isinstance(value, KVNamespace):
        return value
    if isinstance(value, (RawKVNamespace, WrappedKV)):
        return value._ns
    return None


class LiveEnv:
    """The env of the Worker running now (or the test's ``kv_env``), looked up on every
    use: what ``from workers import env`` binds, so a module imported before any test
    still reaches the right env."""

    __slots__ = ()

    def resolve(self) -> Any:
        """The env to use now."""
        return current_env()

    def __repr__(self) -> str:
        return "<the current Worker's env>"


LIVE_ENV = LiveEnv()


class LiveRawEnv(JsProxy):
    """The raw env of the Worker running now (the frozen SDK's ``workers.env``)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(raw_env(current_env(), current_runtime()), name)


def _bindings_of(env: Any) -> dict[str, Any]:
    if isinstance(env, EnvWrapper):
        env = env._env
    if isinstance(env, LiveEnv):
        env = env.resolve()
        if isinstance(env, EnvWrapper):
            env = env._env
    if isinstance(env, JsObject):
        return env.as_object_map()
    if isinstance(env, Mapping):
        return dict(env)
    return {k: v for k, v in vars(env).items() if not k.startswith("_")}


def raw_env(env: Any, runtime: Runtime) -> JsObject:
    """The env as the JavaScript object workerd passes: raw bindings and values."""
    if isinstance(env, JsObject):
        return env
    null = jsnull if runtime.jsnull else None
    properties = {}
    for name, value in _bindings_of(env).items():
        namespace = _namespace_of(value)
        if namespace is not None:
            properties[name] = RawKVNamespace(namespace, runtime)
        elif isinstance(value, (dict, list)):
            properties[name] = as_js_value(value, null)
        else:
            properties[name] = value
    return JsObject(properties)


def positional_env(env: Any, runtime: Runtime) -> Any:
    """The ``env`` argument of ``fetch(self, request, env, ctx)`` and friends: the raw
    env through ``python_from_rpc`` (a ``JsDict``; a plain dict with the frozen SDK)."""
    raw = raw_env(env, runtime)
    kind: type[dict[str, Any]] = JsDict if runtime.wrapped else dict
    return kind((name, _from_rpc(value, kind)) for name, value in raw.as_object_map().items())


def _from_rpc(value: Any, kind: type[dict[str, Any]]) -> Any:
    if value is jsnull:
        return None
    if isinstance(value, RawKVNamespace):
        return value  # a binding is not a plain object: to_py leaves it a JsProxy
    if isinstance(value, JsObject):
        return kind((k, _from_rpc(v, kind)) for k, v in value.as_object_map().items())
    if isinstance(value, JsArray):
        return [_from_rpc(v, kind) for v in value]
    return value


class EnvWrapper:
    """The SDK's ``_EnvWrapper``: ``env.NAME`` for each binding and var, nothing else.

    With the vendored SDK KV bindings come wrapped (``WrappedKV``), with the frozen
    SDK raw. ``env["KV"]`` is a ``TypeError``, as in production.
    """

    __slots__ = ("_cache", "_env", "_wrap")
    _cache: dict[str, Any]
    _env: Any
    _wrap: bool

    def __new__(cls, env: Any, wrap: bool | None = None) -> EnvWrapper:
        if isinstance(env, EnvWrapper):
            return env
        self = super().__new__(cls)
        self._env = env
        self._wrap = current_runtime().wrapped if wrap is None else wrap
        self._cache = {}
        return self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        cache = self._cache
        if name in cache:
            return cache[name]
        live = isinstance(self._env, LiveEnv)
        bindings = _bindings_of(self._env)
        if name not in bindings:
            raise _missing(name, list(bindings))
        value = bindings[name]
        namespace = _namespace_of(value)
        if namespace is not None:
            value = (
                WrappedKV(namespace) if self._wrap else RawKVNamespace(namespace, current_runtime())
            )
        elif isinstance(value, (dict, list)):
            value = as_js_value(value, jsnull if current_runtime().jsnull else None)
        if not live:  # the SDK caches: an env does not change during an isolate's life
            cache[name] = value
        return value

    def __getitem__(self, name: str) -> Any:
        raise TypeError(
            f"'_EnvWrapper' object is not subscriptable: the SDK's env has attribute "
            f"access only, so write env.{name}"
        )

    def __repr__(self) -> str:
        return f"<_EnvWrapper of {', '.join(_bindings_of(self._env)) or 'no bindings'}>"


def wrap_env(env: Any, runtime: Runtime | None = None) -> EnvWrapper:
    """``self.env`` for a given env: wrapped once, however often it is wrapped."""
    chosen = runtime or current_runtime()
    return EnvWrapper(env, chosen.wrapped)
