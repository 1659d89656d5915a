"""kv_clock: frozen wall time shared by the fake and the code under test."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import anyio
import pytest

from pytest_kv import KVClock, KVNamespace


def test_freezes_wall_time_at_a_whole_second(kv_clock: KVClock) -> None:
    now = kv_clock.now()
    assert now == int(now)
    assert abs(now - datetime.now(timezone.utc).timestamp()) < 1
    assert time.time() == now
    assert kv_clock.driver == "freezegun"


def test_advance_expires_keys(kv: KVNamespace, kv_clock: KVClock) -> None:
    kv.sync.put("session", "alice", expirationTtl=60)
    kv_clock.advance(59)
    assert kv.sync.get("session") == "alice"
    assert kv_clock.advance(timedelta(seconds=1)) == kv_clock.now()
    assert kv.sync.get("session") is None


def test_application_time_agrees_with_the_fake(kv: KVNamespace, kv_clock: KVClock) -> None:
    expires = int(time.time()) + 120  # what application code computes
    kv.sync.put("k", "v", expiration=expires)
    assert kv.sync.list()["keys"] == [{"name": "k", "expiration": expires}]
    kv_clock.advance(119.5)
    assert kv.sync.get("k") == "v"
    kv_clock.advance(0.5)
    assert kv.sync.get("k") is None


@pytest.mark.parametrize(
    "when",
    [
        datetime(2030, 1, 1, tzinfo=timezone.utc),
        datetime(2030, 1, 1),  # naive means UTC
        datetime(2030, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        "2030-01-01T00:00:00Z",
        "2030-01-01",
        1893456000,
        1893456000.0,
    ],
)
def test_move_to(kv_clock: KVClock, when: object) -> None:
    assert kv_clock.move_to(when) == 1893456000.0  # type: ignore[arg-type]
    assert time.time() == 1893456000.0
    assert datetime.now(timezone.utc) == datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_move_to_rejects_what_is_not_an_instant(kv_clock: KVClock) -> None:
    with pytest.raises(ValueError, match="not an ISO 8601"):
        kv_clock.move_to("next tuesday")
    with pytest.raises(TypeError, match="expected a datetime"):
        kv_clock.move_to(True)


def test_going_back_in_time(kv: KVNamespace, kv_clock: KVClock) -> None:
    start = kv_clock.now()
    kv.sync.put("k", "v", expirationTtl=60)
    kv_clock.advance(-30)
    assert kv_clock.now() == start - 30
    assert kv.sync.get("k") == "v"
    assert kv.peek("k").expiration == int(start) + 60  # type: ignore[union-attr]


def test_repr_names_time_and_driver(kv_clock: KVClock) -> None:
    kv_clock.move_to(0)
    assert repr(kv_clock) == "<KVClock 1970-01-01T00:00:00+00:00 driven by freezegun>"


@pytest.mark.anyio
async def test_async_sleeps_do_not_hang_under_the_frozen_clock(kv_clock: KVClock) -> None:
    frozen = time.time()
    with anyio.fail_after(5):
        await anyio.sleep(0.01)
    assert time.time() == frozen


async def _asyncio_wait() -> float:
    await asyncio.wait_for(asyncio.sleep(0.01), timeout=5)
    return time.time()


def test_plain_asyncio_run_under_the_frozen_clock(kv_clock: KVClock) -> None:
    assert asyncio.run(_asyncio_wait()) == kv_clock.now()


def test_time_machine_fixture_is_driven(
    kv: KVNamespace, kv_clock: KVClock, time_machine: object
) -> None:
    assert kv_clock.driver == "time-machine"
    start = kv_clock.now()
    assert start == int(start)
    kv.sync.put("k", "v", expirationTtl=60)
    kv_clock.advance(60)
    assert time.time() == start + 60
    assert kv.sync.get("k") is None
    kv_clock.move_to("2031-01-01T00:00:00Z")
    assert datetime.now(timezone.utc).year == 2031


def test_freezer_fixture_is_driven(kv: KVNamespace, kv_clock: KVClock, freezer: object) -> None:
    assert kv_clock.driver == "freezer"
    start = kv_clock.now()
    kv.sync.put("k", "v", expirationTtl=60)
    kv_clock.advance(60)
    assert time.time() == start + 60
    assert kv.sync.get("k") is None


@pytest.mark.kv(clock_start="2026-01-01T00:00:00Z")
def test_marker_sets_the_start(kv_clock: KVClock) -> None:
    assert kv_clock.now() == datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()


@pytest.mark.kv(clock_start=1_000_000)
def test_marker_start_with_time_machine(kv_clock: KVClock, time_machine: object) -> None:
    assert kv_clock.now() == 1_000_000


def test_time_is_real_again_after_the_test() -> None:
    assert abs(time.time() - datetime.now(timezone.utc).timestamp()) < 1
    assert time.monotonic() < time.monotonic() + 1


def test_a_namespace_outside_pytest_can_take_any_clock() -> None:
    now = [50.0]
    ns = KVNamespace(clock=lambda: now[0])
    ns.seed({"k": "v"}, expirationTtl=10)
    now[0] = 60.0
    assert ns.sync.get("k") is None
