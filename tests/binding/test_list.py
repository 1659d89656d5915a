"""list(): shape, order, prefix, pagination, cursors, limits, expiry."""

from __future__ import annotations

import pytest
from testing_support import ManualClock

from pytest_kv import KVError, KVNamespace, KVTypeError

pytestmark = pytest.mark.anyio


async def fill(ns: KVNamespace, *keys: str) -> None:
    for key in keys:
        await ns.put(key, "value")


async def test_empty_namespace(ns: KVNamespace) -> None:
    result = await ns.list()
    assert result == {"keys": [], "list_complete": True, "cacheStatus": None}
    assert list(result) == ["keys", "list_complete", "cacheStatus"]


async def test_sorted_in_utf8_byte_order(ns: KVNamespace) -> None:
    keys = ["-", "1", "10", "9", "A", "B", "_", "a", "a\x00", "a b", "a!", "b", "z", "~", "é",
            "\uff01", "\uffff", "😀"]  # fmt: skip
    await fill(ns, *reversed(keys))
    assert [item["name"] for item in (await ns.list())["keys"]] == keys


async def test_sorts_lexicographically(ns: KVNamespace) -> None:
    await fill(ns, ", ", "!")
    assert await ns.list() == {
        "keys": [{"name": "!"}, {"name": ", "}],
        "list_complete": True,
        "cacheStatus": None,
    }


async def test_prefix_is_literal_and_case_sensitive(ns: KVNamespace) -> None:
    await fill(ns, "key1", "key2", "KEY1", "KEY2", "key\\_%1", "key\\a", "key\\_%2")
    assert [k["name"] for k in (await ns.list(prefix="KEY"))["keys"]] == ["KEY1", "KEY2"]
    assert [k["name"] for k in (await ns.list({"prefix": "key\\_%"}))["keys"]] == [
        "key\\_%1",
        "key\\_%2",
    ]
    assert (await ns.list(prefix="none"))["keys"] == []


async def test_expiration_and_metadata_only_when_set(ns: KVNamespace) -> None:
    await ns.put("a", "v", expiration=1500, metadata={"testing": 1})
    await ns.put("b", "v", expiration=1600)
    await ns.put("c", "v", metadata=0)
    await ns.put("d", "v")
    keys = (await ns.list())["keys"]
    assert keys == [
        {"name": "a", "expiration": 1500, "metadata": {"testing": 1}},
        {"name": "b", "expiration": 1600},
        {"name": "c", "metadata": 0},
        {"name": "d"},
    ]
    assert list(keys[0]) == ["name", "expiration", "metadata"]
    assert keys[0].name == "a"


async def test_ttl_is_listed_as_an_absolute_expiration(ns: KVNamespace) -> None:
    await ns.put("k", "v", expirationTtl=120)
    assert (await ns.list())["keys"] == [{"name": "k", "expiration": 1120}]


async def test_paginates(ns: KVNamespace) -> None:
    await fill(ns, "key1", "key2", "key3")
    first = await ns.list(limit=2)
    assert first["keys"] == [{"name": "key1"}, {"name": "key2"}]
    assert first["list_complete"] is False
    assert isinstance(first["cursor"], str)
    assert list(first) == ["keys", "list_complete", "cursor", "cacheStatus"]
    second = await ns.list(limit=2, cursor=first["cursor"])
    assert second == {"keys": [{"name": "key3"}], "list_complete": True, "cacheStatus": None}


async def test_exactly_limit_keys_left_is_complete(ns: KVNamespace) -> None:
    await fill(ns, "a", "b")
    assert await ns.list(limit=2) == {
        "keys": [{"name": "a"}, {"name": "b"}],
        "list_complete": True,
        "cacheStatus": None,
    }


async def test_paginates_with_prefix_and_variable_limit(ns: KVNamespace) -> None:
    await fill(ns, "section1key1", "section1key2", "section1key3", "section2key1")
    page = await ns.list(prefix="section1", limit=1)
    assert [k["name"] for k in page["keys"]] == ["section1key1"]
    page = await ns.list(prefix="section1", limit=2, cursor=page["cursor"])
    assert [k["name"] for k in page["keys"]] == ["section1key2", "section1key3"]
    assert page["list_complete"] is True


async def test_keys_inserted_while_paginating(ns: KVNamespace) -> None:
    await fill(ns, "key1", "key3", "key5")
    first = await ns.list(limit=2)
    await fill(ns, "key2", "key4")
    second = await ns.list(limit=2, cursor=first["cursor"])
    assert [k["name"] for k in second["keys"]] == ["key4", "key5"]
    assert second["list_complete"] is True


async def test_cursors_are_opaque(ns: KVNamespace) -> None:
    import base64

    await fill(ns, "key1", "key2")
    cursor = (await ns.list(limit=1))["cursor"]
    assert "key1" not in cursor
    assert cursor != base64.b64encode(b"key1").decode()


