"""Eventual consistency, scenario by scenario: write in one place, read in another,
advance the clock, read again."""

from __future__ import annotations

from typing import Any

import pytest
from testing_support import MovableClock

from pytest_kv import (
    AfterReads,
    Fixed,
    KVNamespace,
    PerLocation,
    RandomDelay,
    assert_consistent,
    assert_eventually,
)


def eventual(clock: MovableClock, **options: Any) -> KVNamespace:
    options.setdefault("locations", ("lhr", "syd", "iad"))
    return KVNamespace("KV", clock=clock, consistency="eventual", **options)


def test_a_write_reaches_other_locations_after_60_seconds(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock)
    kv.sync.put("flag", "on")
    assert kv.sync.get("flag") == "on"  # visible where it was written, at once
    assert kv.at("lhr") is kv
    syd = kv.at("syd")
    edge_clock.advance(59.999)
    assert syd.sync.get("flag", cacheTtl=30) is None
    edge_clock.advance(30)  # the cached miss runs out at +89.999
    assert syd.sync.get("flag") == "on"


def test_misses_are_cached_for_the_reads_cache_ttl(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=1)
    syd = kv.at("syd")
    assert syd.sync.get("user:1") is None  # caches the miss for 60 s
    kv.sync.put("user:1", "ada")
    edge_clock.advance(59)
    assert syd.sync.get("user:1") is None  # however new the truth
    edge_clock.advance(1)
    assert syd.sync.get("user:1") == "ada"


def test_values_are_cached_for_the_reads_cache_ttl(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=0)
    kv.sync.put("config", "v1")
    syd = kv.at("syd")
    assert syd.sync.get("config", cacheTtl=300) == "v1"
    kv.sync.put("config", "v2")
    edge_clock.advance(299)
    assert syd.sync.get("config") == "v1"
    assert syd.sync.get("config", cacheTtl=30) == "v1"  # a shorter TTL does not shorten it
    edge_clock.advance(1)
    assert syd.sync.get("config") == "v2"


def test_cache_status_says_hit_or_miss(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock)
    kv.sync.put("k", "v")
    syd = kv.at("syd")
    assert kv.sync.getWithMetadata("k").cacheStatus == "HIT"  # the write refreshed lhr
    assert syd.sync.getWithMetadata("k") == {"value": None, "metadata": None, "cacheStatus": "MISS"}
    assert syd.sync.getWithMetadata("k").cacheStatus == "HIT"
    strong = KVNamespace(clock=edge_clock)
    strong.sync.put("k", "v")
    assert strong.sync.getWithMetadata("k").cacheStatus is None


def test_a_write_refreshes_the_writers_cache(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock)
    syd = kv.at("syd")
    assert syd.sync.get("k") is None  # a cached miss at syd
    syd.sync.put("k", "from syd")
    assert syd.sync.get("k") == "from syd"
    assert kv.sync.get("k") is None


def test_an_expired_key_is_never_served_from_a_cache(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=0)
    kv.sync.put("session", "alice", expirationTtl=60)
    syd = kv.at("syd")
    assert syd.sync.get("session", cacheTtl=3600) == "alice"
    edge_clock.advance(60)
    assert syd.sync.getWithMetadata("session") == {
        "value": None,
        "metadata": None,
        "cacheStatus": "HIT",
    }


def test_bulk_reads_share_the_per_key_cache(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=10)
    syd = kv.at("syd")
    assert syd.sync.get("a") is None  # cached miss for "a" only
    kv.sync.put("a", "1")
    kv.sync.put("b", "2")
    edge_clock.advance(10)
    assert syd.sync.get(["a", "b"]) == {"a": None, "b": "2"}
    edge_clock.advance(50)
    assert syd.sync.getWithMetadata(["a", "b"]) == {
        "a": {"value": "1", "metadata": None},
        "b": {"value": "2", "metadata": None},
    }


def test_deletes_propagate_like_writes(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=30, cache_ttl=0)
    kv.seed({"k": "v"})
    kv.sync.delete("k")
    assert kv.sync.get("k") is None
    assert kv.at("syd").sync.get("k") == "v"
    edge_clock.advance(30)
    assert kv.at("syd").sync.get("k") is None


def test_last_write_wins_by_write_time(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=PerLocation({"lhr": 50, "syd": 5, "iad": 5}))
    lhr, syd = kv, kv.at("syd")
    syd.sync.put("k", "syd first")
    edge_clock.advance(1)
    lhr.sync.put("k", "lhr second")
    assert kv.peek("k").text == "lhr second"  # type: ignore[union-attr]
    edge_clock.advance(60)
    assert kv.at("iad").sync.get("k") == "lhr second"
    assert kv.settle() >= 0
    assert syd.sync.get("k") == "lhr second"
    assert lhr.sync.get("k") == "lhr second"


