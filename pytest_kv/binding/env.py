"""``KVEnv``: the ``env`` a Worker receives, with one fake namespace per KV binding."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pytest_kv.kv.faults import invocation

from .namespace import KVNamespace

__all__ = ["KVEnv"]


class _Helper:
    """A read-only property that an instance attribute of the same name hides (a
    plain ``property`` would hide the binding instead)."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function
        self.__doc__ = function.__doc__

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        return self if instance is None else self.function(instance)


class KVEnv(Mapping[str, Any]):
    """The ``kv_env`` fixture: KV bindings (and wrangler ``vars``) by name, with
    attribute and item access, ready to pass as a Worker's ``env``.

    Example::

        async def test_handler(kv_env):
            worker = Default(kv_env)            # or Default(ctx, kv_env)
            await worker.fetch(request)
            assert kv_env.FLAGS.keys() == ["beta"]
            assert kv_env["SESSIONS"] is kv_env.SESSIONS
    """

    def __init__(self, namespaces: Mapping[str, KVNamespace], variables: Mapping[str, Any]):
        self._bindings: dict[str, Any] = {**variables, **namespaces}
        self._namespaces = dict(namespaces)
        # Bindings are instance attributes, so that, as in production, ``env.NAME``
        # is the binding even where NAME is also a method here (``at``, ``get``):
        # ``KVEnv.at(env, "syd")`` still reaches the method.
        self.__dict__.update(
            (name, value) for name, value in self._bindings.items() if name.isidentifier()
        )

    @_Helper
    def namespaces(self) -> dict[str, KVNamespace]:
        """The KV bindings only, by binding name."""
        return dict(self._namespaces)

    def at(self, location: str) -> KVEnv:
        """The same env as a Worker running at ``location`` sees it: every namespace
        read and written from there (eventual consistency).

        Example: ``sydney = Default(kv_env.at("syd"))``.
        """
        variables = {k: v for k, v in self._bindings.items() if k not in self._namespaces}
        return KVEnv({name: ns.at(location) for name, ns in self._namespaces.items()}, variables)

    def invocation(self, limit: int = 1000) -> Any:
        """Count the operations of one Worker invocation across every binding."""
        return invocation(limit)

    def __getattr__(self, name: str) -> Any:
        try:  # bindings whose names are not identifiers: getattr(env, "MY-KV")
            return self.__dict__["_bindings"][name]
        except KeyError:
            known = ", ".join(self.__dict__.get("_bindings", {})) or "none"
            raise AttributeError(
                f"this env has no binding {name!r}; its bindings: {known}. Add it to "
                "kv_namespaces in the wrangler config, or to @pytest.mark.kv(bindings=[...])"
            ) from None

    def __getitem__(self, name: str) -> Any:
        return self._bindings[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._bindings)

    def __len__(self) -> int:
        return len(self._bindings)

    def __repr__(self) -> str:
        return f"<KVEnv {', '.join(self._bindings)}>"
