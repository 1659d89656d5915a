"""The admin service and the Worker, tested together: the service writes flags over
the REST API with the official SDK, the Worker reads them through its binding, and
with eventual consistency the change reaches other locations only later."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from admin_app import create_app
from flag_worker import Default
from flask.testing import FlaskClient

from pytest_kv import KVApi, KVClock, KVEnv, assert_eventually

HERE = Path(__file__).parent
pytestmark = pytest.mark.kv(wrangler_config=str(HERE / "wrangler.toml"))


@pytest.fixture
def admin(kv_api: KVApi, kv_env: KVEnv, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    # Deployed, these come from the service's environment; the ids are the test's.
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", kv_api.account_id)
    monkeypatch.setenv("FLAGS_NAMESPACE_ID", kv_env.FLAGS.id)
    return create_app().test_client()


async def read(worker: Default, name: str) -> dict[str, object]:
    status, body = await worker.fetch(f"/flags/{name}")
    assert status == 200
    return dict(json.loads(body))


@pytest.mark.asyncio
async def test_a_flag_set_by_the_admin_is_read_by_the_worker(
    admin: FlaskClient, kv_env: KVEnv
) -> None:
    worker = Default(kv_env)
    assert await read(worker, "checkout") == {"enabled": False}
    response = admin.put("/flags/checkout", json={"enabled": True}, headers={"x-user": "ada"})
    assert response.status_code == 204
    assert await read(worker, "checkout") == {"enabled": True}
    meta = await kv_env.FLAGS.getWithMetadata("flag:checkout")
    assert meta["metadata"] == {"owner": "ada"}


@pytest.mark.asyncio
@pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"], propagation={"syd": 45, "*": 5})
async def test_the_change_reaches_each_location_after_its_delay(
    admin: FlaskClient, kv_env: KVEnv, kv_clock: KVClock
) -> None:
    london, sydney = Default(kv_env), Default(kv_env.at("syd"))
    admin.put("/flags/search", json={"enabled": True})  # written at central storage
    # Nowhere yet: the write has to reach each location, and the misses stay cached.
    assert await read(london, "search") == {"enabled": False}
    assert await read(sydney, "search") == {"enabled": False}
    waited = assert_eventually(kv_env.FLAGS, "flag:search", {"enabled": True}, within=120)
    assert waited == 60  # the cached misses (cacheTtl=60) outlast propagation (5 s, 45 s)
    assert await read(sydney, "search") == {"enabled": True}


def test_the_admin_listing_follows_every_page(admin: FlaskClient, kv_env: KVEnv) -> None:
    kv_env.FLAGS.seed({f"flag:f{i:02}": "{}" for i in range(12)})
    with kv_env.FLAGS.page_shape(page_size=5):
        assert admin.get("/flags").get_json() == [f"f{i:02}" for i in range(12)]


def test_an_outage_is_a_503_not_a_crash(admin: FlaskClient, kv_env: KVEnv) -> None:
    kv_env.FLAGS.fail_next("put", status=503)
    assert admin.put("/flags/x", json={}).status_code == 503
    assert kv_env.FLAGS.peek("flag:x") is None


@pytest.mark.kv(strict=False)  # the service turns the API's 400 into its own, on purpose
def test_a_ttl_under_a_minute_is_refused_as_production_refuses_it(admin: FlaskClient) -> None:
    response = admin.put("/flags/promo?ttl=30", json={"enabled": True})
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
    }
