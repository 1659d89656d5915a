"""The race explorer: it finds lost updates and check-then-set races, in strong and
eventual namespaces, prints a timeline and a schedule that replays exactly, explores
only the orders that can differ, and passes correct designs."""

from __future__ import annotations

import asyncio
import collections
import functools
from typing import Any

import httpx
import pytest
import trio

from pytest_kv import (
    KVApi,
    KVNamespace,
    RaceResult,
    assert_race_free,
    explore_races,
)
from pytest_kv.kv.namespace import Namespace


async def increment(kv: KVNamespace) -> None:
    count = int(await kv.get("counter") or 0)
    await kv.put("counter", str(count + 1))


def counted_twice(kv: KVNamespace) -> None:
    assert kv.peek("counter").text == "2"  # type: ignore[union-attr]


async def sign_up(kv: KVNamespace, name: str, user: str) -> bool:
    """Check-then-set: claim a username if it looks free."""
    if await kv.get(f"user:{name}") is not None:
        return False
    await kv.put(f"user:{name}", user)
    return True


def one_owner(kv: KVNamespace, results: tuple[bool, ...]) -> None:
    assert results.count(True) == 1, f"{results.count(True)} sign-ups claimed 'ada'"


ada_1 = functools.partial(sign_up, name="ada", user="u1")
ada_2 = functools.partial(sign_up, name="ada", user="u2")


def _eventual(**options: Any) -> KVNamespace:
    ns = KVNamespace(
        consistency="eventual", locations=["lhr", "syd"], clock=lambda: 1_000.0, **options
    )
    ns.seed({"counter": "0"})
    return ns


# -- what it finds ------------------------------------------------------------------------

COUNTER_TIMELINE = """\
  step  invocation     call            result
     1  [0] increment  get('counter')  (missing)
     2  [1] increment  get('counter')  (missing)
     3  [0] increment  put('counter')  wrote '1'
     4  [1] increment  put('counter')  wrote '1'  <- overwrites [0]'s write of '1' (step 3) without having read it"""  # noqa: E501


def test_it_finds_the_lost_update_of_a_counter() -> None:
    kv = KVNamespace()
    with pytest.raises(AssertionError) as failure:
        assert_race_free(increment, increment, ns=kv, invariant=counted_twice)
    report = str(failure.value)
    assert report.startswith("assert_race_free: 2 of 4 schedules failed.\n")
    assert 'Schedule "0 1 0 1", step by step:\n' + COUNTER_TIMELINE in report
    assert "Then the invariant failed (in counted_twice, test_races.py:" in report
    assert "assert '1' == '2'" in report
    assert "Final truth: 'counter' = '1'" in report
    assert (
        'assert_race_free(increment, increment, ns=..., invariant=..., schedule="0 1 0 1")'
        in report
    )
    assert "KV has no transactions" in report
    # The invariant's own error comes with it, for its traceback.
    assert isinstance(failure.value.__cause__, AssertionError)
    assert kv.keys() == []  # every schedule ran on a copy


def test_the_failing_schedule_replays_exactly_and_the_others_pass() -> None:
    kv = KVNamespace()
    with pytest.raises(AssertionError) as explored:
        assert_race_free(increment, increment, ns=kv, invariant=counted_twice)
    with pytest.raises(AssertionError) as replayed:
        assert_race_free(increment, increment, ns=kv, invariant=counted_twice, schedule="0 1 0 1")
    timeline = str(explored.value).split("step by step:\n")[1].split("\nThen")[0]
    assert timeline in str(replayed.value)
    assert str(replayed.value).startswith("assert_race_free: 1 of 1 schedule failed.\n")
    passed = assert_race_free(
        increment, increment, ns=kv, invariant=counted_twice, schedule="0 0 1 1"
    )
    assert (passed.schedules, passed.ok) == (1, True)
    assert assert_race_free(
        increment, increment, ns=kv, invariant=counted_twice, schedule=[1, 1, 0, 0]
    ).ok


def test_it_finds_two_sign_ups_that_both_claim_a_free_username() -> None:
    kv = KVNamespace()
    found = explore_races(ada_1, ada_2, ns=kv, invariant=one_owner)
    assert not found.ok
    assert (found.schedules, found.failed) == (4, 2)
    first = found.failures[0]
    assert first.schedule == "0 1 0 1"
    assert first.results == (True, True)
    assert first.truth == {"user:ada": "u2"}
    assert "2 sign-ups claimed 'ada'" in first.report
    assert "Results: [0] True, [1] True" in first.report
    assert "[1] sign_up  put('user:ada')  wrote 'u2'  <- overwrites" in first.report


