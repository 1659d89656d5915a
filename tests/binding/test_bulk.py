"""Bulk reads: get([...]) and getWithMetadata([...])."""

from __future__ import annotations

import pytest

from pytest_kv import JsDict, KVError, KVNamespace, KVTypeError

pytestmark = pytest.mark.anyio


async def test_returns_values_and_none_for_misses_in_request_order(ns: KVNamespace) -> None:
    await ns.put("key1", "value1")
    await ns.put("b", "vb")
    result = await ns.get(["key2", "key1", "b", "key1"])
    assert result == {"key2": None, "key1": "value1", "b": "vb"}
    assert list(result) == ["key2", "key1", "b"]
    assert isinstance(result, JsDict)


async def test_at_most_100_keys_counting_duplicates(ns: KVNamespace) -> None:
    assert await ns.get(["a"] * 100) == {"a": None}
    with pytest.raises(KVError) as info:
        await ns.get(["a"] * 101)
    assert str(info.value) == "KV GET_BULK failed: 400 You can request a maximum of 100 keys"
    assert info.value.status == 400


async def test_at_least_one_key(ns: KVNamespace) -> None:
    with pytest.raises(KVError) as info:
        await ns.get([], {"cacheTtl": 10})
    assert str(info.value) == "KV GET_BULK failed: 400 You must request a minimum of 1 key"


@pytest.mark.parametrize("response_type", ["arrayBuffer", "stream", "invalid", "JSON", None])
async def test_only_text_and_json(ns: KVNamespace, response_type: object) -> None:
    shown = "null" if response_type is None else response_type
    with pytest.raises(KVError) as info:
        await ns.get(["a"] * 101, {"type": response_type})
    assert str(info.value) == (
        f'KV GET_BULK failed: 400 "{shown}" is not a valid type. Use "json" or "text"'
    )


@pytest.mark.parametrize("options", [None, "", "text", {"type": ""}, {}])
async def test_empty_and_absent_types_mean_text(ns: KVNamespace, options: object) -> None:
    await ns.put("a", "1")
    assert await ns.get(["a"], options) == {"a": "1"}


async def test_json(ns: KVNamespace) -> None:
    await ns.put("key1", '{"example": "ex"}')
    await ns.put("key2", "example")
    assert await ns.get(["key1"]) == {"key1": '{"example": "ex"}'}
    assert await ns.get(["key1"], "json") == {"key1": {"example": "ex"}}
    with pytest.raises(KVError) as info:
        await ns.get(["key1", "key2"], type="json")
    assert str(info.value) == (
        "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value"
    )


async def test_empty_value_is_not_json(ns: KVNamespace) -> None:
    await ns.put("e", "")
    assert await ns.get(["e"]) == {"e": ""}
    with pytest.raises(KVError, match="non-json value"):
        await ns.get(["e"], "json")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "400 Key names must not be empty"),
        (".", '400 Illegal key name ".". Please use a different name.'),
        ("..", '400 Illegal key name "..". Please use a different name.'),
        ("x" * 513, "414 UTF-8 encoded length of 513 exceeds key length limit of 512."),
    ],
)
async def test_keys_are_checked_by_the_service(ns: KVNamespace, key: str, message: str) -> None:
    with pytest.raises(KVError) as info:
        await ns.get(["ok", key])
    assert str(info.value) == f"KV GET_BULK failed: {message}"
    assert not isinstance(info.value, TypeError)


async def test_checks_run_key_by_key_in_order(ns: KVNamespace) -> None:
    await ns.put("bad", "not json")
    with pytest.raises(KVError, match="non-json value"):
        await ns.get(["bad", ""], "json")
    with pytest.raises(KVError, match="Key names must not be empty"):
        await ns.get(["", "bad"], "json")
    with pytest.raises(KVError, match="Key names must not be empty"):
        await ns.get(["", "a"], {"cacheTtl": 10})
    with pytest.raises(KVError) as info:
        await ns.get(["a", ""], {"cacheTtl": 10})
    assert str(info.value) == (
        "KV GET_BULK failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."
    )
    with pytest.raises(KVError) as info:
        await ns.get(["user:1", "user:2"], cacheTtl=10)  # ordinary keys: the TTL fails
    assert str(info.value) == (
        "KV GET_BULK failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."
    )


