"""Key names: workerd's client-side checks, UTF-8 byte length, coercion."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_kv import KVError, KVNamespace, KVTypeError

pytestmark = pytest.mark.anyio

CALLS = [
    pytest.param("GET", lambda ns, key: ns.get(key), id="get"),
    pytest.param("GET", lambda ns, key: ns.getWithMetadata(key), id="getWithMetadata"),
    pytest.param("PUT", lambda ns, key: ns.put(key, "value"), id="put"),
    pytest.param("DELETE", lambda ns, key: ns.delete(key), id="delete"),
]


@pytest.mark.parametrize(("op", "call"), CALLS)
@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "Key name cannot be empty."),
        (".", '"." is not allowed as a key name.'),
        ("..", '".." is not allowed as a key name.'),
    ],
)
async def test_forbidden_names_are_type_errors(
    ns: KVNamespace, op: str, call: Any, key: str, message: str
) -> None:
    with pytest.raises(KVTypeError) as info:
        await call(ns, key)
    assert str(info.value) == message
    assert isinstance(info.value, TypeError)
    assert info.value.status is None


@pytest.mark.parametrize(("op", "call"), CALLS)
async def test_key_over_512_bytes_is_a_414(ns: KVNamespace, op: str, call: Any) -> None:
    with pytest.raises(KVError) as info:
        await call(ns, "x" * 513)
    assert str(info.value) == (
        f"KV {op} failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
    )
    assert info.value.status == 414
    assert not isinstance(info.value, TypeError)


async def test_key_length_counts_utf8_bytes(ns: KVNamespace) -> None:
    with pytest.raises(KVError, match="length of 514 exceeds"):
        await ns.get("é" * 257)
    await ns.put("é" * 256, "fits")  # 512 bytes
    assert await ns.get("é" * 256) == "fits"


async def test_exactly_512_bytes_is_accepted(ns: KVNamespace) -> None:
    await ns.put("k" * 512, "v")
    assert ns.keys() == ["k" * 512]


@pytest.mark.parametrize(
    "key", ["...", "/a", "a/", "a/b?c#d%e f", "%2F", "%", " sp ", "\\", "a\x00b"]
)
async def test_other_names_round_trip_exactly(ns: KVNamespace, key: str) -> None:
    await ns.put(key, "v")
    assert await ns.get(key) == "v"
    assert [item["name"] for item in (await ns.list())["keys"]] == [key]


async def test_keys_are_case_sensitive(ns: KVNamespace) -> None:
    await ns.put("key", "lower")
    await ns.put("KEY", "upper")
    assert await ns.get("key") == "lower"
    assert await ns.get("KEY") == "upper"


@pytest.mark.parametrize(
    ("key", "stored"),
    [(123, "123"), (1.0, "1"), (1.5, "1.5"), (True, "true"), (None, "null")],
)
async def test_primitive_keys_are_coerced_like_javascript(
    ns: KVNamespace, key: object, stored: str
) -> None:
    await ns.put(key, "v")
    assert ns.keys() == [stored]
    assert await ns.get(stored) == "v"


@pytest.mark.parametrize(("op", "call"), CALLS)
async def test_lone_surrogates_cannot_be_url_decoded(ns: KVNamespace, op: str, call: Any) -> None:
    with pytest.raises(KVError) as info:
        await call(ns, "\ud800x")
    assert str(info.value) == f"KV {op} failed: 400 Could not URL-decode key name"
    assert info.value.status == 400
    assert ns.keys() == []


async def test_surrogate_pairs_join_into_one_character(ns: KVNamespace) -> None:
    await ns.put("\ud83d\ude00", "v")
    assert ns.keys() == ["😀"]
    assert await ns.get("😀") == "v"


async def test_bulk_reads_turn_lone_surrogates_into_replacement_characters(
    ns: KVNamespace,
) -> None:
    assert await ns.get(["\ud800x"]) == {"\ufffd\ufffd\ufffdx": None}


@pytest.mark.parametrize("key", [b"key", {"a": 1}, object()])
async def test_non_string_objects_are_rejected_with_a_reason(ns: KVNamespace, key: object) -> None:
    with pytest.raises(KVTypeError, match="a key must be a str"):
        await ns.put(key, "v")
    assert ns.keys() == []


@pytest.mark.parametrize("key", [("a",), bytearray(b"a")])
async def test_tuples_and_bytearrays_cannot_cross_the_rpc_boundary(
    ns: KVNamespace, key: object
) -> None:
    with pytest.raises(KVTypeError) as info:
        await ns.get(key)
    assert str(info.value) == f"{type(key)} cannot be sent over RPC."