def test_it_finds_a_lost_update_across_two_locations() -> None:
    kv = _eventual()
    found = explore_races(
        increment, increment, ns=kv, locations=["lhr", "syd"], invariant=counted_twice
    )
    assert not found.ok
    # Even one after the other, syd reads before lhr's write has reached it...
    assert found.failures[0].schedule == "0 0 1 1"
    report = found.failures[0].report
    assert "[1] increment @syd  get('counter')  '0'  <- stale: the truth was '1'" in report
    assert "locations=['lhr', 'syd']" in report
    # ...and only when the clock lets the write arrive does the count come out right.
    right = [o for o in found.outcomes if o.truth == {"counter": "2"}]
    assert [o.schedule for o in right] == ["0 0 +60s 1 1"]
    assert explore_races(
        increment,
        increment,
        ns=kv,
        locations=["lhr", "syd"],
        invariant=counted_twice,
        schedule="0 0 +60s 1 1",
    ).ok


def test_without_clock_moves_two_locations_never_see_each_others_writes() -> None:
    kv = _eventual()
    found = explore_races(increment, increment, ns=kv, locations=["lhr", "syd"], advance=[])
    assert [o.truth for o in found.outcomes] == [{"counter": "1"}]


def test_an_exception_inside_an_invocation_is_a_failure() -> None:
    async def charge(kv: KVNamespace) -> None:
        balance = int(await kv.get("balance") or 0)
        if balance < 10:
            raise ValueError(f"balance {balance} is too low")
        await kv.put("balance", str(balance - 10))

    kv = KVNamespace()
    kv.seed({"balance": "10"})
    found = explore_races(charge, charge, ns=kv)
    assert found.failed == 2  # whichever charges second raises
    failure = found.failures[0]
    assert failure.schedule == "0 0 1"
    assert failure.invocation == 1
    assert isinstance(failure.error, ValueError)
    assert (
        "Then invocation [1] charge raised at step 3 (in charge, test_races.py:" in failure.report
    )
    assert "ValueError: balance 0 is too low" in failure.report


def test_the_timeline_shows_bulk_reads_lists_and_failed_calls() -> None:
    async def reader(kv: KVNamespace) -> None:
        await kv.get(["x", "y"])
        await kv.list(prefix="x")
        await kv.put("x", "1", expirationTtl=10)  # production refuses a TTL under 60

    async def deleter(kv: KVNamespace) -> None:
        await kv.delete("x")

    kv = KVNamespace()
    kv.seed({"x": "0"})
    report = explore_races(reader, deleter, ns=kv).failures[0].report
    assert "get(['x', 'y'])             {'x': '0', 'y': (missing)}" in report
    assert "list(prefix='x')            listed ['x']" in report
    assert "put('x', expirationTtl=10)  failed: KV PUT failed: 400 Invalid expiration_ttl" in report
    assert "delete('x')                 deleted" in report
    assert "Then invocation [0] reader raised at step 3" in report


# -- correct designs pass -----------------------------------------------------------------


async def count_request(kv: KVNamespace, request: str) -> None:
    """One key per request: nothing to lose; readers add them up."""
    await kv.put(f"hits:{request}", "1")


def every_request_counted(kv: KVNamespace) -> None:
    assert sum(int(kv.peek(key).text) for key in kv.keys("hits:")) == 3  # type: ignore[union-attr]


def test_one_key_per_request_passes_with_no_reordering_to_explore() -> None:
    kv = KVNamespace()
    found = assert_race_free(
        functools.partial(count_request, request="a"),
        functools.partial(count_request, request="b"),
        functools.partial(count_request, request="c"),
        ns=kv,
        invariant=every_request_counted,
    )
    assert (found.schedules, found.exhaustive, found.ok) == (1, True, True)
    assert "every schedule passed" in found.report


def test_idempotent_writes_pass() -> None:
    async def enable(kv: KVNamespace) -> None:
        if await kv.get("flag") != "on":
            await kv.put("flag", "on")

    kv = KVNamespace()
    found = assert_race_free(
        enable, enable, enable, ns=kv, invariant=lambda kv: kv.peek("flag").text == "on"
    )
    assert found.ok
    assert found.schedules > 1
    assert [o.truth for o in found.outcomes] == [{"flag": "on"}]


