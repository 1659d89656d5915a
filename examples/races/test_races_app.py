"""The race explorer on the app's handlers: it finds the races, replays them, and
passes the designs that are safe."""

from __future__ import annotations

import functools
import json

import pytest
from races_app import (
    add_to_cart,
    count_visit,
    record_visit,
    sign_up,
    total_visits,
    verify_email,
)

from pytest_kv import KVNamespace, assert_race_free, explore_races


def counted_twice(kv: KVNamespace) -> None:
    assert kv.peek("visits").text == "2"  # type: ignore[union-attr]


def test_two_visits_at_once_lose_one(kv: KVNamespace) -> None:
    with pytest.raises(AssertionError, match=r'schedule="0 1 0 1"'):
        assert_race_free(count_visit, count_visit, ns=kv, invariant=counted_twice)


def test_the_lost_visit_replays_exactly(kv: KVNamespace) -> None:
    # A regression test pins the interleaving that broke, so a fix can be checked.
    with pytest.raises(AssertionError, match="overwrites"):
        assert_race_free(
            count_visit, count_visit, ns=kv, invariant=counted_twice, schedule="0 1 0 1"
        )
    # One after the other, the counter is right.
    assert_race_free(count_visit, count_visit, ns=kv, invariant=counted_twice, schedule="0 0 1 1")


def test_two_sign_ups_can_both_claim_a_free_username(kv: KVNamespace) -> None:
    ada = functools.partial(sign_up, username="ada", user_id="user-1")
    also_ada = functools.partial(sign_up, username="ada", user_id="user-2")

    def one_winner(kv: KVNamespace, results: tuple[bool, ...]) -> None:
        assert results.count(True) == 1, "both sign-ups were told the name was theirs"

    found = explore_races(ada, also_ada, ns=kv, invariant=one_winner)
    assert not found.ok
    assert found.failures[0].results == (True, True)
    # When the first sign-up is done before the second starts, only one wins.
    assert assert_race_free(ada, also_ada, ns=kv, invariant=one_winner, schedule="0 0 1").ok


@pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"])
def test_two_tabs_in_two_regions_lose_an_item(kv: KVNamespace) -> None:
    kv.seed({"cart:ada": "[]"})
    book = functools.partial(add_to_cart, item="book")
    lamp = functools.partial(add_to_cart, item="lamp")

    def both_items(kv: KVNamespace) -> None:
        assert sorted(json.loads(kv.peek("cart:ada").text)) == ["book", "lamp"]  # type: ignore[union-attr]

    found = explore_races(book, lamp, ns=kv, locations=["lhr", "syd"], invariant=both_items)
    # Even one tab after the other: syd reads before lhr's write has arrived.
    assert found.failures[0].schedule == "0 0 1 1"
    assert "stale" in found.failures[0].report
    # Only with the clock moved past propagation between the two does the cart keep both.
    kept = [o for o in found.outcomes if len(json.loads(o.truth["cart:ada"])) == 2]
    assert [o.schedule for o in kept] == ["0 0 +60s 1 1", "1 1 +60s 0 0"]


def test_one_key_per_visit_loses_nothing(kv: KVNamespace) -> None:
    visits = [functools.partial(record_visit, request_id=f"r{n}") for n in range(3)]

    async def three(kv: KVNamespace) -> bool:
        return await total_visits(kv) == 3

    found = assert_race_free(*visits, ns=kv, invariant=three)
    assert found.schedules == 1  # unrelated keys: no order to explore


@pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"])
def test_an_idempotent_write_is_safe_anywhere(kv: KVNamespace) -> None:
    verify = functools.partial(verify_email, user_id="ada")
    assert_race_free(
        verify,
        verify,
        ns=kv,
        locations=["lhr", "syd"],
        invariant=lambda kv: kv.peek("verified:ada").text == "yes",  # type: ignore[union-attr]
    )