async def test_cache_ttl_int32_errors_come_first(ns: KVNamespace) -> None:
    with pytest.raises(KVTypeError, match="Value out of range"):
        await ns.get([""], {"cacheTtl": 2**31})


async def test_with_metadata(ns: KVNamespace) -> None:
    await ns.put("key1", "value1", {"expiration": 1500, "metadata": {"testing": True}})
    await ns.put("key2", "value2")
    result = await ns.getWithMetadata(["key1", "key2", "missing"])
    assert result == {
        "key1": {"value": "value1", "metadata": {"testing": True}},
        "key2": {"value": "value2", "metadata": None},
        "missing": None,
    }
    assert "cacheStatus" not in result["key1"]
    assert result["key1"].metadata == {"testing": True}


@pytest.mark.parametrize("metadata", [123, "example"])
async def test_with_scalar_metadata(ns: KVNamespace, metadata: object) -> None:
    await ns.put("key1", "value1", {"expiration": 1500, "metadata": metadata})
    assert await ns.getWithMetadata(["key1"]) == {"key1": {"value": "value1", "metadata": metadata}}


async def test_falsy_values_keep_their_metadata(ns: KVNamespace) -> None:
    await ns.put("key0", "", metadata={"testing": True})
    await ns.put("key1", "0", metadata={"testing": "zero"})
    await ns.put("key2", "false", metadata={"testing": "false"})
    assert await ns.getWithMetadata(["key0"]) == {
        "key0": {"value": "", "metadata": {"testing": True}}
    }
    assert await ns.getWithMetadata(["key1", "key2"], "json") == {
        "key1": {"value": 0, "metadata": {"testing": "zero"}},
        "key2": {"value": False, "metadata": {"testing": "false"}},
    }


async def test_a_stored_json_null_reads_as_a_miss_with_metadata(ns: KVNamespace) -> None:
    await ns.put("jnull", "null", metadata={"m": 1})
    assert await ns.getWithMetadata(["jnull"], "json") == {"jnull": None}
    assert await ns.getWithMetadata(["jnull"]) == {"jnull": {"value": "null", "metadata": {"m": 1}}}


async def test_array_index_keys_are_dropped_like_workerd_does(ns: KVNamespace) -> None:
    for key in ("0", "7", "9", "01", "-1", "4294967294", "4294967295", "1e3", "a", ":1"):
        await ns.put(key, "v" + key)
    result = await ns.get(["a", "0", "7", "9", "01", "-1", "4294967294", "4294967295", "1e3", ":1"])
    assert result == {
        "a": "va",
        "01": "v01",
        "-1": "v-1",
        "4294967295": "v4294967295",
        "1e3": "v1e3",
        ":1": "v:1",
    }
    assert await ns.get([1, None, True]) == {"null": None, "true": None}
    assert await ns.get("7") == "v7"  # single reads are unaffected


async def test_total_size_limit_is_25_mib(ns: KVNamespace) -> None:
    await ns.put("big1", "x" * (13 * 1024 * 1024))
    await ns.put("big2", "x" * (12 * 1024 * 1024))
    assert len((await ns.get(["big1", "big2"]))["big1"]) == 13 * 1024 * 1024
    await ns.put("one", "x")
    with pytest.raises(KVError) as info:
        await ns.get(["big1", "big2", "one"])
    assert (
        str(info.value) == "KV GET_BULK failed: 413 Total size of request exceeds the limit of 25MB"
    )
    assert info.value.status == 413


async def test_size_counts_javascript_string_length(ns: KVNamespace) -> None:
    # "é" is 2 UTF-8 bytes but 1 UTF-16 unit: 28 MiB of bytes, 14 Mi characters.
    await ns.put("a1", "é" * (7 * 1024 * 1024))
    await ns.put("a2", "é" * (7 * 1024 * 1024))
    assert len((await ns.get(["a1", "a2"]))["a2"]) == 7 * 1024 * 1024
