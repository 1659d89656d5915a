"""The call log: every call a namespace served, for assertions and timelines."""

from __future__ import annotations

import copy
import json
from dataclasses import InitVar, dataclass
from fnmatch import fnmatchcase
from typing import Any, Final

__all__ = ["KVCall", "call_of"]


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

    # A put's plain metadata as the record keeps it: the JSON text the put sent,
    # parsed back here into a value equal to the one given (plain JSON round-trips
    # exactly), so the put need not copy the caller's dict.
    metadata_json: InitVar[str | None] = None

    def __post_init__(self, metadata_json: str | None) -> None:
        if metadata_json is not None:
            # Into the options dict call_of made for this call alone, in its place.
            self.options["metadata"] = json.loads(metadata_json)

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (a miss is a success)."""
        return self.error is None


def call_of(record: tuple[Any, ...]) -> KVCall:
    """The ``KVCall`` of a log record.

    A record is ``KVCall``'s fields in order, but a quick put with plain metadata
    logs its options flat: the names given, in their order, in the options field,
    and each value in a field of its own (``_FLAT_FIELDS``). A record of atomic
    values is one the garbage collector stops tracking, where a copy of the caller's
    options would hold the caller's metadata dict, which every full collection scans
    for as long as the log keeps it; the dict is made here, when someone looks.

    Example::

        record = (0.0, "", "put", "k", ("metadata",), "ok", None, None, '{"v":1}', None, None)
        assert call_of(record).options == {"metadata": {"v": 1}}
    """
    if len(record) <= _FIELDS:
        return KVCall(*record)
    options = {name: record[_FLAT_FIELDS[name]] for name in record[4]}
    time, location, method, key, _, outcome, cache, error, metadata_json = record[:_FIELDS]
    return KVCall(time, location, method, key, options, outcome, cache, error, metadata_json)


# How many fields KVCall takes; a longer record is a flat one.
_FIELDS: Final = 9
# Where a flat record keeps each option's value: a put's expirations as given, and
# its metadata as JSON text, in the field KVCall parses it from.
_FLAT_FIELDS: Final = {"expiration": 9, "expirationTtl": 10, "metadata": 8}


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
