"""What one REST call carries while it is served: the clock's instant, the namespace
it touches, and what the call log will say about it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pytest_kv.errors import KVError
from pytest_kv.kv.edge import CENTRAL
from pytest_kv.kv.keys import Key, key_of
from pytest_kv.kv.namespace import Namespace

from .codes import BAD_KEY, KEY_TOO_LONG, error
from .request import decode_segment

# The REST API's operations, by the official SDK's method names, and the operation
# kind each is a form of, for fault rules (``kv.fail_next("get")`` fails them too).
KINDS: Final = {
    "values.get": "get",
    "metadata.get": "get",
    "bulk_get": "get",
    "keys.list": "list",
    "values.update": "put",
    "bulk_update": "put",
    "values.delete": "delete",
    "bulk_delete": "delete",
}
OPS: Final = {"get": "GET", "list": "GET", "put": "PUT", "delete": "DELETE"}


@dataclass(slots=True)
class Call:
    """One REST call: filled in as it is served, logged once when it ends."""

    method: str
    now: float
    namespace: Namespace | None = None
    # Finds the namespace the path names (or raises 10013): handlers call it after
    # checking the query and body, the explorer's order (validation comes first).
    lookup: Callable[[], Namespace] | None = None
    key: Any = None
    options: Any = None
    outcome: str = "ok"

    def record(self, error: BaseException | None) -> tuple[Any, ...]:
        outcome = self.outcome if error is None else str(error)
        return (self.now, CENTRAL, self.method, self.key, self.options, outcome, None, error)

    def resolve(self) -> Namespace:
        """The namespace the path names; 404 10013 if the account has none such."""
        if self.namespace is None:
            assert self.lookup is not None
            self.namespace = self.lookup()
        return self.namespace

    def faults(self, keys: list[str]) -> None:
        """Raise an injected failure that matches this call, if any."""
        namespace = self.namespace
        if namespace is None or namespace.faults is None:
            return
        kind = KINDS[self.method]
        try:
            namespace.faults.check(self.method, OPS[kind], keys, kind=kind)
        except KVError:
            raise
        except Exception as error:  # a rule's own exception (kv.fail(error=...))
            raise InjectedError(error) from error


class InjectedError(Exception):
    """An exception instance a fault rule injected into a REST call, carried out."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


_DOT_SEGMENT: Final = re.compile(r"\.{1,2}")


def path_key(segments: list[str]) -> Key:
    """The key named by the rest of the path, percent-decoded, checked as the KV
    service checks single keys (its texts; see ``codes.BAD_KEY``)."""
    raw = decode_segment("/".join(segments))
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise error(BAD_KEY, "Could not URL-decode key name") from None
    key = key_of(name)
    check_key(key)
    return key


def check_key(key: Key) -> None:
    name = key.name
    if name == "":
        raise error(BAD_KEY, "Key names must not be empty")
    if _DOT_SEGMENT.fullmatch(name):
        raise error(BAD_KEY, f'Illegal key name "{name}". Please use a different name.')
    if len(key.encoded) > 512:
        raise error(
            KEY_TOO_LONG,
            f"UTF-8 encoded length of {len(key.encoded)} exceeds key length limit of 512.",
        )
