"""What each step of a race explorer's execution saw and did, for the timeline: a
read's value (taken just before it completes, without side effects), a write's stored
value, a failed call's error, a clock move."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_kv.binding.instruments import god_key
from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.errors import shown
from pytest_kv.kv.store import Entry
from pytest_kv.suspension import Pending

from .listing import list_all


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an execution, as the report shows it."""

    number: int
    invocation: int | None  # None: a clock move
    call: str
    location: str
    result: str
    time: float  # seconds from the start, when the step completed
    key: str | None = None  # the one key a single-key call touched
    wrote: bytes | None = None
    deleted: bool = False
    read: tuple[bytes | None, ...] = ()  # a single-key read's value
    stale: str = ""  # a read that saw something else than the truth


def text_of(value: bytes | None) -> str:
    if value is None:
        return "(missing)"
    return shown(value.decode("utf-8", "replace"), 40)


def describe(pending: Pending) -> str:
    """A call as the timeline shows it: ``get('counter', 'json')``."""
    parts = [] if pending.method == "list" else [shown(pending.key, 40)]
    parts.extend(shown(argument, 40) for argument in pending.args)
    parts.extend(f"{name}={shown(value, 30)}" for name, value in (pending.kwargs or {}).items())
    return f"{pending.method}({', '.join(parts)})"


def _value(entry: Entry | None) -> bytes | None:
    return None if entry is None else entry.value


def _names(pending: Pending) -> Sequence[object]:
    if pending.method not in ("get", "getWithMetadata"):
        return ()
    key = pending.key
    return [key] if isinstance(key, str) else key if isinstance(key, list) else ()


class Observer:
    """One call about to complete: what its reads will return, looked at just before
    (the call runs right after, at the same instant), and then what it did."""

    __slots__ = ("eventual", "keys", "listed", "pending", "seen", "start", "truth", "view")

    def __init__(self, view: KVNamespace, pending: Pending, start: float, eventual: bool) -> None:
        self.view, self.pending, self.start, self.eventual = view, pending, start, eventual
        now = view._now()
        self.keys: list[str] = []
        self.seen: list[bytes | None] = []
        self.truth: list[bytes | None] = []
        self.listed: list[str] | None = None
        if pending.method == "list":
            options = pending.args[0] if pending.args else pending.kwargs
            prefix = options.get("prefix") if isinstance(options, dict) else None
            if prefix is None or isinstance(prefix, str):
                # What list() sees there page by page, without side effects.
                self.listed = list_all(view, prefix)
        for name in _names(pending):
            if isinstance(name, str):
                self.keys.append(name)
                self.seen.append(_value(view._backend.probe(god_key(name), now, 0)[0]))
                self.truth.append(_value(view._shared.store.peek(god_key(name), now)))

    def step(self, number: int, index: int, record: tuple[Any, ...] | None) -> Step:
        """The step, once the call has completed (``record``: its call log entry)."""
        pending, view = self.pending, self.view
        now = view._now()
        call, where, time = describe(pending), view.location, now - self.start
        outcome = "ok" if record is None else record[5]
        key = pending.key if isinstance(pending.key, str) else None
        if outcome not in ("ok", "miss"):
            return Step(number, index, call, where, f"failed: {outcome}", time, key)
        if pending.method == "put":
            stored = view._backend.probe(god_key(key), now, 0)[0] if key is not None else None
            wrote = _value(stored)
            return Step(number, index, call, where, f"wrote {text_of(wrote)}", time, key, wrote)
        if pending.method == "delete":
            return Step(number, index, call, where, "deleted", time, key, deleted=True)
        if pending.method == "list":
            listed = self.listed
            found = "listed" if listed is None else f"listed {shown(listed, 60)}"
            return Step(number, index, call, where, found, time)
        if isinstance(pending.key, list):
            values = zip(self.keys, self.seen, strict=True)
            found = ", ".join(f"{name!r}: {text_of(value)}" for name, value in values)
            return Step(number, index, call, where, "{" + found + "}", time)
        seen = self.seen[0] if self.seen else None
        stale = ""
        if self.eventual and self.truth and self.truth[0] != seen:
            stale = f"stale: the truth was {text_of(self.truth[0])}"
        return Step(number, index, call, where, text_of(seen), time, key, read=(seen,), stale=stale)