def test_remembered_cursors_are_bounded_and_the_same_as_made() -> None:
    # Cursors are remembered by their fields; the memory is bounded and starts over
    # when full, and a cursor made again after that is the same text.
    from pytest_kv.kv import listing

    first = listing.encode_cursor(b"key1", 0, 1)
    for number in range(listing._MAX_CURSORS + 10):
        listing.encode_cursor(b"key:%d" % number, 0, 1)
    assert 0 < len(listing._CURSORS) <= listing._MAX_CURSORS
    assert listing.encode_cursor(b"key1", 0, 1) == first
    assert listing.decode_cursor(first) == listing.Position(b"key1", 0, 1)
    assert listing.encode_cursor(b"key1", 0, 2) != first  # every field counts


async def test_foreign_cursors_are_read_leniently_like_miniflare(ns: KVNamespace) -> None:
    import base64

    await fill(ns, "a", "b", "c")
    assert [k["name"] for k in (await ns.list(cursor=base64.b64encode(b"a").decode()))["keys"]] == [
        "b",
        "c",
    ]
    assert len((await ns.list(cursor="!!!"))["keys"]) == 3
    assert (await ns.list(cursor="garbage!!"))["keys"] == []


@pytest.mark.parametrize("limit", [0, -5, None, 0.5, "nan", "abc"])
async def test_zero_negative_or_nan_limit_means_1000(ns: KVNamespace, limit: object) -> None:
    await fill(ns, *[f"k{i:04}" for i in range(1001)])
    page = await ns.list(limit=limit)
    assert len(page["keys"]) == 1000
    assert page["list_complete"] is False


@pytest.mark.parametrize(("limit", "size"), [("5", 5), (1.9, 1), (True, 1), (1000, 1000)])
async def test_limit_conversion(ns: KVNamespace, limit: object, size: int) -> None:
    await fill(ns, *[f"k{i:04}" for i in range(1001)])
    assert len((await ns.list(limit=limit))["keys"]) == size


async def test_limit_above_1000_is_an_error(ns: KVNamespace) -> None:
    with pytest.raises(KVError) as info:
        await ns.list({"limit": 1001, "prefix": "x" * 513})
    assert str(info.value) == (
        "KV GET failed: 400 Invalid key_count_limit of 1001. "
        "Please specify an integer less than 1000."
    )
    assert info.value.status == 400


async def test_prefix_longer_than_512_bytes_is_an_error(ns: KVNamespace) -> None:
    await ns.put("x" * 512, "v")
    assert len((await ns.list(prefix="x" * 512))["keys"]) == 1
    with pytest.raises(KVError) as info:
        await ns.list(prefix="x" * 513)
    assert str(info.value) == (
        "KV GET failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
    )


async def test_option_forms(ns: KVNamespace) -> None:
    await fill(ns, "p1", "p2", "q")
    expected = [{"name": "p1"}, {"name": "p2"}]
    assert (await ns.list({"prefix": "p"}))["keys"] == expected
    assert (await ns.list(prefix="p"))["keys"] == expected
    assert len((await ns.list(None))["keys"]) == 3
    assert len((await ns.list({"prefix": None, "cursor": None}))["keys"]) == 3
    assert (await ns.list(prefix=5))["keys"] == []


async def test_bad_options(ns: KVNamespace) -> None:
    with pytest.raises(KVTypeError) as info:
        await ns.list("abc")
    assert str(info.value) == (
        "Failed to execute 'list' on 'KvNamespace': parameter 1 is not of type 'ListOptions'."
    )
    with pytest.raises(KVTypeError, match="did you mean 'prefix'"):
        await ns.list(perfix="a")
    with pytest.raises(KVTypeError, match=r"^Value out of range"):
        await ns.list(limit=2**31)


async def test_expired_keys_are_not_listed(ns: KVNamespace, clock: ManualClock) -> None:
    for i in (1, 2, 3):
        await ns.put(f"key{i}", f"value{i}", {"expiration": 1000 + i * 60})
    clock.advance(130)
    assert await ns.list() == {
        "keys": [{"name": "key3", "expiration": 1180}],
        "list_complete": True,
        "cacheStatus": None,
    }


async def test_expired_at_the_exact_second_everywhere(ns: KVNamespace, clock: ManualClock) -> None:
    await ns.put("k", "v", expiration=1060)
    clock.now = 1059.999
    assert (await ns.list())["keys"] == [{"name": "k", "expiration": 1060}]
    assert await ns.get("k") == "v"
    clock.now = 1060
    assert (await ns.list())["keys"] == []
    assert await ns.get("k") is None
    assert await ns.get(["k"]) == {"k": None}


async def test_pages_skip_expired_keys(ns: KVNamespace, clock: ManualClock) -> None:
    await fill(ns, "a", "c")
    await ns.put("b", "v", expiration=1100)
    clock.advance(100)
    page = await ns.list(limit=1)
    assert [k["name"] for k in page["keys"]] == ["a"]
    page = await ns.list(limit=1, cursor=page["cursor"])
    assert page == {"keys": [{"name": "c"}], "list_complete": True, "cacheStatus": None}