def test_a_correct_design_across_two_locations_passes() -> None:
    async def visit(kv: KVNamespace) -> None:
        await kv.put(f"visit:{kv.location}", "1")

    kv = _eventual()
    found = assert_race_free(
        visit,
        visit,
        ns=kv,
        locations=["lhr", "syd"],
        invariant=lambda kv: len(kv.keys("visit:")) == 2,
    )
    assert found.ok


# -- the reduction --------------------------------------------------------------------------


def test_calls_on_unrelated_keys_are_not_reordered() -> None:
    async def touch(kv: KVNamespace, key: str) -> None:
        await kv.get(key)
        await kv.put(key, "x")
        await kv.delete(key)

    kv = KVNamespace()
    a, b = functools.partial(touch, key="a"), functools.partial(touch, key="b")
    assert explore_races(a, b, ns=kv).schedules == 1
    assert explore_races(a, a, ns=kv).schedules > 1


def test_reads_of_one_key_are_not_reordered_but_reads_at_one_eventual_location_are() -> None:
    async def read_twice(kv: KVNamespace) -> None:
        await kv.get("counter")
        await kv.getWithMetadata("counter")

    assert explore_races(read_twice, read_twice, ns=KVNamespace()).schedules == 1
    kv = _eventual()
    apart = explore_races(read_twice, read_twice, ns=kv, locations=["lhr", "syd"], advance=[])
    assert apart.schedules == 1
    together = explore_races(read_twice, read_twice, ns=kv, advance=[])
    assert together.schedules == 6  # a read fills lhr's cache: order matters there


def test_a_list_is_ordered_against_writes_under_its_prefix_only() -> None:
    async def lister(kv: KVNamespace) -> None:
        await kv.list(prefix="user:")

    async def writer(kv: KVNamespace, key: str) -> None:
        await kv.put(key, "x")

    kv = KVNamespace()
    inside = functools.partial(writer, key="user:1")
    outside = functools.partial(writer, key="job:1")
    assert explore_races(lister, outside, ns=kv).schedules == 1
    assert explore_races(lister, inside, ns=kv).schedules == 2


def test_calls_made_without_suspending_count_for_the_reduction() -> None:
    # [0]'s step after get('a') also writes 'b' through ns.sync: [1]'s read of 'b'
    # must be explored on both sides of it.
    async def writes_b_quietly(kv: KVNamespace) -> None:
        await kv.get("a")
        kv.sync.put("b", "x")

    async def reads_b(kv: KVNamespace) -> None:
        seen = await kv.get("b")
        await kv.put("seen", seen or "nothing")

    found = explore_races(writes_b_quietly, reads_b, ns=KVNamespace())
    assert sorted(o.truth["seen"] for o in found.outcomes) == ["nothing", "x"]


def test_a_bounded_call_log_still_shows_the_calls_made_without_suspending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A namespace may keep only its newest call records (a deque with a maxlen).
    class Bounded(Namespace):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.log = collections.deque(maxlen=2)  # type: ignore[assignment]

    monkeypatch.setattr("pytest_kv.testing.executions.Namespace", Bounded)

    async def writes_b_quietly(kv: KVNamespace) -> None:
        for key in ("a", "c", "d"):
            await kv.get(key)
        kv.sync.put("b", "x")

    async def reads_b(kv: KVNamespace) -> None:
        seen = await kv.get("b")
        await kv.put("seen", seen or "nothing")

    found = explore_races(writes_b_quietly, reads_b, ns=KVNamespace())
    assert sorted(o.truth["seen"] for o in found.outcomes) == ["nothing", "x"]


def test_injected_failures_make_every_order_count() -> None:
    kv = KVNamespace()
    kv.fail_next("put")
    found = explore_races(
        functools.partial(count_request, request="a"),
        functools.partial(count_request, request="b"),
        ns=kv,
    )
    assert found.schedules == 2
    assert sorted(failure.invocation for failure in found.failures) == [0, 1]  # type: ignore[type-var]
    assert kv.sync.get("x") is None  # the rule is still there for the test itself
    with pytest.raises(Exception, match="500"):
        kv.sync.put("x", "1")


# -- bounds, randomness, determinism --------------------------------------------------------


