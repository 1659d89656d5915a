"""Properties of the race explorer, for all small programs: exploration reaches every
final state that some interleaving reaches (checked against brute-force enumeration,
in strong mode by a plain-dict model and in eventual mode by replaying every schedule),
and replaying a reported schedule reproduces its report exactly."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_kv import KVNamespace, explore_races

KEYS = ["a", "b", "ab"]
Op = tuple[str, str]

ops = st.one_of(
    st.tuples(st.sampled_from(["get", "meta", "put", "delete"]), st.sampled_from(KEYS)),
    st.tuples(st.just("list"), st.just("a")),  # every key under "a": "a" and "ab"
)


def programs(total: int) -> st.SearchStrategy[list[list[Op]]]:
    return st.lists(st.lists(ops, min_size=1, max_size=3), min_size=1, max_size=3).filter(
        lambda program: sum(map(len, program)) <= total
    )


def invocation(index: int, steps: Sequence[Op]) -> Callable[[KVNamespace], Any]:
    """A deterministic invocation: each put writes who wrote it and what it last read,
    so lost updates and stale reads show in the final state."""

    async def run(kv: KVNamespace) -> str:
        seen = "-"
        for step, (method, key) in enumerate(steps):
            if method == "get":
                seen = await kv.get(key) or "-"
            elif method == "meta":  # what it read and whether it came from the cache
                read = await kv.getWithMetadata(key)
                seen = f"{read['value'] or '-'}/{read['cacheStatus']}"
            elif method == "put":
                await kv.put(key, f"{index}.{step}:{seen}")
            elif method == "delete":
                await kv.delete(key)
            else:
                page = await kv.list(prefix=key)
                seen = ",".join(item["name"] for item in page["keys"]) or "-"
        return seen

    run.__name__ = f"program{index}"
    return run


def interleavings(counts: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every order of the invocations' steps (each invocation's own in order)."""
    if not any(counts):
        yield ()
        return
    for index, count in enumerate(counts):
        if count:
            rest = [*counts]
            rest[index] -= 1
            for tail in interleavings(rest):
                yield (index, *tail)


def brute_force_strong(
    program: list[list[Op]], start: dict[str, str]
) -> set[frozenset[tuple[str, str]]]:
    finals = set()
    for order in interleavings([len(steps) for steps in program]):
        state = dict(start)
        seen = ["-"] * len(program)
        position = [0] * len(program)
        for index in order:
            step = position[index]
            position[index] += 1
            method, key = program[index][step]
            if method == "get":
                seen[index] = state.get(key, "-")
            elif method == "meta":
                seen[index] = f"{state.get(key, '-')}/None"
            elif method == "put":
                state[key] = f"{index}.{step}:{seen[index]}"
            elif method == "delete":
                state.pop(key, None)
            else:
                seen[index] = ",".join(sorted(k for k in state if k.startswith(key))) or "-"
        finals.add(frozenset(state.items()))
    return finals


def _truths(found: Any) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(outcome.truth.items()) for outcome in found.outcomes}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(programs(6), st.booleans())
# A list() and a write under its prefix, in either order.
@example(program=[[("list", "a"), ("put", "b")], [("put", "ab")]], seeded=False)
def test_exploration_reaches_every_final_state_of_a_strong_namespace(
    program: list[list[Op]], seeded: bool
) -> None:
    start = {"a": "s", "b": "t"} if seeded else {}
    kv = KVNamespace(clock=lambda: 1_000.0)
    kv.seed(start)
    invocations = [invocation(index, steps) for index, steps in enumerate(program)]
    found = explore_races(*invocations, ns=kv, max_schedules=100_000)
    assert found.exhaustive
    assert _truths(found) == brute_force_strong(program, start)
    # Never more schedules than interleavings: the reduction only removes.
    assert found.schedules <= sum(1 for _ in interleavings([len(s) for s in program]))


def _with_moves(order: tuple[int, ...]) -> Iterator[str]:
    """``order`` with a clock move of 60 s before any of its steps, every way."""
    for moves in itertools.product([False, True], repeat=len(order)):
        tokens: list[str] = []
        for index, move in zip(order, moves, strict=True):
            tokens += ["+60s", str(index)] if move else [str(index)]
        yield " ".join(tokens)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(programs(4), st.lists(st.sampled_from(["lhr", "syd"]), min_size=3, max_size=3))
# Two reads at one location: whichever comes second is a cache HIT.
@example(program=[[("meta", "a"), ("put", "b")], [("get", "a")]], where=["lhr", "lhr", "syd"])
def test_exploration_reaches_every_final_state_of_an_eventual_namespace(
    program: list[list[Op]], where: list[str]
) -> None:
    kv = KVNamespace(consistency="eventual", locations=["lhr", "syd"], clock=lambda: 1_000.0)
    kv.seed({"a": "s"})
    invocations = [invocation(index, steps) for index, steps in enumerate(program)]
    locations = where[: len(program)]

    def explore(**options: Any) -> Any:
        return explore_races(*invocations, ns=kv, locations=locations, advance=[60], **options)

    found = explore(max_schedules=100_000)
    assert found.exhaustive
    expected: set[frozenset[tuple[str, str]]] = set()
    for order in interleavings([len(steps) for steps in program]):
        for schedule in _with_moves(order):
            expected |= _truths(explore(schedule=schedule))
    assert _truths(found) == expected


def _invariant(kv: KVNamespace) -> None:
    # A message of its own: pytest's rewritten one would show object addresses.
    entry = kv.peek("a")
    if entry is not None and entry.text.startswith("0."):
        raise AssertionError(f"invocation 0 wrote 'a' last: {entry.text!r}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(programs(6), st.sampled_from(["strong", "eventual"]))
def test_replaying_a_reported_schedule_reproduces_its_report(
    program: list[list[Op]], mode: str
) -> None:
    options: dict[str, Any] = {}
    if mode == "eventual":
        options = {"consistency": "eventual", "locations": ["lhr", "syd"]}
    kv = KVNamespace(clock=lambda: 1_000.0, **options)
    invocations = [invocation(index, steps) for index, steps in enumerate(program)]
    locations = [kv.locations[index % len(kv.locations)] for index in range(len(program))]
    found = explore_races(*invocations, ns=kv, invariant=_invariant, locations=locations)
    assert (
        found.report
        == explore_races(*invocations, ns=kv, invariant=_invariant, locations=locations).report
    )
    for failure in found.failures:
        replayed = explore_races(
            *invocations,
            ns=kv,
            invariant=_invariant,
            locations=locations,
            schedule=failure.schedule,
        )
        assert replayed.failed == 1
        again = replayed.failures[0]
        assert (again.schedule, again.report, again.truth) == (
            failure.schedule,
            failure.report,
            failure.truth,
        )
        assert str(again.error) == str(failure.error)
