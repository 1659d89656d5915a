from __future__ import annotations

import pytest

from pytest_kv import KVClock, KVNamespace, assert_eventually


@pytest.mark.asyncio
@pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"])
async def test_cart_survives_a_hop(kv: KVNamespace, kv_clock: KVClock) -> None:
    await kv.put("cart:1", "3 items")  # a request served in London
    assert await kv.at("syd").get("cart:1") is None  # the next one lands in Sydney
    kv.settle()  # let every change arrive
    assert await kv.at("syd").get("cart:1") == "3 items"


@pytest.mark.kv(consistency="eventual", locations=["lhr", "syd", "iad"], propagation=30)
def test_a_flag_reaches_every_location(kv: KVNamespace, kv_clock: KVClock) -> None:
    kv.sync.put("flag:beta", "on")
    waited = assert_eventually(kv, "flag:beta", "on", within=60)
    assert waited == 30
