"""A Cloudflare account's KV namespaces, by id and by title: what the REST API lists,
creates, renames and deletes, and what every front door of one test shares."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from .namespace import NAMESPACE_ID, Namespace, namespace_id

# The account id tests see unless they choose one: 32 hex digits, as production's.
DEFAULT_ACCOUNT_ID: Final = "023e105f4ecef8ad9ca31a8372d0c353"


class Account:
    """The namespaces of one account, in the order they were made.

    ``make`` builds a namespace for the REST API's "create namespace" (with the
    test's options); without it, the account cannot create namespaces itself.
    """

    __slots__ = ("_make", "_namespaces", "id")

    def __init__(
        self,
        account_id: str = DEFAULT_ACCOUNT_ID,
        make: Callable[[str, str], Namespace] | None = None,
    ) -> None:
        self.id = account_id
        self._make = make
        self._namespaces: dict[str, Namespace] = {}

    def add(self, namespace: Namespace, *, explicit_id: bool = False) -> Namespace:
        """Register ``namespace``. An id that only came from its name moves aside for
        one already taken; an explicit id (a wrangler config's) names the namespace
        already there, so two bindings of one id share one namespace, as in
        production. Returns the namespace that now holds the id."""
        existing = self._namespaces.get(namespace.id)
        if existing is not None and explicit_id:
            return existing
        salt = 0
        while namespace.id in self._namespaces:
            salt += 1
            namespace.id = namespace_id(namespace.name, salt)
        self._namespaces[namespace.id] = namespace
        return namespace

    def create(self, title: str) -> Namespace:
        """A new, empty namespace titled ``title`` (the REST API's create)."""
        if self._make is None:
            raise RuntimeError("this account cannot create namespaces: it has no factory")
        salt = 0
        while (new_id := namespace_id(title, salt)) in self._namespaces:
            salt += 1
        namespace = self._make(title, new_id)
        self._namespaces[namespace.id] = namespace
        return namespace

    def get(self, namespace_id: str) -> Namespace | None:
        return self._namespaces.get(namespace_id)

    def titled(self, title: str) -> Namespace | None:
        for namespace in self._namespaces.values():
            if namespace.title == title:
                return namespace
        return None

    def remove(self, namespace_id: str) -> None:
        self._namespaces.pop(namespace_id, None)

    def __iter__(self) -> Iterator[Namespace]:
        return iter(list(self._namespaces.values()))

    def __len__(self) -> int:
        return len(self._namespaces)


def is_namespace_id(text: str) -> bool:
    """Whether ``text`` has the shape of a production namespace id."""
    return NAMESPACE_ID.fullmatch(text) is not None
