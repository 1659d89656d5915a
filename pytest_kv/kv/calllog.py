"""The call log: every call a namespace served, for assertions and timelines."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Final

__all__ = ["KVCall"]


@dataclass(frozen=True, slots=True)
class KVCall:
    """One binding call: when, where, what, and how it ended.

    ``key`` is the key, the list of keys of a bulk read, or ``None`` for ``list``;
    ``options`` is the options argument as given (a dict, a type string or ``None``);
    ``outcome`` is ``"ok"``, ``"miss"`` (a read that found nothing) or the error
    message; ``cache`` is ``"HIT"``/``"MISS"`` for eventual-mode reads.

    Example::

        await kv.get("user:1")
        [call] = kv.get_calls(method="get", key="user:1")
        assert call.outcome == "miss"
    """

    time: float
    location: str
    method: str
    key: Any
    options: Any
    outcome: str
    cache: str | None = None
    error: BaseException | None = None

    def __post_init__(self) -> None:
        options = self.options
        if type(options) is dict and type(options.get("metadata")) is LoggedJSON:
            # Parsed in place, once: every later KVCall of this record shares it, as
            # they share the rest of the record.
            options["metadata"] = json.loads(options["metadata"])

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (a miss is a success)."""
        return self.error is None


class LoggedJSON(str):
    """Plain metadata as the call log keeps it: the JSON text the put sent, which
    ``KVCall`` parses back into a value equal to the one given (plain JSON round-trips
    exactly), so the put need not copy the caller's dict."""

    __slots__ = ()


def matches(call: KVCall, method: str | None, key: str | None, location: str | None) -> bool:
    if method is not None and call.method != method:
        return False
    if location is not None and call.location != location:
        return False
    if key is None:
        return True
    keys = call.key if isinstance(call.key, list) else [call.key]
    return any(isinstance(name, str) and fnmatchcase(name, key) for name in keys)


def logged_value(value: object) -> object:
    """A value for the log to keep: a deep copy of a dict or list where one can be
    made (the caller may change the original), else the value itself."""
    if type(value) is dict:
        for item in value.values():
            if type(item) not in _SCALARS:
                break
        else:
            return dict(value)  # flat metadata: nothing inside can change
    try:
        return copy.deepcopy(value)
    except Exception:  # an object that cannot be copied
        return value


_SCALARS: Final = frozenset((str, int, float, bool, type(None), bytes))
