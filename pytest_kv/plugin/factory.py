"""``KVFactory``: what the ``kv_factory`` fixture gives, usable without pytest too."""

from __future__ import annotations

from typing import Any

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.kv.namespace import MovableClock

from .options import check_names, merge, namespace_options

__all__ = ["KVFactory"]


class KVFactory:
    """The ``kv_factory`` fixture: ``kv_factory(name="KV", **options)`` makes a namespace.

    Each call returns a new, independent namespace; options default to the marker's
    and the ini file's.

    Example::

        def test_two_namespaces(kv_factory):
            users, sessions = kv_factory("USERS"), kv_factory("SESSIONS")
            users.sync.put("u:1", "ada")
            assert sessions.sync.get("u:1") is None
    """

    __slots__ = ("_clock", "_defaults", "namespaces")

    def __init__(self, defaults: dict[str, Any], clock: MovableClock | None = None) -> None:
        self._defaults = defaults
        self._clock = clock
        self.namespaces: list[KVNamespace] = []

    def __call__(self, name: str = "KV", **options: Any) -> KVNamespace:
        __tracebackhide__ = True
        check_names(options, "kv_factory()")
        merged = namespace_options(merge(self._defaults, options))
        namespace = KVNamespace(name, clock=self._clock, **merged)
        self.namespaces.append(namespace)
        return namespace

    def __repr__(self) -> str:
        return f"<KVFactory: {len(self.namespaces)} namespaces>"
