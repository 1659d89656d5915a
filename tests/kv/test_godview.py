"""The god view: seed, peek and keys, with no side effects."""

from __future__ import annotations

import pytest
from testing_support import ManualClock, Snapshot

from pytest_kv import KVEntry, KVNamespace


def test_seed_a_mapping(ns: KVNamespace) -> None:
    ns.seed({"text": "v", "raw": b"\x00\xff", "doc": {"a": [1, 2]}, "n": 5})
    assert ns.keys() == ["doc", "n", "raw", "text"]
    assert ns.sync.get("text") == "v"
    assert ns.sync.get("raw", "arrayBuffer").tobytes() == b"\x00\xff"
    assert ns.sync.get("doc") == '{"a":[1,2]}'
    assert ns.sync.get("n", "json") == 5


def test_seed_with_shared_expiration_and_metadata(ns: KVNamespace) -> None:
    ns.seed({"a": "1", "b": "2"}, expirationTtl=5, metadata={"seeded": True})
    assert ns.sync.list()["keys"] == [
        {"name": "a", "expiration": 1005, "metadata": {"seeded": True}},
        {"name": "b", "expiration": 1005, "metadata": {"seeded": True}},
    ]
    ns.seed({"c": "3"}, expiration=2000)
    assert ns.peek("c").expiration == 2000  # type: ignore[union-attr]


def test_seed_bypasses_the_60_second_floor(ns: KVNamespace, clock: ManualClock) -> None:
    ns.seed({"soon": "v"}, expirationTtl=1)
    assert ns.sync.get("soon") == "v"
    clock.advance(1)
    assert ns.sync.get("soon") is None


def test_seed_already_expired_keys(ns: KVNamespace) -> None:
    ns.seed({"gone": "v"}, expirationTtl=0)
    ns.seed({"long-gone": "v"}, expiration=10)
    assert ns.keys() == []
    assert ns.sync.get("gone") is None
    assert ns.sync.list()["keys"] == []


def test_seed_wrangler_bulk_entries(ns: KVNamespace) -> None:
    ns.seed(
        [
            {"key": "plain", "value": "v"},
            {"key": "bin", "value": "AAH/", "base64": True},
            {"key": "ttl", "value": "v", "expiration_ttl": 100, "metadata": {"m": 1}},
            {"key": "abs", "value": "v", "expiration": 5000},
        ],
        metadata={"default": True},
    )
    assert ns.peek("bin").value == b"\x00\x01\xff"  # type: ignore[union-attr]
    assert ns.peek("ttl") == KVEntry("ttl", b"v", 1100, {"m": 1})
    assert ns.peek("plain").metadata == {"default": True}  # type: ignore[union-attr]
    assert ns.peek("abs").expiration == 5000  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"key": "a", "value": "v"}, {"value": "v"}], "seed entry 1: 'key' must be a string"),
        ([{"key": "a", "value": 5}], "seed entry 0: 'value' must be a string"),
        (
            [{"key": "a", "value": "@@", "base64": True}],
            "seed entry 0: 'value' is not valid base64",
        ),
        ([{"key": "a", "value": "v", "ttl": 5}], "seed entry 0: unknown field(s) 'ttl'"),
        (["a"], "seed entry 0: each entry must be an object"),
        ([{"key": "a", "value": "v", "expiration": "soon"}], "'expiration' must be a finite"),
    ],
)
def test_malformed_entries_name_their_index_and_change_nothing(
    ns: KVNamespace, state: Snapshot, entries: list[object], message: str
) -> None:
    ns.seed({"existing": "v"})
    before = state(ns)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ns.seed(entries)  # type: ignore[arg-type]
    assert state(ns) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"": "v"}, "Key name cannot be empty."),
        ({"x" * 513: "v"}, "414 UTF-8 encoded length of 513"),
        ({"k": b"x" * 26214401}, "413 Value length of 26214401"),
    ],
)
def test_seed_keeps_the_limits_no_key_can_break(
    ns: KVNamespace, state: Snapshot, data: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ns.seed({"first": "v", **data})
    assert state(ns) == []


def test_seed_metadata_limit(ns: KVNamespace) -> None:
    with pytest.raises(ValueError, match="Metadata length of 2010 exceeds limit of 1024"):
        ns.seed({"k": "v"}, metadata={"a": "x" * 2002})


def test_peek(ns: KVNamespace) -> None:
    assert ns.peek("missing") is None
    ns.sync.put("k", '{"a": 1}', expirationTtl=60, metadata=[1])
    entry = ns.peek("k")
    assert entry == KVEntry("k", b'{"a": 1}', 1060, [1])
    assert entry is not None
    assert entry.text == '{"a": 1}'
    assert entry.json() == {"a": 1}


def test_peek_and_keys_have_no_side_effects(ns: KVNamespace, clock: ManualClock) -> None:
    ns.seed({"k": "v"}, expirationTtl=10)
    clock.advance(10)
    assert ns.peek("k") is None
    assert ns.keys() == []
    clock.advance(-10)  # back in time: nothing was purged by looking
    assert ns.peek("k") is not None
    assert ns.keys() == ["k"]


def test_keys_with_prefix(ns: KVNamespace) -> None:
    ns.seed({"a:1": "", "a:2": "", "b:1": ""})
    assert ns.keys("a:") == ["a:1", "a:2"]
    assert ns.keys() == ["a:1", "a:2", "b:1"]
