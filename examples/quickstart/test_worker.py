from __future__ import annotations

from types import SimpleNamespace

import pytest
from worker import Default, start_session

from pytest_kv import KVClock, KVError, KVNamespace


@pytest.mark.asyncio
async def test_counts_page_views(kv: KVNamespace) -> None:
    worker = Default(SimpleNamespace(KV=kv))
    await worker.fetch("/hits/home")
    response = await worker.fetch("/hits/home")
    assert response.body == '{"page": "home", "hits": 2}'
    assert kv.keys() == ["hits:home"]


@pytest.mark.asyncio
async def test_sessions_expire(kv: KVNamespace, kv_clock: KVClock) -> None:
    session = await start_session(kv, "ada", ttl=60)
    assert await kv.get(session, "json") == {"user": "ada"}
    kv_clock.advance(60)
    assert await kv.get(session) is None


@pytest.mark.asyncio
async def test_a_short_ttl_fails_like_production(kv: KVNamespace) -> None:
    with pytest.raises(KVError, match="Expiration TTL must be at least 60"):
        await start_session(kv, "ada", ttl=30)
