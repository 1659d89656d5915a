"""What the plugin prints about KV calls: the "KV operations" timeline of a failed
test, and the strict-teardown report of swallowed validation errors."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Final

from pytest_kv.errors import shown
from pytest_kv.kv.calllog import KVCall

# Reports show what a call was given, cut short: a 5 MB key is one line of 5 MB.
SHOWN_CHARACTERS: Final = 80
__all__ = ["describe_options", "shown", "timeline"]


def describe_options(options: Any) -> str:
    """A call's options as a report shows them: ``{expirationTtl=30, metadata={...}}``."""
    if options is None or (isinstance(options, dict) and not options):
        return ""
    if not isinstance(options, dict):
        return shown(options, SHOWN_CHARACTERS)
    members = (f"{_name(name)}={shown(value, SHOWN_CHARACTERS)}" for name, value in options.items())
    return "{" + ", ".join(members) + "}"


def _name(name: object) -> str:
    return name if isinstance(name, str) and len(name) <= SHOWN_CHARACTERS else shown(name)


def timeline(calls: list[KVCall], name: str, *, last: int = 50) -> str:
    """A compact, readable table of calls, for pytest's "KV operations" report section."""
    if not calls:
        return ""
    start = calls[0].time
    recent = calls[-last:]
    lines = [
        f"namespace {name!r}: {len(calls)} calls, starting "
        f"{datetime.fromtimestamp(round(start, 3), timezone.utc).isoformat()} (t=0)"
    ]
    if len(calls) > len(recent):
        lines.append(f"  ... {len(calls) - len(recent)} earlier calls left out")
    width = max(len(call.location) for call in recent)
    for call in recent:
        key = call.key
        target = "" if key is None else shown(key if not isinstance(key, tuple) else list(key))
        options = describe_options(call.options)
        cache = f" [{call.cache}]" if call.cache else ""
        lines.append(
            f"  t+{call.time - start:<9.3f} {call.location:<{width}}  {call.method:<15} "
            f"{target} {options}".rstrip()
            + f"  -> {_cut(call.outcome)}{cache}"
        )
    return "\n".join(lines)


def _cut(text: str, limit: int = 2 * SHOWN_CHARACTERS) -> str:
    return text if len(text) <= limit else f"{text[: limit - 20]}...<{len(text):,} characters>"
