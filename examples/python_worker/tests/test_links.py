from __future__ import annotations

import pytest

from pytest_kv import assert_expires, assert_keys, assert_paginates

pytestmark = pytest.mark.asyncio


async def shorten(kv_worker, url, **options):
    response = await kv_worker.fetch("/api/links", method="POST", json={"url": url, **options})
    assert response.status == 201
    return (await response.json())["code"]


async def test_a_short_link_redirects_and_counts_the_visit(kv_worker, kv_env):
    code = await shorten(kv_worker, "https://example.com/docs")
    response = await kv_worker.fetch(f"/r/{code}")
    assert response.status == 302
    assert response.headers["Location"] == "https://example.com/docs"
    # The waitUntil task has finished by the time fetch returns.
    assert kv_env.VISITS.peek(code).text == "1"
    assert_keys(kv_env.LINKS, [f"link:{code}"])


async def test_links_expire(kv_worker, kv_env, kv_clock):
    code = await shorten(kv_worker, "https://example.com/sale", ttl=3600)
    assert_expires(kv_env.LINKS, f"link:{code}", ttl=3600)
    kv_clock.advance(3600)
    assert (await kv_worker.fetch(f"/r/{code}")).status == 404


async def test_bad_input_changes_nothing(kv_worker, kv_env):
    response = await kv_worker.fetch("/api/links", method="POST", json={"url": "ftp://x"})
    assert response.status == 422
    assert kv_env.LINKS.keys() == []


async def test_the_listing_reads_every_page(kv_worker, kv_env):
    kv_env.LINKS.seed(
        {f"link:{n:02}": f"https://example.com/{n}" for n in range(12)},
        metadata={"url": "https://example.com/"},
    )
    # The Worker's own listing function, under every page shape production may use.
    assert_paginates(kv_worker.module.list_links, kv_env.LINKS, prefix="link:")
    with kv_env.LINKS.page_shape(page_size=5, empty_pages=["start", "middle"]):
        links = (await (await kv_worker.fetch("/api/links")).json())["links"]
    assert len(links) == 12


@pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"])
async def test_a_new_link_reaches_sydney_later(kv_worker, kv_env):
    code = await shorten(kv_worker, "https://example.com/launch")  # created in London
    sydney = kv_worker.at("syd")
    assert (await sydney.fetch(f"/r/{code}")).status == 404  # not there yet
    kv_env.LINKS.settle()  # propagation and caches
    assert (await sydney.fetch(f"/r/{code}")).status == 302
