"""Listing and expiry helpers, and the buggy code each of them catches."""

from __future__ import annotations

from typing import Any

import pytest
from testing_support import ManualClock

from pytest_kv import (
    KVNamespace,
    assert_expired,
    assert_expires,
    assert_keys,
    assert_live,
    assert_paginates,
    assert_pagination,
    expiration_of,
    list_all,
)
from pytest_kv.testing.listing import page_problems

pytestmark = pytest.mark.filterwarnings("error")

USERS = [f"user:{i:02}" for i in range(12)]


@pytest.fixture
def users(ns: KVNamespace) -> KVNamespace:
    ns.seed(dict.fromkeys(USERS, "v"))
    ns.seed({"other:1": "v", "zz": "v"})
    return ns


# -- listing functions as users write them ---------------------------------------------


def correct(kv: KVNamespace) -> list[str]:
    names, cursor = [], None
    while True:
        page = kv.sync.list(prefix="user:", cursor=cursor)
        names += [key["name"] for key in page["keys"]]
        if page["list_complete"]:
            return names
        cursor = page["cursor"]


async def correct_async(kv: KVNamespace) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await kv.list(prefix="user:", cursor=cursor)
        keys += page["keys"]
        if page["list_complete"]:
            return keys
        cursor = page["cursor"]


def stops_on_empty_page(kv: KVNamespace) -> list[str]:
    names, cursor = [], None
    while True:
        page = kv.sync.list(prefix="user:", cursor=cursor)
        if not page["keys"]:
            return names
        names += [key["name"] for key in page["keys"]]
        if page["list_complete"]:
            return names
        cursor = page["cursor"]


def ignores_cursor(kv: KVNamespace) -> list[str]:
    names: list[str] = []
    while True:
        page = kv.sync.list(prefix="user:")
        names += [key["name"] for key in page["keys"]]
        if page["list_complete"]:
            return names


def drops_prefix_on_page_two(kv: KVNamespace) -> list[str]:
    names, cursor = [], None
    while True:
        page = kv.sync.list(prefix=None if cursor else "user:", cursor=cursor)
        names += [key["name"] for key in page["keys"]]
        if page["list_complete"]:
            return names
        cursor = page["cursor"]


def stops_on_short_page(kv: KVNamespace) -> list[str]:
    names, cursor = [], None
    while True:
        page = kv.sync.list(prefix="user:", cursor=cursor, limit=5)
        names += [key["name"] for key in page["keys"]]
        if len(page["keys"]) < 5 or page["list_complete"]:
            return names
        cursor = page["cursor"]


# -- list_all, assert_keys, assert_pagination ----------------------------------------------


def test_list_all_walks_every_page(users: KVNamespace) -> None:
    assert list_all(users, "user:", limit=5) == USERS
    assert list_all(users) == ["other:1", *USERS, "zz"]


def test_list_all_sees_what_the_location_sees(clock: ManualClock) -> None:
    kv = KVNamespace(clock=clock, consistency="eventual", locations=("a", "b"))
    kv.sync.put("k", "v")
    assert list_all(kv.at("b")) == []
    clock.advance(60)
    assert list_all(kv.at("b")) == ["k"]


def test_assert_keys(users: KVNamespace) -> None:
    assert_keys(users, USERS, prefix="user:")
    with pytest.raises(AssertionError) as info:
        assert_keys(users, [*USERS[1:], "user:99"], prefix="user:")
    message = str(info.value)
    assert "the live keys under prefix 'user:' differ" in message
    assert "missing (1): ['user:99']" in message
    assert "unexpected (1): ['user:00']" in message


def test_assert_pagination_passes_for_production_pages(users: KVNamespace) -> None:
    for limit in (1, 2, 5, 1000):
        assert_pagination(users, limit=limit)
        assert_pagination(users, prefix="user:", limit=limit)


def test_assert_pagination_catches_a_broken_listing() -> None:
    # A page that breaks every rule: too long, unsorted, repeated, no cursor.
    broken = [{"keys": [{"name": "b"}, {"name": "a"}, {"name": "a"}], "list_complete": False}]
    message = "\n".join(page_problems(broken, 2, ["a", "b", "c"]))
    assert "page 1 has 3 keys, more than limit=2" in message
    assert "page 1: list_complete is False but cursor is missing" in message
    assert "the names are not in UTF-8 byte order across pages" in message
    assert "names returned more than once: ['a']" in message
    assert "live keys never listed: ['c']" in message


# -- assert_paginates -------------------------------------------------------------------------


def test_a_correct_loop_passes_every_shape(users: KVNamespace) -> None:
    assert_paginates(correct, users, prefix="user:")
    assert_paginates(correct_async, users, prefix="user:")
    assert_paginates(lambda: correct(users), users, expected=USERS)


