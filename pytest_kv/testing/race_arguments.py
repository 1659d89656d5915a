"""What the race explorer accepts, checked: a wrong argument is a clear ``TypeError``
or ``ValueError`` that says what to pass instead."""

from __future__ import annotations

import inspect
from typing import Any, Final

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.errors import shown

from .arguments import seconds_of
from .executions import Move

SETTLE: Final = "settle"


def names_of_invocations(invocations: tuple[Any, ...], helper: str) -> tuple[str, ...]:
    if not invocations:
        raise TypeError(f"{helper}: give the invocations to run, e.g. {helper}(a, b, ns=kv)")
    names = []
    for index, fn in enumerate(invocations):
        if inspect.iscoroutine(fn):
            fn.close()
            raise TypeError(
                f"{helper}: invocation [{index}] is a coroutine, not an async function: "
                "pass the function itself (increment, not increment(kv)); the explorer "
                "calls it with the namespace for every schedule"
            )
        if not callable(fn):
            raise TypeError(
                f"{helper}: invocation [{index}] must be an async function taking the "
                f"namespace, got {shown(fn)}"
            )
        _check_arity(fn, 1, f"{helper}: invocation [{index}] {_name(fn)}")
        names.append(_name(fn))
    return tuple(names)


def _name(fn: Any) -> str:
    """An invocation's name in the report: ``increment``, ``Worker.fetch``."""
    inner = getattr(fn, "func", fn)  # functools.partial
    name = str(getattr(inner, "__qualname__", None) or getattr(inner, "__name__", repr(fn)))
    return name.rpartition("<locals>.")[2]


def _positional(fn: Any) -> int | None:
    """How many positional arguments ``fn`` takes (None: any number)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return None
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return None
    return sum(
        p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        and p.default is inspect.Parameter.empty
        for p in parameters
    )


def _check_arity(fn: Any, count: int, what: str) -> None:
    taken = _positional(fn)
    if taken is not None and taken != count:
        raise TypeError(
            f"{what} must take the namespace as its one argument, but it takes {taken}; "
            "wrap it: lambda kv: handler(kv, request)"
        )


def invariant_takes_results(invariant: object, helper: str) -> bool:
    """Whether the invariant also takes the results."""
    if invariant is None:
        return False
    if not callable(invariant):
        raise TypeError(
            f"{helper}: invariant must be a function of the namespace (or of the "
            f"namespace and the results), got {shown(invariant)}"
        )
    taken = _positional(invariant)
    if taken not in (None, 1, 2):
        raise TypeError(
            f"{helper}: invariant must take (ns) or (ns, results), but it takes {taken} arguments"
        )
    return taken == 2


def locations_of(locations: object, ns: KVNamespace, count: int, helper: str) -> tuple[str, ...]:
    if locations is None:
        return (ns.location,) * count
    if isinstance(locations, str) or not isinstance(locations, (list, tuple)):
        raise TypeError(
            f"{helper}: locations must be a list with one location per invocation, got "
            f"{shown(locations)}"
        )
    if len(locations) != count:
        raise ValueError(
            f"{helper}: locations has {len(locations)} entries for {count} invocations; "
            "give one per invocation (None for the namespace's own)"
        )
    chosen = []
    for where in locations:
        if where is None:
            chosen.append(ns.location)
            continue
        if not isinstance(where, str) or where not in ns.locations:
            raise ValueError(
                f"{helper}: unknown location {shown(where)}; the locations of namespace "
                f"{ns.name!r} are: {', '.join(ns.locations)}"
            )
        chosen.append(where)
    return tuple(chosen)


def moves_of(advance: object, ns: KVNamespace, helper: str) -> tuple[Move, ...]:
    eventual = ns._shared.edge is not None
    if advance is None:
        return (Move(None),) if eventual else ()
    if isinstance(advance, (str, int, float)) or not isinstance(advance, (list, tuple)):
        raise TypeError(
            f"{helper}: advance must be a list of clock moves (seconds, or 'settle'), "
            f"got {shown(advance)}"
        )
    moves = []
    for move in advance:
        if move == SETTLE:
            if not eventual:
                raise ValueError(
                    f"{helper}: advance 'settle' needs consistency='eventual': a strong "
                    "namespace has nothing to settle (give seconds to move its clock)"
                )
            moves.append(Move(None))
        elif isinstance(move, str):
            raise ValueError(f"{helper}: a clock move is seconds or 'settle', got {move!r}")
        else:
            seconds = seconds_of(move, helper, "a clock move")
            if seconds <= 0:
                raise ValueError(f"{helper}: a clock move must be more than 0 seconds")
            moves.append(Move(seconds))
    return tuple(dict.fromkeys(moves))


def count_of(value: object, least: int, helper: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{helper}: {what} must be a whole number >= {least}, got {shown(value)}")
    return value
