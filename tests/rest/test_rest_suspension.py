"""An async REST call is a suspension point too, under asyncio and trio: other tasks
run before it is served, and its answer is the state when it completes."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import trio
import trio.testing
from testing_support import MovableClock

from pytest_kv import KVApi, KVNamespace

BASE = "https://api.cloudflare.com/client/v4"


@pytest.fixture
def api() -> KVApi:
    return KVApi(clock=MovableClock(1_000_000.0))


@pytest.fixture
def ns(api: KVApi) -> KVNamespace:
    namespace = api.factory("FLAGS")
    namespace.seed({"k": "old"})
    return namespace


def _value_request(api: KVApi, ns: KVNamespace, method: str = "GET") -> httpx.Request:
    url = f"{BASE}/accounts/{api.account_id}/storage/kv/namespaces/{ns.id}/values/k"
    content = b"from rest" if method == "PUT" else None
    return httpx.Request(method, url, headers={"Authorization": "Bearer t"}, content=content)


def test_under_asyncio_a_rest_read_answers_with_the_state_when_it_completes(
    api: KVApi, ns: KVNamespace
) -> None:
    transport = api.transport()

    async def read() -> bytes:
        response = await transport.handle_async_request(_value_request(api, ns))
        return await response.aread()

    async def change() -> None:
        ns.sync.put("k", "new")  # while the REST read is in flight

    async def main() -> list[object]:
        return await asyncio.gather(read(), change())

    assert asyncio.run(main())[0] == b"new"


def test_under_trio_an_async_rest_call_is_a_checkpoint(api: KVApi, ns: KVNamespace) -> None:
    transport = api.transport()

    async def main() -> None:
        with trio.testing.assert_checkpoints():
            await transport.handle_async_request(_value_request(api, ns, "PUT"))

    trio.run(main)
    assert ns.peek("k").text == "from rest"  # type: ignore[union-attr]


def test_under_trio_a_cancelled_rest_write_never_happened(api: KVApi, ns: KVNamespace) -> None:
    transport = api.transport()

    async def main() -> None:
        with trio.CancelScope() as scope:
            scope.cancel()
            await transport.handle_async_request(_value_request(api, ns, "PUT"))

    trio.run(main)
    assert ns.peek("k").text == "old"  # type: ignore[union-attr]


def test_two_async_clients_interleave_and_lose_an_update(api: KVApi, ns: KVNamespace) -> None:
    # A read-modify-write over REST, twice at once, as two jobs would run it. Under
    # asyncio, whose scheduling is first come first served (trio shuffles the order of
    # the tasks it wakes together); with httpx directly, as the SDK may use threads.
    ns.seed({"count": "0"})
    url = f"{BASE}/accounts/{api.account_id}/storage/kv/namespaces/{ns.id}/values/count"
    headers = {"Authorization": "Bearer t"}

    async def increment() -> None:
        async with httpx.AsyncClient(transport=api.transport()) as client:
            count = int((await client.get(url, headers=headers)).text)
            await client.put(url, content=str(count + 1).encode(), headers=headers)

    async def main() -> None:
        await asyncio.gather(increment(), increment())

    asyncio.run(main())
    assert ns.peek("count").text == "1"  # type: ignore[union-attr]
