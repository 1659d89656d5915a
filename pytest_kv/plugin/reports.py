"""What the plugin prints about KV calls: the "KV operations" timeline of a failed
test, and the strict-teardown report of swallowed validation errors."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pytest_kv.kv.calllog import KVCall

if TYPE_CHECKING:
    pass


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
