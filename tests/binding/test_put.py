"""put: values, expiration rules, metadata, limits, and rejected calls changing nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from testing_support import ManualClock, Snapshot

from pytest_kv import KVError, KVNamespace, KVTypeError

pytestmark = pytest.mark.anyio

NOW = 1000  # the ns fixture's clock
PUT_VALUE_TYPE = (
    "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
)
OUT_OF_RANGE = "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."


async def stream_of(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("text", b"text"),
        ("é😀", "é😀".encode()),
        (b"\x00\xff", b"\x00\xff"),
        (memoryview(b"abcdef")[1:3], b"bc"),
        (123, b"123"),
        (1.0, b"1"),
        (1e21, b"1e+21"),
        (True, b"true"),
        (None, b"null"),
        ("", b""),
    ],
)
async def test_values_are_stored_as_production_stores_them(
    ns: KVNamespace, value: object, stored: bytes
) -> None:
    await ns.put("k", value)
    entry = ns.peek("k")
    assert entry is not None
    assert entry.value == stored


async def test_stream_values(ns: KVNamespace) -> None:
    await ns.put("k", stream_of(b"ab", bytearray(b"cd"), memoryview(b"ef")))
    assert await ns.get("k") == "abcdef"


async def test_a_stream_read_back_can_be_put_again(ns: KVNamespace) -> None:
    await ns.put("a", b"\x01\x02")
    await ns.put("b", await ns.get("a", "stream"))
    assert (await ns.get("b", "arrayBuffer")).tobytes() == b"\x01\x02"


async def test_stream_chunks_must_be_bytes(ns: KVNamespace, state: Snapshot) -> None:
    with pytest.raises(KVTypeError, match="stream chunks must be bytes-like, got str"):
        await ns.put("k", stream_of("text"))  # type: ignore[arg-type]
    assert state(ns) == []


@pytest.mark.parametrize("value", [{}, {"a": 1}, [1, 2], object(), {1, 2}])
async def test_other_objects_are_rejected(ns: KVNamespace, value: object) -> None:
    with pytest.raises(KVTypeError) as info:
        await ns.put("k", value)
    assert str(info.value) == PUT_VALUE_TYPE
    assert ns.keys() == []


@pytest.mark.parametrize("value", [(1, 2), bytearray(b"x")])
async def test_tuples_and_bytearrays_cannot_be_sent(ns: KVNamespace, value: object) -> None:
    with pytest.raises(KVTypeError, match="cannot be sent over RPC"):
        await ns.put("k", value)


async def test_put_returns_none_and_overwrites_everything(ns: KVNamespace) -> None:
    assert await ns.put("k", "v1", expirationTtl=100, metadata={"a": 1}) is None
    await ns.put("k", "v2")
    entry = ns.peek("k")
    assert entry is not None
    assert (entry.text, entry.expiration, entry.metadata) == ("v2", None, None)


@pytest.mark.parametrize(
    "call",
    [
        lambda ns: ns.put("k", "v", {"expirationTtl": 60}),
        lambda ns: ns.put("k", "v", expirationTtl=60),
        lambda ns: ns.put("k", "v", {"expirationTtl": "60"}),
        lambda ns: ns.put("k", "v", {"expirationTtl": 60.9}),
        lambda ns: ns.put("k", "v", {"expiration": NOW + 60}),
        lambda ns: ns.put("k", "v", expiration=str(NOW + 60)),
        lambda ns: ns.put("k", "v", {"expiration": NOW + 60.7}),
    ],
    ids=["ttl dict", "ttl kwarg", "ttl string", "ttl float", "exp", "exp string", "exp float"],
)
async def test_expiration_forms(ns: KVNamespace, call: Any) -> None:
    await call(ns)
    assert (await ns.list())["keys"] == [{"name": "k", "expiration": NOW + 60}]


async def test_ttl_counts_from_the_current_whole_second(
    ns: KVNamespace, clock: ManualClock
) -> None:
    clock.now = 1000.9
    await ns.put("k", "v", expirationTtl=60)
    assert ns.peek("k").expiration == 1060  # type: ignore[union-attr]
    await ns.put("k", "v", expiration=1060)  # now+60, with now floored to 1000


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"expirationTtl": "nan"},
            "Invalid expiration_ttl of 0. Please specify integer greater than 0.",
        ),
        (
            {"expirationTtl": 0},
            "Invalid expiration_ttl of 0. Please specify integer greater than 0.",
        ),
        (
            {"expirationTtl": None},
            "Invalid expiration_ttl of 0. Please specify integer greater than 0.",
        ),
        (
            {"expirationTtl": -5},
            "Invalid expiration_ttl of -5. Please specify integer greater than 0.",
        ),
        (
            {"expirationTtl": 30},
            "Invalid expiration_ttl of 30. Expiration TTL must be at least 60.",
        ),
        (
            {"expirationTtl": 59.9},
            "Invalid expiration_ttl of 59. Expiration TTL must be at least 60.",
        ),
        (
            {"expiration": "nan"},
            "Invalid expiration of 0. Please specify integer greater than the current number "
            "of seconds since the UNIX epoch.",
        ),
        (
            {"expiration": NOW},
            f"Invalid expiration of {NOW}. Please specify integer greater than the current "
            "number of seconds since the UNIX epoch.",
        ),
        (
            {"expiration": NOW + 30},
            f"Invalid expiration of {NOW + 30}. Expiration times must be at least 60 seconds "
            "in the future.",
        ),
        (
            {"expiration": NOW + 1000, "expirationTtl": 30},
            "Invalid expiration_ttl of 30. Expiration TTL must be at least 60.",
        ),
    ],
)
async def test_expiration_rules(
    ns: KVNamespace, state: Snapshot, options: dict[str, Any], message: str
) -> None:
    await ns.put("k", "old")
    before = state(ns)
    with pytest.raises(KVError) as info:
        await ns.put("k", "new", options)
    assert str(info.value) == f"KV PUT failed: 400 {message}"
    assert info.value.status == 400
    assert state(ns) == before


async def test_ttl_wins_over_an_invalid_expiration(ns: KVNamespace) -> None:
    await ns.put("k", "v", {"expiration": NOW, "expirationTtl": 120})
    assert ns.peek("k").expiration == NOW + 120  # type: ignore[union-attr]


@pytest.mark.parametrize("field", ["expiration", "expirationTtl"])
@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2147483647.5])
async def test_int32_range(ns: KVNamespace, field: str, value: object) -> None:
    with pytest.raises(KVTypeError) as info:
        await ns.put("k", "v", {field: value})
    assert str(info.value) == OUT_OF_RANGE
    assert ns.keys() == []


async def test_python_ints_beyond_2_53_become_bigints(ns: KVNamespace) -> None:
    with pytest.raises(KVTypeError, match=r"^Cannot convert a BigInt value to a number$"):
        await ns.put("k", "v", expirationTtl=2**60)


@pytest.mark.parametrize(
    "metadata", [{"testing": True}, 123, "example", [1, "a"], 0, False, "", {"nested": {"x": None}}]
)
async def test_metadata_round_trips_any_json(ns: KVNamespace, metadata: Any) -> None:
    await ns.put("k", "v", metadata=metadata)
    assert (await ns.getWithMetadata("k")).metadata == metadata
    assert (await ns.list())["keys"] == [{"name": "k", "metadata": metadata}]


async def test_metadata_passes_through_json_like_javascript(ns: KVNamespace) -> None:
    await ns.put("k", "v", metadata={"b": 1, "2": 2, "1": 3, "f": 1.0, "n": float("nan")})
    metadata = (await ns.getWithMetadata("k")).metadata
    assert list(metadata.items()) == [("1", 3), ("2", 2), ("b", 1), ("f", 1), ("n", None)]


async def test_none_metadata_means_no_metadata(ns: KVNamespace) -> None:
    await ns.put("k", "v", metadata=None)
    assert (await ns.list())["keys"] == [{"name": "k"}]


async def test_metadata_limit_is_1024_bytes_of_json(ns: KVNamespace, state: Snapshot) -> None:
    await ns.put("ok", "v", metadata={"key": "x" * (1024 - 10)})  # exactly 1024 bytes
    before = state(ns)
    with pytest.raises(KVError) as info:
        await ns.put("k", "v", metadata={"key": "x" * (1024 - 10 + 1)})
    assert str(info.value) == "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024."
    assert info.value.status == 413
    with pytest.raises(KVError, match="Metadata length of 1026 exceeds"):
        await ns.put("k", "v", metadata={"key": "é" * 508})
    assert state(ns) == before


async def test_value_limit_is_25_mib(ns: KVNamespace, state: Snapshot) -> None:
    await ns.put("ok", b"x" * 26214400)
    before = state(ns)
    with pytest.raises(KVError) as info:
        await ns.put("k", b"x" * 26214401)
    assert (
        str(info.value) == "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
    )
    assert info.value.status == 413
    assert state(ns) == before


async def test_a_stream_too_large_reports_every_streamed_byte(ns: KVNamespace) -> None:
    chunk = b"x" * (1024 * 1024)
    with pytest.raises(KVError, match="Value length of 27262976 exceeds limit of 26214400"):
        await ns.put("k", stream_of(*[chunk] * 26))
    assert ns.keys() == []


async def test_expiration_is_checked_before_metadata_and_value(ns: KVNamespace) -> None:
    with pytest.raises(KVError, match="expiration_ttl"):
        await ns.put("k", b"x" * 26214401, expirationTtl=30, metadata={"a": "x" * 2000})
    with pytest.raises(KVError, match="Metadata length"):
        await ns.put("k", b"x" * 26214401, metadata={"a": "x" * 2000})


async def test_misspelled_put_options_name_the_right_spelling(
    ns: KVNamespace, state: Snapshot
) -> None:
    with pytest.raises(KVTypeError) as info:
        await ns.put("k", "v", expiration_ttl=60)
    assert "unknown option 'expiration_ttl'; did you mean 'expirationTtl'?" in str(info.value)
    with pytest.raises(KVTypeError, match="did you mean 'metadata'"):
        await ns.put("k", "v", {"metdata": {}})
    assert state(ns) == []


async def test_options_must_be_a_dict_or_none(ns: KVNamespace) -> None:
    await ns.put("k", "v", None)
    for options in ("abc", 5):
        with pytest.raises(KVTypeError) as info:
            await ns.put("k", "v", options)
        assert str(info.value) == (
            "Failed to execute 'put' on 'KvNamespace': parameter 3 is not of type 'PutOptions'."
        )
    with pytest.raises(KVTypeError, match="must be a dict or None"):
        await ns.put("k", "v", ["expirationTtl", 60])
    with pytest.raises(KVTypeError, match="cannot be combined"):
        await ns.put("k", "v", None, expirationTtl=60)