@pytest.mark.anyio
async def test_usable_from_async_tests(users: KVNamespace) -> None:
    assert_paginates(correct_async, users, prefix="user:")
    with pytest.raises(AssertionError):
        assert_paginates(stops_on_empty_page, users, prefix="user:")


def test_catches_a_loop_that_stops_on_an_empty_page(users: KVNamespace) -> None:
    with pytest.raises(AssertionError) as info:
        assert_paginates(stops_on_empty_page, users, prefix="user:")
    message = str(info.value)
    assert "stops_on_empty_page fails under 2 of 5 page shapes" in message
    assert "an empty page first: returned 0 of 12 keys" in message
    assert "it probably stops when a page's keys are empty" in message


def test_catches_a_loop_that_ignores_the_cursor(users: KVNamespace) -> None:
    with pytest.raises(AssertionError) as info:
        assert_paginates(ignores_cursor, users, prefix="user:")
    message = str(info.value)
    assert "one key a page: list() was called" in message
    assert "probably ignores the cursor" in message


def test_catches_a_loop_that_drops_the_prefix(users: KVNamespace) -> None:
    with pytest.raises(AssertionError) as info:
        assert_paginates(drops_prefix_on_page_two, users, prefix="user:")
    message = str(info.value)
    assert "one key a page: returned 12 of 12 keys, unexpected ['zz']" in message
    assert "pass the same prefix with every cursor" in message


def test_catches_a_loop_that_stops_on_a_short_page(users: KVNamespace) -> None:
    with pytest.raises(AssertionError) as info:
        assert_paginates(stops_on_short_page, users, prefix="user:")
    message = str(info.value)
    assert "one key a page: returned 1 of 12 keys" in message
    assert "stops when a page is smaller than `limit`" in message


def test_the_namespace_is_left_as_it_was(users: KVNamespace) -> None:
    with pytest.raises(AssertionError):
        assert_paginates(ignores_cursor, users, prefix="user:")
    assert len(users.sync.list()["keys"]) == 14  # no shape, no call budget left behind
    for _ in range(200):
        users.sync.list()


def test_results_must_be_key_names(users: KVNamespace) -> None:
    with pytest.raises(TypeError, match="must return key names"):
        assert_paginates(lambda kv: 5, users)


# -- expiry -----------------------------------------------------------------------------------


def test_expiration_of(ns: KVNamespace) -> None:
    ns.sync.put("session", "v", expirationTtl=3600)
    ns.sync.put("forever", "v")
    assert expiration_of(ns, "session") == 1000 + 3600
    assert expiration_of(ns, "forever") is None
    with pytest.raises(AssertionError, match="'missing' is not a live key"):
        expiration_of(ns, "missing")


def test_assert_expires_with_ttl_and_at(ns: KVNamespace, clock: ManualClock) -> None:
    ns.sync.put("session", "v", expirationTtl=3600)
    assert_expires(ns, "session", ttl=3600)
    assert_expires(ns, "session", at=4600, ttl=3600)
    clock.advance(100.5)
    assert_expires(ns, "session", ttl=3500)  # 3499.5 s left rounds up to 3500


def test_assert_expires_catches_an_off_by_one_ttl(ns: KVNamespace, clock: ManualClock) -> None:
    ns.sync.put("session", "v", expirationTtl=3599)
    with pytest.raises(AssertionError) as info:
        assert_expires(ns, "session", ttl=3600)
    assert str(info.value) == (
        "assert_expires: 'session' expires in 3599 s (at 4599), not in 3600 s (-1 s); "
        "check the TTL your code passes"
    )
    with pytest.raises(AssertionError, match=r"expires at 4599, not 4600 \(-1 s\)"):
        assert_expires(ns, "session", at=4600)


def test_assert_expires_on_keys_that_never_expire(ns: KVNamespace) -> None:
    ns.sync.put("k", "v")
    with pytest.raises(AssertionError, match="'k' never expires"):
        assert_expires(ns, "k")


def test_assert_live_and_expired(ns: KVNamespace, clock: ManualClock) -> None:
    ns.sync.put("session", "v", expirationTtl=60)
    assert_live(ns, "session")
    with pytest.raises(
        AssertionError, match="'session' is still live; it expires at 1060, in 60 s"
    ):
        assert_expired(ns, "session")
    clock.advance(60)
    assert_expired(ns, "session")
    with pytest.raises(AssertionError, match="not a live key"):
        assert_live(ns, "session")
    ns.sync.put("forever", "v")
    with pytest.raises(AssertionError, match="it never expires"):
        assert_expired(ns, "forever")


def test_expiry_helpers_leave_caches_untouched(clock: ManualClock) -> None:
    kv = KVNamespace(clock=clock, consistency="eventual", locations=("a", "b"))
    kv.sync.put("k", "v", expirationTtl=120)
    assert_live(kv, "k")
    assert_expires(kv, "k", ttl=120)
    assert expiration_of(kv, "k") == 1120
    assert kv.history("k")[-1].action == "put"  # no reads were made
