"""``KVFactory``: what the ``kv_factory`` fixture gives, usable without pytest too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.kv.account import Account
from pytest_kv.kv.namespace import MovableClock, Namespace
from pytest_kv.kv.settings import EVENTUAL

from .options import OPTIONS, check_names, merge, namespace_options

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

    __slots__ = ("_clock", "_defaults", "_eventual", "account", "namespaces", "watch")

    def __init__(
        self,
        defaults: dict[str, Any],
        clock: MovableClock | None = None,
        account: Account | None = None,
        *,
        eventual_defaults: dict[str, Any] | None = None,
    ) -> None:
        __tracebackhide__ = True
        check_names(defaults, "KVFactory(defaults)")
        self._defaults = defaults
        # Eventual-only options that apply only to the namespaces that are eventual.
        self._eventual = dict(eventual_defaults or {})
        self._clock = clock
        self.namespaces: list[KVNamespace] = []
        # Told of every failed call of the factory's namespaces (for strict teardown).
        self.watch: Callable[[BaseException], None] | None = None
        # Every namespace of the test, by id: the REST API's account.
        self.account = Account(make=self._for_rest) if account is None else account

    def __call__(self, name: str = "KV", *, id: str | None = None, **options: Any) -> KVNamespace:
        """A new namespace named ``name``; ``id`` names it for the REST API (a second
        call with the same ``id`` returns the same namespace, as two bindings of one
        id share one namespace in production)."""
        __tracebackhide__ = True
        check_names(options, "kv_factory()")
        for option in options:
            if OPTIONS[option].scope != "namespace":
                raise TypeError(
                    f"kv_factory(): {option} applies to the whole test, not to one "
                    f"namespace; set it with @pytest.mark.kv({option}=...) or the ini "
                    f"option {OPTIONS[option].ini_name}"
                )
        if id is not None:
            existing = self.account.get(id)
            for namespace in self.namespaces:
                if namespace._shared is existing:
                    return namespace
        merged = self._options(options)
        namespace = KVNamespace(name, clock=self._clock, id=id, **merged)
        namespace._shared.watch = self.watch
        self.account.add(namespace._shared, explicit_id=id is not None)
        self.namespaces.append(namespace)
        return namespace

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        merged = namespace_options(merge(self._defaults, options))
        if merged.get("consistency") == EVENTUAL:
            for name, value in self._eventual.items():
                merged.setdefault(name, value)
        return merged

    def _for_rest(self, title: str, namespace_id: str) -> Namespace:
        """A namespace the REST API creates, with the test's options."""
        merged = self._options({})
        namespace = KVNamespace(title, clock=self._clock, id=namespace_id, **merged)
        namespace._shared.watch = self.watch
        self.namespaces.append(namespace)
        return namespace._shared

    def __repr__(self) -> str:
        return f"<KVFactory: {len(self.namespaces)} namespaces>"
