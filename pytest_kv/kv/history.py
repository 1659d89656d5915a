"""What happened to each key at each location: the events behind ``ns.history(key)``."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["KVEvent"]


@dataclass(frozen=True, slots=True)
class KVEvent:
    """One thing that happened to a key at a location: ``ns.history(key)`` lists them.

    ``action`` is ``"put"``, ``"delete"``, ``"read"``, ``"seed"`` or ``"plant"``;
    ``value`` is what was written or read (``None`` for a delete or a miss), at most
    its first 4,096 bytes, and ``size`` its whole length; ``cache`` says whether a
    read was a ``"HIT"`` or a ``"MISS"``.

    Example::

        for event in kv.history("flag"):
            print(event.time, event.location, event.action, event.value, event.cache)
    """

    time: float
    location: str
    action: str
    value: bytes | None
    cache: str | None = None
    size: int | None = None


# History keeps the start of each value, not the value: a 25 MiB value written and
# deleted a thousand times must not stay in memory.
KEPT_BYTES = 4096


# The fields of a record, laid flat in one deque (see ``Events``).
_FIELDS = 7


class Events:
    """Raw ``(key, time, location, action, value, cache, size)`` records, the newest
    ``limit`` (all of them for ``None``); ``KVEvent`` objects are built only when
    someone asks for a key's history.

    The fields of every record are laid flat in one deque, seven to a record: a
    record kept as a tuple is one more object for the garbage collector to go
    through (every read and write makes one), and takes twice the memory."""

    __slots__ = ("_extend", "_fields", "limit")

    def __init__(self, limit: int | None = 100_000) -> None:
        self.limit = limit
        # Each record adds exactly _FIELDS items, so dropping the oldest items keeps
        # the records whole.
        self._fields: deque[Any] = deque(maxlen=None if limit is None else limit * _FIELDS)
        self._extend = self._fields.extend

    def add(
        self,
        key: bytes,
        time: float,
        location: str,
        action: str,
        value: bytes | None,
        cache: str | None,
    ) -> None:
        if value is None:
            self._extend((key, time, location, action, None, cache, None))
        elif len(value) <= KEPT_BYTES:
            self._extend((key, time, location, action, value, cache, len(value)))
        else:
            self._extend((key, time, location, action, value[:KEPT_BYTES], cache, len(value)))

    @property
    def dropped(self) -> bool:
        """Whether older events have been dropped to keep within the limit."""
        return self.limit is not None and len(self._fields) == self.limit * _FIELDS

    def of(self, key: bytes) -> list[KVEvent]:
        """Every event of ``key``, oldest first."""
        fields = iter(self._fields)
        records = zip(*[fields] * _FIELDS, strict=True)
        return [KVEvent(*record[1:]) for record in records if record[0] == key]