def test_beyond_the_bound_random_schedules_from_the_seed() -> None:
    kv = KVNamespace()
    invocations = (increment, increment, increment)
    found = explore_races(*invocations, ns=kv, max_schedules=5, random_schedules=7, seed=3)
    assert (found.schedules, found.random, found.exhaustive) == (12, 7, False)
    assert "5 schedules systematically (max_schedules=5 was reached" in found.report
    assert "then 7 random ones (seed=3)" in found.report
    again = explore_races(*invocations, ns=kv, max_schedules=5, random_schedules=7, seed=3)
    assert again.report == found.report
    assert [o.schedule for o in again.outcomes] == [o.schedule for o in found.outcomes]
    full = explore_races(*invocations, ns=kv)
    assert full.exhaustive
    assert sorted(o.truth["counter"] for o in full.outcomes) == ["1", "2", "3"]


def test_the_same_arguments_give_the_same_report() -> None:
    def run() -> str:
        kv = _eventual()
        return explore_races(
            increment,
            increment,
            increment,
            ns=kv,
            locations=["lhr", "syd", None],
            invariant=counted_twice,
        ).report

    assert run() == run()


def test_the_clock_moves_the_explorer_may_insert_show_in_the_timeline() -> None:
    async def log_in(kv: KVNamespace) -> None:
        await kv.put("session", "ada", expirationTtl=60)

    async def check(kv: KVNamespace) -> str:
        return "in" if await kv.get("session") else "out"

    kv = KVNamespace(clock=lambda: 1_000.0)
    found = explore_races(
        log_in, check, ns=kv, advance=[60], invariant=lambda kv, results: results[1] == "in"
    )
    schedules = {failure.schedule for failure in found.failures}
    assert "1 0" in schedules  # checked before the log-in
    assert "0 +60s 1" in schedules  # the session ran out before the check
    report = next(f.report for f in found.failures if f.schedule == "0 +60s 1")
    assert "(clock)" in report
    assert "clock +60s" in report
    assert kv._now() == 1_000.0  # the test's own clock never moved


# -- from async tests ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_it_runs_inside_an_async_test_without_an_event_loop_of_its_own() -> None:
    kv = KVNamespace()
    found = explore_races(increment, increment, ns=kv, invariant=counted_twice)
    assert (found.schedules, found.failed) == (4, 2)
    await kv.put("after", "1")  # the test's own loop still works
    assert kv.peek("after") is not None


def test_an_async_invariant_is_stepped_to_its_end() -> None:
    async def counted(kv: KVNamespace) -> bool:
        return await kv.get("counter") == "2"

    found = explore_races(increment, increment, ns=KVNamespace(), invariant=counted)
    assert found.failed == 2
    assert "the invariant returned False" in found.failures[0].report


# -- what it cannot drive ------------------------------------------------------------------


def test_awaiting_anything_but_the_namespace_is_a_clear_error() -> None:
    async def sleepy(kv: KVNamespace) -> None:
        await kv.get("k")
        await asyncio.sleep(0)

    with pytest.raises(
        RuntimeError, match=r"awaited a bare yield \(asyncio.sleep\(0\)\?\), which is not a KV call"
    ):
        explore_races(sleepy, sleepy, ns=KVNamespace())


@pytest.mark.anyio
async def test_awaiting_real_io_inside_an_async_test_is_a_clear_error(anyio_backend: str) -> None:
    async def real_io(kv: KVNamespace) -> None:
        if anyio_backend == "trio":
            await trio.sleep(1)
        else:
            await asyncio.sleep(1)

    with pytest.raises(RuntimeError, match=r"not a KV call\. The race explorer runs"):
        explore_races(real_io, ns=KVNamespace())


def test_a_namespace_captured_from_the_test_is_a_clear_error() -> None:
    kv = KVNamespace()

    async def uses_the_test_namespace(_: KVNamespace) -> None:
        await kv.get("k")

    with pytest.raises(RuntimeError, match="not on the namespace it was given"):
        explore_races(uses_the_test_namespace, ns=kv)


def test_a_rest_call_inside_an_invocation_is_a_clear_error() -> None:
    api = KVApi()
    kv = api.factory("KV")

    async def over_rest(_: KVNamespace) -> None:
        async with httpx.AsyncClient(transport=api.transport()) as client:
            await client.get(
                f"https://api.cloudflare.com/client/v4/accounts/{api.account_id}/storage/kv/namespaces/{kv.id}/values/k"
            )

    with pytest.raises(RuntimeError, match=r"called GET\(\) on the REST API"):
        explore_races(over_rest, ns=kv)


