"""Tests for the flag service: kv_env from wrangler.toml, seed files, expiry, page
shapes and eventual consistency, each the way a real project would write them."""

from __future__ import annotations

from pathlib import Path

import pytest
from flags_service import Default, Request, list_flags

from pytest_kv import (
    KVClock,
    KVEnv,
    assert_eventually,
    assert_expires,
    assert_keys,
    assert_paginates,
)

HERE = Path(__file__).parent
# In a real project wrangler.toml sits in pytest's rootdir and needs no option.
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.kv(
        wrangler_config=str(HERE / "wrangler.toml"),
        seed_files={"FLAGS": str(HERE / "data" / "flags.json")},
    ),
]


async def login(worker: Default, user: str = "ada") -> dict[str, str]:
    token = (await worker.fetch(Request("POST", "/login", body=user))).json()["token"]
    return {"authorization": f"Bearer {token}"}


async def test_reads_a_seeded_flag(kv_env: KVEnv) -> None:
    worker = Default(kv_env)
    response = await worker.fetch(Request("GET", "/flags/dark-mode"))
    assert response.json() == {"enabled": True, "rollout": 100}
    assert (await worker.fetch(Request("GET", "/flags/unknown"))).json() == {"enabled": False}


async def test_admin_writes_record_the_owner(kv_env: KVEnv) -> None:
    worker = Default(kv_env)
    headers = await login(worker, "grace")
    body = '{"enabled": true, "rollout": 50}'
    assert (
        await worker.fetch(Request("PUT", "/admin/flags/checkout-v2", headers, body))
    ).status == 204
    meta = await kv_env.FLAGS.getWithMetadata("flag:checkout-v2", "json")
    assert meta["value"] == {"enabled": True, "rollout": 50}
    assert meta["metadata"] == {"owner": "grace"}


async def test_each_test_starts_from_the_seed(kv_env: KVEnv) -> None:
    assert_keys(
        kv_env.FLAGS, ["flag:checkout-v2", "flag:dark-mode", "flag:search-beta"], prefix="flag:"
    )


async def test_sessions_expire_after_the_configured_ttl(kv_env: KVEnv, kv_clock: KVClock) -> None:
    worker = Default(kv_env)
    headers = await login(worker)
    [session] = kv_env.SESSIONS.keys("session:")
    assert_expires(kv_env.SESSIONS, session, ttl=3600)
    assert (await worker.fetch(Request("GET", "/admin/flags", headers))).status == 200
    kv_clock.advance(3600)
    assert (await worker.fetch(Request("GET", "/admin/flags", headers))).status == 401


async def test_the_admin_listing_survives_every_page_shape(kv_env: KVEnv) -> None:
    kv_env.FLAGS.seed({f"flag:extra-{i:03}": "{}" for i in range(40)})
    assert_paginates(list_flags, kv_env.FLAGS, prefix="flag:")
    with kv_env.FLAGS.page_shape(page_size=7, empty_pages=["start", "middle", "end"]):
        worker = Default(kv_env)
        listed = (await worker.fetch(Request("GET", "/admin/flags", await login(worker)))).json()
        assert len(listed) == 43


@pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"])
async def test_a_flag_change_reaches_sydney_after_its_cache_runs_out(
    kv_env: KVEnv, kv_clock: KVClock
) -> None:
    london = Default(kv_env)  # kv_env's namespaces read and write in lhr
    sydney = Default(kv_env.at("syd"))
    # A reader in Sydney caches the flag for 5 minutes (cacheTtl=300).
    assert (await sydney.fetch(Request("GET", "/flags/search-beta"))).json()["rollout"] == 10
    body = '{"enabled": true, "rollout": 100}'
    await london.fetch(Request("PUT", "/admin/flags/search-beta", await login(london), body))
    assert (await sydney.fetch(Request("GET", "/flags/search-beta"))).json()["rollout"] == 10
    waited = assert_eventually(
        kv_env.FLAGS, "flag:search-beta", {"enabled": True, "rollout": 100}, within=600
    )
    assert waited == 300  # the cached copy, not propagation (60 s), decides
    assert (await sydney.fetch(Request("GET", "/flags/search-beta"))).json()["rollout"] == 100