def test_reads_never_go_back_at_one_location(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation={"iad": 100, "*": 10}, cache_ttl=0)
    iad = kv.at("iad")
    kv.sync.put("k", "1")
    edge_clock.advance(100)
    assert iad.sync.get("k") == "1"
    kv.at("syd").sync.put("k", "2")  # reaches iad at +100 from now
    edge_clock.advance(50)
    assert iad.sync.get("k") == "1"
    edge_clock.advance(50)
    assert iad.sync.get("k") == "2"


@pytest.mark.parametrize(
    ("propagation", "syd_after"),
    [
        (5, 5),
        (Fixed(7), 7),
        ({"syd": 3, "*": 90}, 3),
        (PerLocation({"syd": 12}, default=1), 12),
        (lambda key, origin, destination: len(destination) * 4, 12),
    ],
    ids=["number", "Fixed", "mapping", "PerLocation", "callable"],
)
def test_delay_models(edge_clock: MovableClock, propagation: Any, syd_after: float) -> None:
    kv = eventual(edge_clock, propagation=propagation, cache_ttl=0)
    kv.sync.put("k", "v")
    edge_clock.advance(syd_after - 0.001)
    assert kv.at("syd").sync.get("k") is None
    edge_clock.advance(0.001)
    assert kv.at("syd").sync.get("k") == "v"


def test_callable_sees_key_origin_and_destination(edge_clock: MovableClock) -> None:
    calls: list[tuple[str, str, str]] = []

    def delay(key: str, origin: str, destination: str) -> float:
        calls.append((key, origin, destination))
        return 1

    kv = eventual(edge_clock, propagation=delay, cache_ttl=0)
    kv.at("syd").sync.put("k", "v")
    edge_clock.advance(1)
    assert kv.at("iad").sync.get("k") == "v"
    assert ("k", "syd", "iad") in calls


def test_after_reads(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=AfterReads(2), cache_ttl=0)
    kv.sync.put("k", "v")
    syd = kv.at("syd")
    edge_clock.advance(10_000)  # time alone does nothing
    assert [syd.sync.get("k") for _ in range(3)] == [None, None, "v"]
    with pytest.raises(RuntimeError, match="AfterReads"):
        kv.settle()


def test_random_delay_is_repeatable_from_its_seed(edge_clock: MovableClock) -> None:
    model = RandomDelay(1, 60, seed=7)
    delays = [model.delay("k", "lhr", "syd", n) for n in range(20)]
    assert delays == [RandomDelay(1, 60, seed=7).delay("k", "lhr", "syd", n) for n in range(20)]
    assert all(1 <= delay <= 60 for delay in delays)
    assert len(set(delays)) > 1
    assert delays != [RandomDelay(1, 60, seed=8).delay("k", "lhr", "syd", n) for n in range(20)]


def test_seeding_is_visible_everywhere_at_once(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock)
    syd = kv.at("syd")
    assert syd.sync.get("flag") is None  # a cached miss...
    kv.seed({"flag": "on"})  # ...that the god view overrides
    assert syd.sync.get("flag") == "on"
    assert [k["name"] for k in syd.sync.list()["keys"]] == ["flag"]
    assert_consistent(kv)


def test_list_lags_everywhere_including_the_writer(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, list_lag=60, propagation=1)
    kv.sync.put("a", "1")
    assert kv.sync.list()["keys"] == []
    assert kv.keys() == ["a"]  # the truth has it at once
    edge_clock.advance(60)
    assert [k["name"] for k in kv.sync.list()["keys"]] == ["a"]
    assert [k["name"] for k in kv.at("syd").sync.list()["keys"]] == ["a"]
    kv.sync.delete("a")
    assert [k["name"] for k in kv.sync.list()["keys"]] == ["a"]
    edge_clock.advance(60)
    assert kv.sync.list()["keys"] == []


def test_list_never_shows_expired_keys(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, list_lag=60)
    kv.seed({"k": "v"}, expirationTtl=30)
    assert [k["name"] for k in kv.sync.list()["keys"]] == ["k"]
    edge_clock.advance(30)
    assert kv.sync.list()["keys"] == []


def test_plant_a_stale_value(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock)
    kv.seed({"config": '{"v": 2}'})
    syd = kv.at("syd")
    syd.plant_stale("config", '{"v": 1}', seconds=30)
    assert syd.sync.get("config", "json") == {"v": 1}
    assert kv.sync.get("config", "json") == {"v": 2}
    edge_clock.advance(30)
    assert syd.sync.get("config", "json") == {"v": 2}


