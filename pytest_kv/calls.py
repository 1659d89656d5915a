"""The call log: every binding call a namespace served, for assertions and timelines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from typing import Any

from .errors import KVError

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
    error: KVError | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (a miss is a success)."""
        return self.error is None


def matches(call: KVCall, method: str | None, key: str | None, location: str | None) -> bool:
    if method is not None and call.method != method:
        return False
    if location is not None and call.location != location:
        return False
    if key is None:
        return True
    keys = call.key if isinstance(call.key, list) else [call.key]
    return any(isinstance(name, str) and fnmatchcase(name, key) for name in keys)


def describe_options(options: Any) -> str:
    if options is None or options == {}:
        return ""
    if isinstance(options, str):
        return repr(options)
    if isinstance(options, dict):
        return "{" + ", ".join(f"{name}={value!r}" for name, value in options.items()) + "}"
    return repr(options)


def timeline(calls: list[KVCall], name: str, *, last: int = 50) -> str:
    """A compact, readable table of calls, for pytest's "KV operations" report section."""
    if not calls:
        return ""
    start = calls[0].time
    shown = calls[-last:]
    lines = [
        f"namespace {name!r}: {len(calls)} calls, starting "
        f"{datetime.fromtimestamp(start, timezone.utc).isoformat()} (t=0)"
    ]
    if len(calls) > len(shown):
        lines.append(f"  ... {len(calls) - len(shown)} earlier calls left out")
    width = max(len(call.location) for call in shown)
    for call in shown:
        key = call.key if call.key is None or isinstance(call.key, str) else list(call.key)
        target = "" if key is None else repr(key)
        options = describe_options(call.options)
        cache = f" [{call.cache}]" if call.cache else ""
        lines.append(
            f"  t+{call.time - start:<9.3f} {call.location:<{width}}  {call.method:<15} "
            f"{target} {options}".rstrip()
            + f"  -> {call.outcome}{cache}"
        )
    return "\n".join(lines)
