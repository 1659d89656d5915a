"""Every async binding call is a suspension point: concurrent tasks interleave at KV
calls, under asyncio and trio, and a call's result is the state when it completes.
Coroutines stepped by hand (no event loop, or the project's own helpers) never suspend.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import anyio
import pytest
import trio
import trio.testing

from pytest_kv import KVNamespace, assert_paginates
from pytest_kv.suspension import DRIVER, STEPPED, Pending, stepping

CALLS: list[tuple[str, Callable[[KVNamespace], Awaitable[Any]]]] = [
    ("get", lambda ns: ns.get("k")),
    ("get bulk", lambda ns: ns.get(["k", "other"])),
    ("get json", lambda ns: ns.get("k", "json")),
    ("getWithMetadata", lambda ns: ns.getWithMetadata("k")),
    ("put", lambda ns: ns.put("k", "2")),
    ("put with options", lambda ns: ns.put("k", "2", expirationTtl=600)),
    ("delete", lambda ns: ns.delete("k")),
    ("list", lambda ns: ns.list(prefix="k")),
]
IDS = [name for name, _ in CALLS]


async def increment(ns: KVNamespace) -> None:
    count = int(await ns.get("counter") or 0)
    await ns.put("counter", str(count + 1))


@pytest.mark.anyio
async def test_two_concurrent_increments_lose_an_update_as_in_production() -> None:
    # The read-modify-write bug: both tasks read 0 before either writes.
    ns = KVNamespace()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(increment, ns)
        tasks.start_soon(increment, ns)
    assert ns.peek("counter").text == "1"  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_the_same_increments_one_after_the_other_count_both() -> None:
    ns = KVNamespace()
    await increment(ns)
    await increment(ns)
    assert ns.peek("counter").text == "2"  # type: ignore[union-attr]


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "call"), CALLS, ids=IDS)
async def test_every_async_call_lets_other_tasks_run_before_it_completes(
    name: str, call: Callable[[KVNamespace], Awaitable[Any]]
) -> None:
    ns = KVNamespace()
    ns.seed({"k": "1"})
    order: list[str] = []

    async def repeatedly(who: str) -> None:
        for _ in range(5):
            await call(ns)
            order.append(who)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(repeatedly, "a")
        tasks.start_soon(repeatedly, "b")
    # Without a suspension point, one task would make all its calls first.
    assert order not in (["a"] * 5 + ["b"] * 5, ["b"] * 5 + ["a"] * 5)
    assert order.index("b") < len(order) - 1 - order[::-1].index("a")


@pytest.mark.parametrize(("name", "call"), CALLS, ids=IDS)
def test_under_trio_every_async_call_is_a_checkpoint(
    name: str, call: Callable[[KVNamespace], Awaitable[Any]]
) -> None:
    ns = KVNamespace()
    ns.seed({"k": "1"})

    async def main() -> None:
        with trio.testing.assert_checkpoints():
            await call(ns)
        with trio.testing.assert_no_checkpoints():
            ns.sync.get("k")

    trio.run(main)


@pytest.mark.parametrize(("name", "call"), CALLS, ids=IDS)
def test_under_asyncio_the_result_is_the_state_when_the_call_completes(
    name: str, call: Callable[[KVNamespace], Awaitable[Any]]
) -> None:
    # Task a starts its call; task b changes the key while a's call is in flight; a's
    # call then sees (or overwrites) b's change, as a call that completes later would.
    ns = KVNamespace()
    ns.seed({"k": "1"})
    seen: list[Any] = []

    async def a() -> None:
        seen.append(await call(ns))

    async def b() -> None:
        ns.sync.put("k", '"changed"')  # valid JSON too

    async def main() -> None:
        await asyncio.gather(a(), b())

    asyncio.run(main())
    if name.startswith("put"):
        assert ns.peek("k").text == "2"  # type: ignore[union-attr]
    elif name == "delete":
        assert ns.peek("k") is None
    elif name == "list":
        assert [key["name"] for key in seen[0]["keys"]] == ["k"]
    else:
        assert "changed" in repr(seen[0])


def test_under_asyncio_a_cancelled_call_never_happened() -> None:
    ns = KVNamespace()

    async def main() -> None:
        task = asyncio.create_task(ns.put("k", "v"))
        await asyncio.sleep(0)  # the put starts and waits at its suspension point
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert ns.peek("k") is None
    assert ns.calls == []


def test_under_trio_a_cancelled_call_never_happened() -> None:
    ns = KVNamespace()

    async def main() -> None:
        with trio.CancelScope() as scope:
            scope.cancel()
            await ns.put("k", "v")
        assert scope.cancelled_caught

    trio.run(main)
    assert ns.peek("k") is None
    assert ns.calls == []


def test_a_streamed_put_reads_its_body_after_the_suspension_and_writes_when_it_is_complete() -> (
    None
):
    ns = KVNamespace()
    order: list[str] = []

    async def body() -> AsyncIterator[bytes]:
        order.append("body read")
        yield b"v"

    async def writer() -> None:
        await ns.put("k", body())
        order.append("written")

    async def other() -> None:
        order.append("other task ran")

    async def main() -> None:
        await asyncio.gather(writer(), other())

    asyncio.run(main())
    assert order == ["other task ran", "body read", "written"]
    assert ns.peek("k").value == b"v"  # type: ignore[union-attr]


def test_trio_guest_mode_on_asyncio_uses_trios_checkpoint() -> None:
    # In guest mode trio's tasks run inside asyncio callbacks: a running asyncio loop
    # but no asyncio task, so the bare yield of asyncio would break trio.
    ns = KVNamespace()

    async def trio_main() -> Any:
        with trio.testing.assert_checkpoints():
            await ns.put("k", "v")
        return await ns.get("k")

    async def asyncio_main() -> Any:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        trio.lowlevel.start_guest_run(
            trio_main,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            done_callback=done.set_result,
        )
        return (await done).unwrap()

    assert asyncio.run(asyncio_main()) == "v"


# -- coroutines stepped by hand ---------------------------------------------------------


def _step_to_the_end(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """A driver that knows no event loop (as curio or a hand-written trampoline):
    any yield is an error."""
    try:
        yielded = coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise AssertionError(f"the coroutine yielded {yielded!r}")


async def _several_calls(ns: KVNamespace) -> Any:
    await ns.put("k", "1", metadata={"m": 1})
    await ns.delete("gone")
    page = await ns.list()
    return (await ns.get("k"), (await ns.getWithMetadata("k"))["metadata"], len(page["keys"]))


def test_without_an_event_loop_calls_complete_at_once() -> None:
    ns = KVNamespace()
    assert _step_to_the_end(_several_calls(ns)) == ("1", {"m": 1}, 1)


@pytest.mark.anyio
async def test_inside_an_async_test_stepping_runs_calls_without_suspending() -> None:
    ns = KVNamespace()
    with stepping():
        assert _step_to_the_end(_several_calls(ns)) == ("1", {"m": 1}, 1)
    assert DRIVER.get() is None


def test_inside_an_asyncio_task_a_hand_stepped_call_sees_a_bare_yield() -> None:
    # The documented rule for other drivers: resume a None yield with send(None).
    ns = KVNamespace()
    ns.seed({"k": "v"})

    async def main() -> Any:
        coroutine = ns.get("k")
        assert coroutine.send(None) is None
        with pytest.raises(StopIteration) as done:
            coroutine.send(None)
        return done.value.value

    assert asyncio.run(main()) == "v"


@pytest.mark.anyio
async def test_assert_paginates_steps_an_async_listing_function_inside_an_async_test() -> None:
    ns = KVNamespace()
    ns.seed({f"user:{n}": "x" for n in range(4)})

    async def every_user(kv: KVNamespace) -> list[str]:
        names: list[str] = []
        cursor = None
        while True:
            page = await kv.list(prefix="user:", cursor=cursor)
            names.extend(key["name"] for key in page["keys"])
            if page["list_complete"]:
                return names
            cursor = page["cursor"]

    assert_paginates(every_user, ns, prefix="user:")


@pytest.mark.anyio
async def test_a_blocking_put_of_a_stream_works_inside_an_async_test() -> None:
    ns = KVNamespace()

    async def body() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    ns.sync.put("k", body())
    assert ns.peek("k").value == b"ab"  # type: ignore[union-attr]


def test_a_driver_receives_the_call_before_it_happens() -> None:
    ns = KVNamespace()
    token = DRIVER.set(object())
    try:
        coroutine = ns.put("k", "v", expirationTtl=600)
        pending = coroutine.send(None)
        assert isinstance(pending, Pending)
        assert (pending.subject, pending.method, pending.key) == (ns, "put", "k")
        assert pending.kwargs == {"expirationTtl": 600}
        assert ns.peek("k") is None  # not yet: the driver decides when it completes
        with pytest.raises(StopIteration):
            coroutine.send(None)
    finally:
        DRIVER.reset(token)
    assert ns.peek("k").text == "v"  # type: ignore[union-attr]
    assert repr(STEPPED) == "STEPPED"