def test_plant_a_cached_miss(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock)
    kv.seed({"user:1": "ada"})
    kv.at("iad").plant_miss("user:1", seconds=45)
    assert kv.at("iad").sync.getWithMetadata("user:1")["value"] is None
    assert kv.settle() == 45
    assert kv.at("iad").sync.get("user:1") == "ada"


def test_planting_needs_eventual_consistency(edge_clock: MovableClock) -> None:
    with pytest.raises(RuntimeError, match="needs consistency='eventual'"):
        KVNamespace(clock=edge_clock).plant_miss("k")
    with pytest.raises(ValueError, match="more than 0"):
        eventual(edge_clock).plant_miss("k", seconds=0)


def test_settle_returns_how_far_it_moved(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=PerLocation({"syd": 90}, default=20), list_lag=30)
    assert kv.settle() == 0
    kv.sync.put("k", "v")
    assert kv.settle() == 90
    assert edge_clock.now() == 1090
    assert all(kv.at(loc).sync.get("k") == "v" for loc in kv.locations)
    assert all(kv.at(loc).sync.list()["keys"] == [{"name": "k"}] for loc in kv.locations)
    assert KVNamespace(clock=edge_clock).settle() == 0


def test_settle_waits_out_stale_caches(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=5)
    kv.sync.put("k", "v1")
    edge_clock.advance(5)
    kv.at("syd").sync.get("k", cacheTtl=600)
    kv.sync.put("k", "v2")
    assert kv.settle() == 600
    assert kv.at("syd").sync.get("k") == "v2"


def test_settle_needs_a_clock_it_can_move() -> None:
    kv = KVNamespace(consistency="eventual", locations=("a", "b"), clock=lambda: 1000.0)
    kv.sync.put("k", "v")
    with pytest.raises(RuntimeError, match="cannot be moved"):
        kv.settle()


def test_assert_consistent(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock)
    kv.sync.put("flag", "on")
    with pytest.raises(AssertionError) as info:
        assert_consistent(kv)
    message = str(info.value)
    assert "'flag' at syd: reads (missing), the truth is 'on'" in message
    assert "list() leaves out 'flag', the truth is 'on'" in message
    assert "settle()" in message
    kv.settle()
    assert_consistent(kv)


def test_assert_eventually_jumps_to_each_change(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation={"syd": 20, "iad": 45, "*": 0})
    kv.sync.put("flag", "on")
    assert assert_eventually(kv, "flag", "on", within=60) == 45
    assert edge_clock.now() == 1045
    assert assert_eventually(kv, "flag", "on") == 0


def test_assert_eventually_reports_a_timeline(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=30)
    syd = kv.at("syd")
    syd.sync.get("flag", cacheTtl=300)  # a cached miss that outlives the deadline
    kv.sync.put("flag", "on")
    with pytest.raises(AssertionError) as info:
        assert_eventually(kv, "flag", "on", within=120, locations=["lhr", "syd", "iad"])
    message = str(info.value)
    assert "not every location read 'on' for 'flag' within 120 s" in message
    assert "lhr  +0s 'on'" in message
    assert "syd  +0s (missing)" in message
    assert "iad  +0s (missing), +30s 'on'" in message
    assert "The next change comes at +300s" in message
    assert edge_clock.now() == 1120  # it waited the whole time


def test_assert_eventually_compares_json_bytes_and_misses(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, propagation=1)
    kv.sync.put("doc", '{"a": [1]}')
    assert_eventually(kv, "doc", {"a": [1]}, within=5)
    assert_eventually(kv, "doc", b'{"a": [1]}', within=5)
    kv.sync.delete("doc")
    assert_eventually(kv, "doc", None, within=5)


def test_assert_eventually_under_strong_consistency(edge_clock: MovableClock) -> None:
    kv = KVNamespace(clock=edge_clock, locations=("a", "b"))
    kv.sync.put("k", "v")
    assert assert_eventually(kv, "k", "v") == 0
    with pytest.raises(AssertionError, match="Nothing more will change"):
        assert_eventually(kv, "k", "w")


def test_history_shows_what_each_location_saw(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock)
    kv.at("syd").sync.get("flag")
    kv.sync.put("flag", "on")
    kv.at("syd").sync.get("flag")
    events = [(e.location, e.action, e.value, e.cache) for e in kv.history("flag")]
    assert events == [
        ("syd", "read", None, "MISS"),
        ("lhr", "put", b"on", None),
        ("syd", "read", None, "HIT"),
    ]
    assert KVNamespace().history("flag") == []


