"""ns.sync mirrors the async binding; a namespace is safe to share between threads."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pytest_kv import KVError, KVNamespace, KVTypeError


@pytest.mark.parametrize(
    ("method", "args", "kwargs"),
    [
        ("get", ("k",), {}),
        ("get", ("k", "json"), {}),
        ("get", (["k", "missing"],), {}),
        ("getWithMetadata", ("k",), {"type": "json"}),
        ("list", (), {"prefix": "k"}),
        ("get", ("",), {}),
        ("get", ("k",), {"cacheTtl": 10}),
        ("put", ("k", "v"), {"expirationTtl": 30}),
        ("delete", (".",), {}),
        ("list", ({"limit": 1001},), {}),
    ],
)
@pytest.mark.anyio
async def test_sync_gives_the_same_results_and_errors(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    def run(call: Any) -> Any:
        try:
            return ("ok", call(*args, **kwargs))
        except KVError as error:
            return (type(error), str(error))

    ns = KVNamespace(clock=lambda: 1000.0)
    ns.seed({"k": '{"a": 1}'}, metadata={"m": 1})
    sync_result = run(getattr(ns.sync, method))

    async def via_async() -> Any:
        try:
            return ("ok", await getattr(ns, method)(*args, **kwargs))
        except KVError as error:
            return (type(error), str(error))

    assert await via_async() == sync_result


def test_sync_put_delete_list() -> None:
    ns = KVNamespace()
    assert ns.sync.put("a", "1", metadata={"x": 1}) is None
    assert ns.sync.getWithMetadata("a").metadata == {"x": 1}
    assert ns.sync.list()["keys"] == [{"name": "a", "metadata": {"x": 1}}]
    assert ns.sync.delete("a") is None
    assert ns.sync.get("a") is None


def test_sync_put_reads_in_memory_streams() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    ns = KVNamespace()
    ns.sync.put("k", chunks())
    assert ns.sync.get("k") == "abcd"


def test_sync_put_refuses_a_stream_that_waits_on_io() -> None:
    import asyncio

    async def slow() -> AsyncIterator[bytes]:
        await asyncio.sleep(0)
        yield b"x"

    ns = KVNamespace()
    with pytest.raises(KVTypeError, match="use the async binding"):
        ns.sync.put("k", slow())
    assert ns.keys() == []


def test_threads_share_a_namespace_safely() -> None:
    ns = KVNamespace()
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(300):
                ns.sync.put(f"w{worker}:{i:03}", str(i))
                assert ns.sync.get(f"w{worker}:{i:03}") == str(i)
                ns.sync.list(prefix=f"w{worker}:", limit=10)
                if i % 3 == 0:
                    ns.sync.delete(f"w{worker}:{i:03}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ns.keys()) == 8 * 200
    for worker in range(8):
        assert ns.keys(f"w{worker}:") == [f"w{worker}:{i:03}" for i in range(300) if i % 3]
