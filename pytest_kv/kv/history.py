"""What happened to each key at each location: the events behind ``ns.history(key)``."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["KVEvent"]


@dataclass(frozen=True, slots=True)
class KVEvent:
    """One thing that happened to a key at a location: ``ns.history(key)`` lists them.

    ``action`` is ``"put"``, ``"delete"``, ``"read"``, ``"seed"`` or ``"plant"``;
    ``value`` is what was written or read (``None`` for a delete or a miss) and
    ``cache`` says whether a read was a ``"HIT"`` or a ``"MISS"``.

    Example::

        for event in kv.history("flag"):
            print(event.time, event.location, event.action, event.value, event.cache)
    """

    time: float
    location: str
    action: str
    value: bytes | None
    cache: str | None = None


class Events:
    """Raw ``(key, time, location, action, value, cache)`` records, the newest 100,000;
    ``KVEvent`` objects are built only when someone asks for a key's history."""

    __slots__ = ("_records", "append")

    def __init__(self) -> None:
        self._records: deque[tuple[bytes, float, str, str, bytes | None, str | None]] = deque(
            maxlen=100_000
        )
        self.append = self._records.append

    def of(self, key: bytes) -> list[KVEvent]:
        """Every event of ``key``, oldest first."""
        return [KVEvent(*record[1:]) for record in self._records if record[0] == key]