def test_an_invocation_that_does_not_repeat_itself_is_a_clear_error() -> None:
    calls = iter(range(100))

    async def moody(kv: KVNamespace) -> None:
        for _ in range(1 + next(calls)):
            await kv.put("k", "v")

    with pytest.raises(RuntimeError, match="did not repeat themselves"):
        explore_races(moody, moody, ns=KVNamespace())


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("invocations", "options", "error", "message"),
    [
        ((), {}, TypeError, "give the invocations to run"),
        ((42,), {}, TypeError, r"invocation \[0\] must be an async function"),
        (
            (lambda: None,),
            {},
            TypeError,
            "must take the namespace as its one argument, but it takes 0",
        ),
        ((increment,), {"ns": "KV"}, TypeError, "expected a KVNamespace"),
        ((increment,), {"invariant": 3}, TypeError, "invariant must be a function"),
        ((increment,), {"invariant": lambda a, b, c: None}, TypeError, r"takes 3 arguments"),
        ((increment,), {"locations": "lhr"}, TypeError, "one location per invocation"),
        (
            (increment,),
            {"locations": ["local", "local"]},
            ValueError,
            "2 entries for 1 invocations",
        ),
        ((increment,), {"locations": ["mars"]}, ValueError, "unknown location 'mars'"),
        ((increment,), {"advance": 60}, TypeError, "advance must be a list"),
        ((increment,), {"advance": ["settle"]}, ValueError, "needs consistency='eventual'"),
        ((increment,), {"advance": [-1]}, ValueError, "a clock move must be a number of seconds"),
        ((increment,), {"advance": ["soon"]}, ValueError, "seconds or 'settle', got 'soon'"),
        (
            (increment,),
            {"max_schedules": 0},
            ValueError,
            "max_schedules must be a whole number >= 1",
        ),
        ((increment,), {"random_schedules": 1.5}, ValueError, "random_schedules"),
        ((increment,), {"seed": "x"}, TypeError, "seed must be an int"),
        (
            (increment,),
            {"schedule": 0},
            TypeError,
            "schedule must be the string a failure report prints",
        ),
        ((increment,), {"schedule": "0 x"}, ValueError, "step 2 is 'x'"),
        ((increment,), {"schedule": "1 0"}, ValueError, r"there is no invocation \[1\]"),
        (
            (increment,),
            {"schedule": "0"},
            ValueError,
            r"ends after 1 steps, but \[0\] increment waits on put\('counter'\)",
        ),
        (
            (increment,),
            {"schedule": "0 0 0"},
            ValueError,
            r"step 3: invocation \[0\] increment has already finished",
        ),
        ((increment,), {"schedule": "0 0 +5s"}, ValueError, "every invocation has finished"),
    ],
)
def test_bad_input_is_a_clear_error(
    invocations: tuple[Any, ...], options: dict[str, Any], error: type[Exception], message: str
) -> None:
    options.setdefault("ns", KVNamespace())
    with pytest.raises(error, match=message):
        explore_races(*invocations, **options)


def test_a_coroutine_instead_of_a_function_is_a_clear_error() -> None:
    kv = KVNamespace()
    with pytest.raises(
        TypeError, match=r"pass the function itself \(increment, not increment\(kv\)\)"
    ):
        explore_races(increment(kv), ns=kv)  # type: ignore[arg-type]


def test_a_function_that_returns_no_coroutine_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"returned 3, not a coroutine"):
        explore_races(lambda kv: 3, ns=KVNamespace())


def test_the_result_says_what_it_found() -> None:
    found = explore_races(increment, increment, ns=KVNamespace(), invariant=counted_twice)
    assert isinstance(found, RaceResult)
    assert str(found) == found.report
    assert found.seed == 0
    assert sorted((o.truth["counter"], o.schedules) for o in found.outcomes) == [("1", 2), ("2", 2)]


def test_the_sync_facade_is_accepted_as_the_namespace() -> None:
    kv = KVNamespace()
    assert explore_races(increment, ns=kv.sync).schedules == 1  # type: ignore[arg-type]


def test_it_cannot_run_inside_one_of_its_invocations() -> None:
    async def nested(kv: KVNamespace) -> None:
        explore_races(increment, ns=kv)

    found = explore_races(nested, ns=KVNamespace())
    assert "cannot run inside an invocation it explores" in found.failures[0].report


def test_trio_test_can_explore_too() -> None:
    async def main() -> RaceResult:
        return explore_races(increment, increment, ns=KVNamespace(), invariant=counted_twice)

    assert trio.run(main).failed == 2
