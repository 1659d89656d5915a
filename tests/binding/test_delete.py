from __future__ import annotations

import pytest

from pytest_kv import KVNamespace, KVTypeError

pytestmark = pytest.mark.anyio


async def test_deletes_an_existing_key(ns: KVNamespace) -> None:
    await ns.put("key", "value")
    assert await ns.delete("key") is None
    assert await ns.get("key") is None
    assert ns.keys() == []


async def test_deleting_a_missing_key_succeeds(ns: KVNamespace) -> None:
    assert await ns.delete("never-written") is None


async def test_delete_takes_only_a_key(ns: KVNamespace) -> None:
    await ns.put("k", "v")
    with pytest.raises(KVTypeError, match="takes only a key"):
        await ns.delete("k", {"prefix": "k"})
    assert ns.keys() == ["k"]
