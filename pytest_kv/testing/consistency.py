"""Assertions for eventual consistency: wait for every location to catch up, or check
that they all agree now. Both move time only through the namespace's clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_kv.binding.instruments import god_key
from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.errors import KVSyntaxError, shown
from pytest_kv.js.json_parse import json_parse
from pytest_kv.js.text import decode_text
from pytest_kv.kv.edge import Edge
from pytest_kv.kv.keys import name_of
from pytest_kv.kv.store import Entry

from .arguments import names_of, namespace_of, seconds_of, seconds_text

__all__ = ["assert_consistent", "assert_eventually"]


def _shown(entry: Entry | None) -> str:
    if entry is None:
        return "(missing)"
    text = decode_text(entry.value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _matches(entry: Entry | None, expected: Any) -> bool:
    if entry is None or expected is None:
        return entry is None and expected is None
    if isinstance(expected, bytes):
        return entry.value == expected
    text = decode_text(entry.value)
    if isinstance(expected, str):
        return text == expected
    try:
        parsed = json_parse(text)  # as get(key, "json") reads it
    except KVSyntaxError:
        return False
    return same_json(parsed, expected)


def same_json(found: Any, expected: Any) -> bool:
    """JavaScript's idea of equal JSON values, walked without recursion: ``true`` is
    not ``1``, ``1`` is ``1.0``, and objects compare by their members."""
    pending = [(found, expected)]
    while pending:
        a, b = pending.pop()
        if isinstance(a, bool) or isinstance(b, bool):
            if a is not b:
                return False
        elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
            if a != b:
                return False
        elif isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                return False
            pending.extend((a[name], b[name]) for name in a)
        elif isinstance(a, list) and isinstance(b, (list, tuple)):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif type(a) is not type(b) or a != b:
            return False
    return True


def _name(key: bytes) -> str:
    return shown(name_of(key))


def _same(seen: Entry | None, truth: Entry | None) -> bool:
    if seen is None or truth is None:
        return seen is truth
    return (seen.value, seen.metadata, seen.expiration) == (
        truth.value,
        truth.metadata,
        truth.expiration,
    )


def _probe(
    ns: KVNamespace, edge: Edge | None, key: bytes, location: str, now: float
) -> Entry | None:
    if edge is None:
        return ns._shared.store.peek(key, now)
    return edge.probe(key, location, now)


def assert_eventually(
    ns: KVNamespace,
    key: str,
    expected: Any,
    *,
    within: float = 60.0,
    locations: Sequence[str] | None = None,
) -> float:
    """Advance the clock until every location reads ``expected`` for ``key``.

    ``expected`` is the text a ``get`` returns, ``bytes`` for the raw value, ``None``
    for a missing key, or any other value to compare with the parsed JSON. Time jumps
    from one change to the next (a cache running out, a write arriving), never past
    ``within`` seconds. Reads are observed without side effects: no caching, no
    replica reads. Returns the seconds it took; on failure, the error shows what each
    location saw and when.

    Example::

        await kv.put("flag", "on")
        assert_eventually(kv, "flag", "on", within=60)
    """
    __tracebackhide__ = True
    ns = namespace_of(ns, "assert_eventually")
    within = seconds_of(within, "assert_eventually", "within")
    shared = ns._shared
    edge = shared.edge
    if locations is None:
        names = tuple(shared.settings.locations)
    else:
        names = tuple(names_of(locations, "assert_eventually", "locations"))
        if not names:
            raise ValueError("assert_eventually: locations must name at least one location")
    for location in names:
        ns.at(location)  # an unknown location fails here, naming the known ones
    encoded = god_key(key)
    start = now = ns._now()
    deadline = start + within
    timeline: dict[str, list[tuple[float, str]]] = {location: [] for location in names}
    while True:
        with shared.store.lock:
            seen = {loc: _probe(ns, edge, encoded, loc, now) for loc in names}
            upcoming = None if edge is None else edge.next_change(encoded, names, now)
        for location, entry in seen.items():
            shown = _shown(entry)
            if not timeline[location] or timeline[location][-1][1] != shown:
                timeline[location].append((now - start, shown))
        if all(_matches(entry, expected) for entry in seen.values()):
            return now - start
        if upcoming is None or upcoming > deadline:
            if deadline > now and shared.clock is not None:
                shared.advance(deadline - now)
            raise AssertionError(
                _eventually_report(key, expected, within, timeline, upcoming, start)
            )
        shared.advance(max(upcoming - now, 1e-6))
        now = ns._now()


def _eventually_report(
    key: str,
    expected: Any,
    within: float,
    timeline: dict[str, list[tuple[float, str]]],
    upcoming: float | None,
    start: float,
) -> str:
    lines = [
        f"assert_eventually: not every location read {expected!r} for {key!r} "
        f"within {_seconds(within)} s. What each location saw (seconds from the start):"
    ]
    width = max(len(location) for location in timeline)
    for location, changes in timeline.items():
        seen = ", ".join(f"+{_seconds(offset)}s {shown}" for offset, shown in changes)
        lines.append(f"  {location:<{width}}  {seen}")
    if upcoming is None:
        lines.append(
            "Nothing more will change with time: check the value written, the key, and "
            "for AfterReads propagation, read the key at each location."
        )
    else:
        lines.append(
            f"The next change comes at +{_seconds(upcoming - start)}s: raise `within`, or check "
            "propagation, cache_ttl and the cacheTtl of earlier reads."
        )
    return "\n".join(lines)


def _seconds(offset: float) -> str:
    # To the millisecond: a clock that keeps microseconds shows +60s, not +59.9998s.
    return seconds_text(offset)


def assert_consistent(ns: KVNamespace) -> None:
    """Check that every location reads every key as the truth has it, and that every
    location's ``list()`` shows exactly the live keys.

    Example::

        kv.settle()
        assert_consistent(kv)
    """
    __tracebackhide__ = True
    ns = namespace_of(ns, "assert_consistent")
    shared = ns._shared
    edge = shared.edge
    if edge is None:
        return
    now = ns._now()
    problems: list[str] = []
    with shared.store.lock:
        # Only keys with a change on its way, or a stale copy somewhere, can disagree:
        # every other key reads as the truth, so this costs what is pending.
        for key in edge.keys_in_play():
            truth = shared.store.peek(key, now)
            for location in edge.locations:
                seen = edge.probe(key, location, now)
                if not _same(seen, truth):
                    problems.append(
                        f"  {_name(key)} at {location}: reads "
                        f"{_shown(seen)}, the truth is {_shown(truth)}"
                    )
            listed = edge.listed(key, now)
            if (listed is None) != (truth is None) or (
                listed is not None and not _same(listed, truth)
            ):
                shows = "leaves out" if listed is None else f"shows {_shown(listed)} for"
                problems.append(f"  list() {shows} {_name(key)}, the truth is {_shown(truth)}")
    if problems:
        raise AssertionError(
            "assert_consistent: the locations disagree with the truth:\n"
            + "\n".join(problems)
            + "\nCall ns.settle() to let every change arrive, or use assert_eventually."
        )
