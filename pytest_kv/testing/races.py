"""The race explorer: run concurrent invocations against a namespace under every
interleaving of their KV calls that can differ, and check an invariant after each.

In production every KV call is I/O, so concurrent requests interleave at each
``await``; the bug users write first is read-modify-write (two requests read a
counter, both write it back, one update is lost). ``assert_race_free`` finds it
deterministically, from sync and async tests alike, and prints the failing
interleaving as a timeline with a ``schedule=`` value that replays it exactly.

The engine: ``executions`` runs one schedule, ``footprints`` says which steps commute,
``schedules`` searches, ``observations`` records what a shown schedule's steps saw;
``race_report`` words it, and ``race_arguments`` checks what the user passed.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.errors import shown
from pytest_kv.kv.keys import name_of
from pytest_kv.suspension import DRIVER

from .arguments import namespace_of
from .executions import EXPLORING, Ending, Program, UsageError, snapshot
from .race_arguments import (
    count_of,
    invariant_takes_results,
    locations_of,
    moves_of,
    names_of_invocations,
)
from .race_report import failure_text, parse_schedule, schedule_text, wrapped
from .schedules import explore, run

__all__ = ["RaceFailure", "RaceOutcome", "RaceResult", "assert_race_free", "explore_races"]


@dataclass(frozen=True, eq=False)
class RaceFailure:
    """One way the invocations went wrong: the first schedule that led there.

    ``schedule`` replays it (``schedule=failure.schedule``); ``error`` is what an
    invocation raised (``invocation`` is its number) or what the invariant raised
    (``invocation`` is None); ``truth`` is the namespace's final truth (key to text);
    ``results`` are the invocations' return values; ``report`` is the full text, the
    timeline included.

    Example::

        found = explore_races(increment, increment, ns=kv, invariant=counted_twice)
        print(found.failures[0].report)
    """

    schedule: str
    error: BaseException
    invocation: int | None
    truth: dict[str, str]
    results: tuple[Any, ...]
    report: str = field(repr=False)


@dataclass(frozen=True, eq=False)
class RaceOutcome:
    """One distinct final state: the namespace's truth (key to text), how many
    schedules ended in it, and the first of them (``schedule``).

    Example: ``{tuple(o.truth.items()) for o in found.outcomes}``.
    """

    truth: dict[str, str]
    schedule: str
    schedules: int


@dataclass(frozen=True, eq=False)
class RaceResult:
    """What ``explore_races`` found.

    ``schedules`` is how many complete schedules ran (``random`` of them drawn at
    random), ``exhaustive`` whether they cover every interleaving that can differ;
    ``failed`` counts the failing schedules and ``failures`` lists each distinct failure
    (by error and final truth) with its first schedule; ``outcomes`` lists the distinct
    final states. ``ok`` is true when nothing failed; ``report`` says it all in words.

    Example::

        found = explore_races(sign_up, sign_up, ns=kv, invariant=one_owner)
        assert not found.ok
        assert found.failures[0].schedule == "0 1 0 1"
    """

    schedules: int
    exhaustive: bool
    random: int
    failed: int
    failures: tuple[RaceFailure, ...]
    outcomes: tuple[RaceOutcome, ...]
    seed: int
    report: str = field(repr=False)

    @property
    def ok(self) -> bool:
        """Whether every schedule passed."""
        return self.failed == 0

    def __str__(self) -> str:
        return self.report


def explore_races(
    *invocations: Callable[..., Any],
    ns: KVNamespace,
    invariant: Callable[..., Any] | None = None,
    locations: Sequence[str | None] | None = None,
    advance: Sequence[float | str] | None = None,
    max_schedules: int = 1000,
    random_schedules: int = 100,
    seed: int = 0,
    schedule: str | Sequence[int | str] | None = None,
) -> RaceResult:
    """Run ``invocations`` concurrently under every interleaving of their KV calls
    that can differ, and report what happened; ``assert_race_free`` is its
    asserting twin (see it for the arguments). Nothing is raised for a failing
    schedule: look at ``result.ok``, ``result.failures`` and ``result.outcomes``.

    Example::

        found = explore_races(increment, increment, ns=kv)
        assert {o.truth["counter"] for o in found.outcomes} == {"1", "2"}
    """
    __tracebackhide__ = True
    return _explore("explore_races", invocations, ns, invariant, locations, advance,
                    max_schedules, random_schedules, seed, schedule)  # fmt: skip


def assert_race_free(
    *invocations: Callable[..., Any],
    ns: KVNamespace,
    invariant: Callable[..., Any] | None = None,
    locations: Sequence[str | None] | None = None,
    advance: Sequence[float | str] | None = None,
    max_schedules: int = 1000,
    random_schedules: int = 100,
    seed: int = 0,
    schedule: str | Sequence[int | str] | None = None,
) -> RaceResult:
    """Check that concurrent ``invocations`` keep ``invariant`` however their KV
    calls interleave; on failure, show the interleaving and how to replay it.

    Each invocation is an async function called with the namespace (its own copy of
    ``ns``, as seen from its location). The explorer steps them itself, without an
    event loop, and decides at each KV call which waiting call completes next, so it
    works from sync and async tests and no real time passes. Every schedule starts
    from ``ns``'s truth as it is now, on a fresh copy: ``ns`` itself is not changed.

    - ``invariant(ns)`` (or ``invariant(ns, results)``, with the invocations' return
      values in order) is called after each schedule on that schedule's namespace; it
      fails by raising (an ``assert``) or by returning False. An exception inside an
      invocation is a failure too.
    - ``locations``: where each invocation runs (one per invocation; None for ``ns``'s
      own location). Writes reach other locations only by propagation.
    - ``advance``: clock moves the explorer may insert between two steps: seconds, or
      ``"settle"`` (as far as ``ns.settle()`` would go). Default: ``["settle"]`` for
      an eventual namespace, none for a strong one.
    - ``max_schedules``: how many schedules to explore systematically; if more can
      differ, ``random_schedules`` random ones follow, drawn from ``seed``.
    - ``schedule``: run exactly this schedule (the value a failure report prints).

    Returns the ``RaceResult`` when every schedule passes.

    Example::

        async def increment(kv):
            count = int(await kv.get("counter") or 0)
            await kv.put("counter", str(count + 1))

        def counted_twice(kv):
            assert kv.peek("counter").text == "2"

        assert_race_free(increment, increment, ns=kv, invariant=counted_twice)
        # AssertionError: ... a timeline of the lost update, and schedule="0 1 0 1"
    """
    __tracebackhide__ = True
    found = _explore("assert_race_free", invocations, ns, invariant, locations, advance,
                     max_schedules, random_schedules, seed, schedule)  # fmt: skip
    if not found.ok:
        raise AssertionError(found.report) from found.failures[0].error
    return found


# -- exploring ---------------------------------------------------------------------------


def _explore(
    helper: str,
    invocations: tuple[Any, ...],
    ns: object,
    invariant: Any,
    locations: object,
    advance: object,
    max_schedules: object,
    random_schedules: object,
    seed: object,
    schedule: object,
) -> RaceResult:
    __tracebackhide__ = True
    if DRIVER.get() is EXPLORING:
        raise RuntimeError(f"{helper} cannot run inside an invocation it explores")
    namespace = namespace_of(ns, helper)
    names = names_of_invocations(invocations, helper)
    with_results = invariant_takes_results(invariant, helper)
    where = locations_of(locations, namespace, len(invocations), helper)
    moves = moves_of(advance, namespace, helper)
    max_schedules = count_of(max_schedules, 1, helper, "max_schedules")
    random_schedules = count_of(random_schedules, 0, helper, "random_schedules")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{helper}: seed must be an int, got {shown(seed)}")
    program = Program(
        invocations=tuple(invocations),
        names=names,
        locations=where,
        source=namespace,
        truth=snapshot(namespace),
        start=namespace._now(),
        invariant=invariant,
        with_results=with_results,
        moves=moves,
        context=contextvars.copy_context(),
    )
    if schedule is not None:
        choices, text = parse_schedule(schedule, len(invocations), helper)
        endings = [run(program, choices)]
        exhaustive, drawn, how = True, 0, f"the schedule given ({text!r})"
    else:
        exploration = explore(program, max_schedules, random_schedules, seed)
        endings, exhaustive, drawn = exploration.endings, exploration.exhaustive, exploration.random
        how = _how(len(endings), exhaustive, drawn, max_schedules, seed)
    return _result(helper, program, endings, exhaustive, drawn, seed, how)


def _how(total: int, exhaustive: bool, drawn: int, bound: int, seed: int) -> str:
    if exhaustive:
        return (
            f"every distinct interleaving of the invocations' KV calls ({total} "
            f"schedule{'s' if total != 1 else ''}; orders that only swap independent calls "
            "are skipped)"
        )
    return (
        f"{total - drawn} schedules systematically (max_schedules={bound} was reached "
        f"before every interleaving was), then {drawn} random ones (seed={seed})"
    )


def _result(
    helper: str,
    program: Program,
    endings: list[Ending],
    exhaustive: bool,
    drawn: int,
    seed: int,
    how: str,
) -> RaceResult:
    outcomes: dict[Any, list[Any]] = {}
    failures: dict[object, RaceFailure] = {}
    failed = 0
    for ending in endings:
        schedule = schedule_text(ending.choices)
        seen = outcomes.setdefault(ending.truth, [schedule, 0])
        seen[1] += 1
        error = ending.error
        if error is None:
            continue
        failed += 1
        kind = _kind(ending)
        if kind not in failures:
            ending = _observed(program, ending)
            failures[kind] = RaceFailure(
                schedule,
                error,
                ending.failed_invocation,
                _truth_of(ending.truth),
                ending.results,
                failure_text(ending, program, helper),
            )
    total = len(endings)
    if failed:
        first = next(iter(failures.values()))
        report = (
            f"{helper}: {failed} of {total} schedule{'s' if total != 1 else ''} failed.\n"
            f"{wrapped(f'The explorer ran {how}. The first that failed:')}\n\n{first.report}"
        )
        if len(failures) > 1:
            report += (
                f"\n\n{len(failures) - 1} other distinct failure"
                f"{'s' if len(failures) > 2 else ''}: "
                + "; ".join(f'schedule="{f.schedule}"' for f in list(failures.values())[1:4])
                + (" ..." if len(failures) > 4 else "")
            )
    else:
        report = f"{helper}: every schedule passed.\n" + wrapped(f"The explorer ran {how}.")
    truths = [
        RaceOutcome(_truth_of(key), schedule, count) for key, (schedule, count) in outcomes.items()
    ]
    return RaceResult(
        schedules=total,
        exhaustive=exhaustive,
        random=drawn,
        failed=failed,
        failures=tuple(failures.values()),
        outcomes=tuple(truths),
        seed=seed,
        report=report,
    )


_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]+")


def _kind(ending: Ending) -> tuple[object, ...]:
    """What makes two failures the same: the final truth, who failed, and how (the
    message without object addresses, which pytest's rewritten asserts show)."""
    error = ending.error
    return (ending.truth, ending.failed_invocation, type(error), _ADDRESS.sub("", str(error)))


def _observed(program: Program, ending: Ending) -> Ending:
    """The same schedule again, watched step by step for its timeline (exploring
    without watching is faster, and most schedules are never shown)."""
    if ending.steps or not ending.choices:
        return ending
    again = run(program, ending.choices)
    if _kind(again) != _kind(ending):
        raise UsageError(
            f"the invocations did not repeat themselves: schedule "
            f"{schedule_text(ending.choices)!r} ended differently when run again. The "
            "explorer re-runs them for every schedule, so they must decide only by what "
            "they read from the namespace (no random numbers, no real time, no state "
            "kept between runs)"
        )
    return again


def _truth_of(truth: tuple[tuple[bytes, bytes, Any, Any], ...]) -> dict[str, str]:
    return {name_of(key): value.decode("utf-8", "replace") for key, value, _, _ in truth}