def test_history_keeps_the_newest_events_whole_within_the_log_limit(
    edge_clock: MovableClock,
) -> None:
    kv = eventual(edge_clock, log_limit=3)
    big = "x" * 5000
    kv.sync.put("a", "1")
    kv.sync.put("flag", big)
    for value in ("2", "3"):
        edge_clock.advance(1)
        kv.sync.put("a", value)
    kv.sync.get("flag")  # the fourth event after the first: "a" = "1" is gone
    assert [(e.action, e.value, e.size) for e in kv.history("a")] == [
        ("put", b"2", 1),
        ("put", b"3", 1),
    ]
    [read] = kv.history("flag")  # its put went with the limit; the read stays, whole
    assert (read.location, read.action, read.cache) == ("lhr", "read", "HIT")  # its own write
    assert (read.value, read.size) == (b"x" * 4096, 5000)


def test_unknown_location_names_the_known_ones(edge_clock: MovableClock) -> None:
    with pytest.raises(ValueError, match="unknown location") as info:
        eventual(edge_clock).at("ams")
    assert str(info.value) == (
        "unknown location 'ams'; the locations of namespace 'KV' are: lhr, syd, iad"
    )
    with pytest.raises(ValueError, match="unknown location 'ams'"):
        assert_eventually(eventual(edge_clock), "k", None, locations=["ams"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"propagation": 5}, "propagation need consistency='eventual'"),
        ({"consistency": "eventualy"}, "did you mean 'eventual'"),
        ({"locations": ()}, "locations must be non-empty names"),
        ({"locations": ("a", "a")}, "locations must be distinct"),
        (
            {"consistency": "eventual", "locations": ("a", "b"), "propagation": {"a": 1}},
            "propagation has no delay for 'b'",
        ),
        (
            {"consistency": "eventual", "propagation": {"zz": 1, "*": 1}},
            "propagation names unknown location(s) 'zz'",
        ),
        ({"consistency": "eventual", "cache_ttl": 1.5}, "cache_ttl must be a whole number"),
        ({"consistency": "eventual", "list_lag": -1}, "list_lag must be a number of seconds"),
        ({"consistency": "eventual", "propagation": "soon"}, "propagation must be seconds"),
        ({"consistency": "eventual", "propagation": -5}, "must be a number of seconds from 0 to"),
    ],
)
def test_options_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        KVNamespace(**options)
    assert message in str(info.value)


def test_the_bug_this_catches(edge_clock: MovableClock) -> None:
    """Code that writes at one location and reads back at another sees nothing."""

    async def save_then_redirect(env_here: Any, env_there: Any) -> str | None:
        await env_here.put("cart:1", "3 items")
        return await env_there.get("cart:1")  # the next request lands elsewhere

    import asyncio

    kv = eventual(edge_clock)
    assert asyncio.run(save_then_redirect(kv, kv.at("syd"))) is None
    strong = KVNamespace(clock=edge_clock, locations=("lhr", "syd"))
    assert asyncio.run(save_then_redirect(strong, strong.at("syd"))) == "3 items"


def test_settle_waits_for_writes_still_on_their_way(edge_clock: MovableClock) -> None:
    kv = eventual(edge_clock, cache_ttl=0)
    kv.sync.put("k", "v")
    edge_clock.advance(1)
    kv.sync.delete("k")  # syd sees nothing now, but the put would arrive first
    assert kv.at("syd").sync.get("k") is None
    edge_clock.advance(59)
    assert kv.at("syd").sync.get("k") == "v"  # the window settle() must wait out
    assert kv.settle() == 1
    assert kv.at("syd").sync.get("k") is None
    assert_consistent(kv)


@pytest.mark.parametrize(
    ("propagation", "list_lag", "locations"),
    [
        (60, 10, ("lhr", "syd", "iad")),  # the delay to the other locations is the later
        (1, 60, ("lhr", "syd", "iad")),  # the list lag is
        (0.1, 0.1, ("lhr", "syd")),  # both at once
        (60, 10, ("lhr",)),  # one location: only list() has to catch up
    ],
)
def test_settle_takes_the_later_of_the_delay_and_the_list_lag(
    propagation: float, list_lag: float, locations: tuple[str, ...]
) -> None:
    """A write under a fixed delay settles when the last of the other locations and
    list() have it, to the floating-point sum, at any instant it was made."""
    clock = MovableClock(1_000.3)
    kv = eventual(clock, propagation=Fixed(propagation), list_lag=list_lag, locations=locations)
    kv.sync.put("a", "1")
    clock.advance(0.7)
    written = clock.now()
    kv.sync.put("b", "2")
    expected = written + (max(propagation, list_lag) if len(locations) > 1 else list_lag)
    assert kv.settle() == expected - written
    assert clock.now() == expected
    assert kv.settle() == 0
    for location in locations:
        assert kv.at(location).sync.get("b", cacheTtl=60) == "2"
        assert [k["name"] for k in kv.at(location).sync.list()["keys"]] == ["a", "b"]
