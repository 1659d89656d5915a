"""Miniflare's own KV test catalogue, run against Miniflare and pytest-kv side by side.

Each test ports one case of Miniflare's ``packages/miniflare/test/plugins/kv/index.spec.ts``
(numbered as in ``shared/reference/miniflare-kv.md`` section 3.A; the tests are
written afresh, not copied). Every operation runs on both sides through the ``both``
fixture (see ``conftest.py``), which asserts (a) that Miniflare gives what the
catalogue says, so the oracle itself is checked, and (b) that pytest-kv gives the
very same result: values, Map and list order, result shapes, error class and exact
message. Cursor texts differ by design, so cursors are followed, never compared.

Harness details reproduced from Miniflare's suite:

- the clock starts at t = 1000 s (``TIME_NOW``); ``TIME_FUTURE`` is 1500 s;
- every key is prefixed with a per-test namespace ``NS`` (list calls pass it as the
  prefix), except in the key-validation cases, which use raw keys;
- Miniflare's suite runs in "test mode" (its fake clock's control ops lower the value
  limit and the bulk-read total to 1024 bytes). pytest-kv has production limits
  only, so those cases run their production-limit version on the namespace pair that
  never gets a control op (``limits=True``), and keep the test-mode version as a
  Miniflare-only check of the oracle.

Cases 49-52 are not ported: they test Miniflare's persistence and storage internals
(reloading options, on-disk layout, database migration, sticky blobs), which a fake
with no storage layer does not have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .conftest import Both

# Results are (kind, value) tuples (``Outcome`` in conftest.py), so expectations are
# written as plain tuples.

pytestmark = pytest.mark.conformance

# Miniflare's harness prefixes keys with `${Date.now()}_${random}`; a fixed one here.
NS = "1000000000000_5318008_"
TIME_NOW = 1000
TIME_FUTURE = 1500
MAX_VALUE = 25 * 1024 * 1024  # production's value limit, 26214400 bytes

UNDEFINED = ("undefined", None)
NULL = ("null", None)
CURSOR_TEXT = "<cursor>"  # how results show a non-empty cursor string


def text(value: str) -> tuple[str, Any]:
    return ("string", value)


def json_value(value: Any) -> tuple[str, Any]:
    return ("json", value)


def bulk(*pairs: tuple[str, Any]) -> tuple[str, Any]:
    return ("map", list(pairs))


def error(message: str) -> tuple[str, Any]:
    return ("Error", message)


def type_error(message: str) -> tuple[str, Any]:
    return ("TypeError", message)


def validates_key(both: Both, op: str, method: str, *value: str) -> None:
    """Miniflare's ``testValidatesKey``: raw keys (no NS prefix), four cases in order."""
    both.check(op, "", *value, expect=type_error("Key name cannot be empty."))
    both.check(op, ".", *value, expect=type_error('"." is not allowed as a key name.'))
    both.check(op, "..", *value, expect=type_error('".." is not allowed as a key name.'))
    both.check(
        op,
        "x" * 513,
        *value,
        expect=error(
            f"KV {method} failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
        ),
    )


def put_entries(both: Both, values: list[tuple[str, dict[str, Any]]]) -> None:
    """``testList``'s setup: ``put(ns + key, value, {expiration, metadata})`` in order."""
    for key, entry in values:
        options = {name: entry[name] for name in ("expiration", "metadata") if name in entry}
        both.check("put", NS + key, entry["value"], options, expect=UNDEFINED)


def check_list(
    both: Both,
    values: list[tuple[str, dict[str, Any]]],
    pages: list[list[dict[str, Any]]],
    *,
    prefix: str = "",
    limit: int | None = None,
) -> None:
    """Miniflare's ``testList``: put ``values``, then expect ``pages`` following cursors.

    The first call passes ``cursor: ""`` (the harness's initial ``lastCursor``);
    every later call follows each side's own cursor.
    """
    put_entries(both, values)
    for index, page in enumerate(pages):
        options: dict[str, Any] = {"prefix": NS + prefix}
        if limit is not None:
            options["limit"] = limit
        options["cursor"] = "" if index == 0 else both.FOLLOW
        result = both.check("list", options=options)
        assert result.kind == "json"
        assert result.value["keys"] == [{**key, "name": NS + key["name"]} for key in page]
        if index == len(pages) - 1:
            assert result.value["list_complete"] is True
            assert "cursor" not in result.value
        else:
            assert result.value["list_complete"] is False
            assert result.value["cursor"] == CURSOR_TEXT  # a non-empty string


# -- get ---------------------------------------------------------------------------


def test_01_get_validates_key(both: Both) -> None:
    validates_key(both, "get", "GET")


def test_02_get_returns_value(both: Both) -> None:
    both.check("put", NS + "key", "value", expect=UNDEFINED)
    both.check("get", NS + "key", expect=text("value"))


def test_03_get_returns_array_buffer_values(both: Both) -> None:
    data = bytes([0, 1, 2, 127, 128, 254, 255])
    both.check("put", NS + "array-buffer-key", both.payload(data, "arrayBuffer"), expect=UNDEFINED)
    both.check("get", NS + "array-buffer-key", options="arrayBuffer", expect=("arrayBuffer", data))


def test_04_get_returns_stream_values(both: Both) -> None:
    data = bytes([255, 0, 10, 20, 30, 200])
    both.check("put", NS + "stream-key", both.payload(data, "blobStream"), expect=UNDEFINED)
    both.check("get", NS + "stream-key", options="stream", expect=("stream", data))


# -- bulk get ----------------------------------------------------------------------


def test_05_bulk_get_returns_value(both: Both) -> None:
    both.check("put", NS + "key1", "value1", expect=UNDEFINED)
    both.check(
        "get",
        [NS + "key1", NS + "key2"],
        expect=bulk((NS + "key1", "value1"), (NS + "key2", None)),
    )


def test_06_bulk_get_check_max_keys(both: Both) -> None:
    both.check("put", NS + "key1", "value1", expect=UNDEFINED)
    both.check(
        "get",
        [f"{NS}key{i}" for i in range(101)],
        expect=error("KV GET_BULK failed: 400 You can request a maximum of 100 keys"),
    )


def test_07_bulk_get_check_minimum_keys(both: Both) -> None:
    both.check(
        "get", [], expect=error("KV GET_BULK failed: 400 You must request a minimum of 1 key")
    )


def test_08_bulk_get_invalid_type(both: Both) -> None:
    both.check(
        "get",
        [NS + "key"],
        options={"type": "invalid"},
        expect=error('KV GET_BULK failed: 400 "invalid" is not a valid type. Use "json" or "text"'),
    )


def test_09_bulk_get_request_json_type(both: Both) -> None:
    both.check("put", NS + "key1", '{"example": "ex"}', expect=UNDEFINED)
    both.check("put", NS + "key2", "example", expect=UNDEFINED)
    both.check("get", [NS + "key1"], expect=bulk((NS + "key1", '{"example": "ex"}')))
    both.check("get", [NS + "key1"], options="json", expect=bulk((NS + "key1", {"example": "ex"})))
    both.check(
        "get",
        [NS + "key1", NS + "key2"],
        options="json",
        expect=error(
            "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a "
            "non-json value"
        ),
    )


def test_10_bulk_get_check_metadata(both: Both) -> None:
    options = {"expiration": TIME_FUTURE, "metadata": {"testing": True}}
    both.check("put", NS + "key1", "value1", options, expect=UNDEFINED)
    both.check("put", NS + "key2", "value2", expect=UNDEFINED)
    both.check(
        "getWithMetadata",
        [NS + "key1", NS + "key2"],
        expect=bulk(
            (NS + "key1", {"value": "value1", "metadata": {"testing": True}}),
            (NS + "key2", {"value": "value2", "metadata": None}),
        ),
    )


def test_11_bulk_get_check_metadata_with_int(both: Both) -> None:
    options = {"expiration": TIME_FUTURE, "metadata": 123}
    both.check("put", NS + "key1", "value1", options, expect=UNDEFINED)
    both.check(
        "getWithMetadata",
        [NS + "key1"],
        expect=bulk((NS + "key1", {"value": "value1", "metadata": 123})),
    )


def test_12_bulk_get_check_metadata_as_string(both: Both) -> None:
    options = {"expiration": TIME_FUTURE, "metadata": "example"}
    both.check("put", NS + "key1", "value1", options, expect=UNDEFINED)
    both.check(
        "getWithMetadata",
        [NS + "key1"],
        expect=bulk((NS + "key1", {"value": "value1", "metadata": "example"})),
    )


def test_13_bulk_get_get_with_metadata_for_404(both: Both) -> None:
    both.check("getWithMetadata", [NS + "key1"], expect=bulk((NS + "key1", None)))


def test_14_bulk_get_over_size_limit(both: Both) -> None:
    # Production-limit version, on the namespace pair that never gets a control op:
    # one value exactly at the 25 MiB put limit and one more byte, read together, so
    # the total is one over the limit. (Two values at the limit, as in the catalogue,
    # fail the same way, but double the time spent on 25 MiB strings.)
    both.check("put", NS + "key1", both.junk(MAX_VALUE, "string"), limits=True, expect=UNDEFINED)
    both.check("put", NS + "key2", "x", limits=True, expect=UNDEFINED)
    both.check(
        "getWithMetadata",
        [NS + "key1", NS + "key2"],
        limits=True,
        expect=error("KV GET_BULK failed: 413 Total size of request exceeds the limit of 25MB"),
    )
    # The catalogue's own test-mode version (limit 1024, "0.0009765625MB"), on
    # Miniflare only: pytest-kv has no test mode.
    oracle = both.oracle
    for key in ("key1", "key2"):
        put = {"op": "put", "key": NS + key, "junk": 1024, "as": "string"}
        assert oracle.run(put) == UNDEFINED
    assert oracle.run({"op": "getWithMetadata", "key": [NS + "key1", NS + "key2"]}) == error(
        "KV GET_BULK failed: 413 Total size of request exceeds the limit of 0.0009765625MB"
    )


def test_15_get_returns_null_for_non_existent_keys(both: Both) -> None:
    both.check("get", NS + "key", expect=NULL)


def test_16_get_returns_null_for_expired_keys(both: Both) -> None:
    both.check("put", NS + "key", "value", {"expirationTtl": 60}, expect=UNDEFINED)
    assert both.check("get", NS + "key") != NULL
    both.advance(60)
    both.check("get", NS + "key", expect=NULL)


def test_17_get_validates_but_ignores_cache_ttl(both: Both) -> None:
    both.check("put", NS + "key", "value", expect=UNDEFINED)
    both.check(
        "get",
        NS + "key",
        options={"cacheTtl": "not a number"},
        expect=error("KV GET failed: 400 Invalid cache_ttl of 0. Cache TTL must be at least 30."),
    )
    both.check(
        "get",
        NS + "key",
        options={"cacheTtl": 10},
        expect=error("KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."),
    )
    both.check("get", NS + "key", options={"cacheTtl": 30}, expect=text("value"))
    both.check("get", NS + "key", options={"cacheTtl": 60}, expect=text("value"))


# -- put ---------------------------------------------------------------------------


def test_18_put_validates_key(both: Both) -> None:
    validates_key(both, "put", "PUT", "value")


def test_19_put_puts_value(both: Both) -> None:
    options = {"expiration": TIME_FUTURE, "metadata": {"testing": True}}
    both.check("put", NS + "key", "value", options, expect=UNDEFINED)
    result = both.check("getWithMetadata", NS + "key")
    assert result.value["value"] == "value"
    assert result.value["metadata"] == {"testing": True}
    listed = both.check("list", options={"prefix": NS})
    assert listed.value["keys"][0]["expiration"] == TIME_FUTURE


def test_20_put_puts_empty_value(both: Both) -> None:
    # Miniflare issue #703.
    both.check("put", NS + "key", "", expect=UNDEFINED)
    both.check("get", NS + "key", expect=text(""))


def test_21_bulk_get_check_metadata_for_falsy_values(both: Both) -> None:
    both.check("put", NS + "key1", "", {"metadata": {"testing": True}}, expect=UNDEFINED)
    both.check(
        "getWithMetadata",
        [NS + "key1"],
        expect=bulk((NS + "key1", {"value": "", "metadata": {"testing": True}})),
    )


def test_22_bulk_get_check_metadata_for_falsy_json_values(both: Both) -> None:
    both.check("put", NS + "key1", "0", {"metadata": {"testing": "zero"}}, expect=UNDEFINED)
    both.check("put", NS + "key2", "false", {"metadata": {"testing": "false"}}, expect=UNDEFINED)
    both.check(
        "getWithMetadata",
        [NS + "key1", NS + "key2"],
        options="json",
        expect=bulk(
            (NS + "key1", {"value": 0, "metadata": {"testing": "zero"}}),
            (NS + "key2", {"value": False, "metadata": {"testing": "false"}}),
        ),
    )


def test_23_put_overrides_existing_keys(both: Both) -> None:
    # The catalogue also checks that the old blob is garbage-collected and the
    # blob_id changes (Miniflare storage internals); only the observable part is ported.
    both.check("put", NS + "key", "value1", expect=UNDEFINED)
    options = {"expiration": TIME_FUTURE, "metadata": {"testing": True}}
    both.check("put", NS + "key", "value2", options, expect=UNDEFINED)
    result = both.check("getWithMetadata", NS + "key")
    assert result.value["value"] == "value2"
    assert result.value["metadata"] == {"testing": True}


def test_24_put_keys_are_case_sensitive(both: Both) -> None:
    both.check("put", NS + "key", "lower", expect=UNDEFINED)
    both.check("put", NS + "KEY", "upper", expect=UNDEFINED)
    both.check("get", NS + "key", expect=text("lower"))
    both.check("get", NS + "KEY", expect=text("upper"))


def test_25_put_validates_expiration_ttl(both: Both) -> None:
    greater_than_0 = (
        "KV PUT failed: 400 Invalid expiration_ttl of 0. Please specify integer greater than 0."
    )
    both.check("put", NS + "key", "value", {"expirationTtl": "nan"}, expect=error(greater_than_0))
    both.check("put", NS + "key", "value", {"expirationTtl": 0}, expect=error(greater_than_0))
    both.check(
        "put",
        NS + "key",
        "value",
        {"expirationTtl": 30},
        expect=error(
            "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
        ),
    )


def test_26_put_validates_expiration(both: Both) -> None:
    def not_after_now(expiration: int) -> tuple[str, Any]:
        return error(
            f"KV PUT failed: 400 Invalid expiration of {expiration}. Please specify integer "
            "greater than the current number of seconds since the UNIX epoch."
        )

    both.check("put", NS + "key", "value", {"expiration": "nan"}, expect=not_after_now(0))
    both.check("put", NS + "key", "value", {"expiration": TIME_NOW}, expect=not_after_now(1000))
    both.check(
        "put",
        NS + "key",
        "value",
        {"expiration": TIME_NOW + 30},
        expect=error(
            "KV PUT failed: 400 Invalid expiration of 1030. Expiration times must be at least "
            "60 seconds in the future."
        ),
    )


def test_27_put_validates_value_size(both: Both) -> None:
    # Production-limit version (25 MiB), on the namespace pair that never gets a
    # control op, with a stream of unknown length as in the catalogue.
    both.check(
        "put",
        NS + "key",
        both.junk(MAX_VALUE + 1, "stream"),
        limits=True,
        expect=error("KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."),
    )
    both.check("put", NS + "key", both.junk(MAX_VALUE, "stream"), limits=True, expect=UNDEFINED)
    # The catalogue's own test-mode version (limit 1024), on Miniflare only.
    oracle = both.oracle
    assert oracle.run({"op": "put", "key": NS + "key", "junk": 1025, "as": "stream"}) == error(
        "KV PUT failed: 413 Value length of 1025 exceeds limit of 1024."
    )
    assert oracle.run({"op": "put", "key": NS + "key", "junk": 1024, "as": "stream"}) == UNDEFINED


def test_28_put_validates_metadata_size(both: Both) -> None:
    # {"key":"x...x"} is 10 bytes of JSON around the string: 1025 bytes in all.
    metadata = {"key": "x" * (1024 - 10 + 1)}
    both.check(
        "put",
        NS + "key",
        both.payload(b"value", "blobStream"),
        {"metadata": metadata},
        expect=error("KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024."),
    )


# -- delete ------------------------------------------------------------------------


def test_29_delete_validates_key(both: Both) -> None:
    validates_key(both, "delete", "DELETE")


def test_30_delete_deletes_existing_keys(both: Both) -> None:
    both.check("put", NS + "key", "value", expect=UNDEFINED)
    assert both.check("get", NS + "key") != NULL
    both.check("delete", NS + "key", expect=UNDEFINED)
    both.check("get", NS + "key", expect=NULL)


def test_31_delete_does_nothing_for_non_existent_keys(both: Both) -> None:
    both.check("delete", NS + "key", expect=UNDEFINED)


# -- list --------------------------------------------------------------------------


def test_32_list_lists_keys_in_sorted_order(both: Both) -> None:
    check_list(
        both,
        [
            ("key3", {"value": "value3"}),
            ("key1", {"value": "value1"}),
            ("key2", {"value": "value2"}),
        ],
        [[{"name": "key1"}, {"name": "key2"}, {"name": "key3"}]],
    )


def test_33_list_lists_keys_matching_prefix(both: Both) -> None:
    check_list(
        both,
        [
            ("section1key1", {"value": "value11"}),
            ("section1key2", {"value": "value12"}),
            ("section2key1", {"value": "value21"}),
        ],
        [[{"name": "section1key1"}, {"name": "section1key2"}]],
        prefix="section1",
    )


def test_34_list_prefix_is_case_sensitive(both: Both) -> None:
    check_list(
        both,
        [
            ("key1", {"value": "lower1"}),
            ("key2", {"value": "lower2 "}),
            ("KEY1", {"value": "upper1"}),
            ("KEY2", {"value": "upper2"}),
        ],
        [[{"name": "KEY1"}, {"name": "KEY2"}]],
        prefix="KEY",
    )


def test_35_list_prefix_permits_special_characters(both: Both) -> None:
    # Each key holds a literal backslash, and "_" and "%" (LIKE wildcards in SQL).
    check_list(
        both,
        [
            ("key\\_%1", {"value": "value1"}),
            ("key\\a", {"value": "bad1"}),
            ("key\\_%2", {"value": "value2"}),
            ("key\\bbb", {"value": "bad2"}),
            ("key\\_%3", {"value": "value3"}),
        ],
        [[{"name": "key\\_%1"}, {"name": "key\\_%2"}, {"name": "key\\_%3"}]],
        prefix="key\\_%",
    )


def test_36_list_lists_keys_with_expiration(both: Both) -> None:
    check_list(
        both,
        [
            ("key1", {"value": "value1", "expiration": TIME_FUTURE}),
            ("key2", {"value": "value2", "expiration": TIME_FUTURE + 100}),
            ("key3", {"value": "value3", "expiration": TIME_FUTURE + 200}),
        ],
        [
            [
                {"name": "key1", "expiration": TIME_FUTURE},
                {"name": "key2", "expiration": TIME_FUTURE + 100},
                {"name": "key3", "expiration": TIME_FUTURE + 200},
            ]
        ],
    )


def test_37_list_lists_keys_with_metadata(both: Both) -> None:
    check_list(
        both,
        [
            ("key1", {"value": "value1", "metadata": {"testing": 1}}),
            ("key2", {"value": "value2", "metadata": {"testing": 2}}),
            ("key3", {"value": "value3", "metadata": {"testing": 3}}),
        ],
        [
            [
                {"name": "key1", "metadata": {"testing": 1}},
                {"name": "key2", "metadata": {"testing": 2}},
                {"name": "key3", "metadata": {"testing": 3}},
            ]
        ],
    )


def test_38_list_lists_keys_with_expiration_and_metadata(both: Both) -> None:
    check_list(
        both,
        [
            ("key1", {"value": "value1", "expiration": TIME_FUTURE, "metadata": {"testing": 1}}),
            (
                "key2",
                {"value": "value2", "expiration": TIME_FUTURE + 100, "metadata": {"testing": 2}},
            ),
            (
                "key3",
                {"value": "value3", "expiration": TIME_FUTURE + 200, "metadata": {"testing": 3}},
            ),
        ],
        [
            [
                {"name": "key1", "expiration": TIME_FUTURE, "metadata": {"testing": 1}},
                {"name": "key2", "expiration": TIME_FUTURE + 100, "metadata": {"testing": 2}},
                {"name": "key3", "expiration": TIME_FUTURE + 200, "metadata": {"testing": 3}},
            ]
        ],
    )


def test_39_list_returns_an_empty_list_with_no_keys(both: Both) -> None:
    check_list(both, [], [[]])


def test_40_list_returns_an_empty_list_with_no_matching_keys(both: Both) -> None:
    check_list(
        both,
        [
            ("key1", {"value": "value1"}),
            ("key2", {"value": "value2"}),
            ("key3", {"value": "value3"}),
        ],
        [[]],
        prefix="none",
    )


def test_41_list_paginates_keys(both: Both) -> None:
    check_list(
        both,
        [
            ("key1", {"value": "value1"}),
            ("key2", {"value": "value2"}),
            ("key3", {"value": "value3"}),
        ],
        [[{"name": "key1"}, {"name": "key2"}], [{"name": "key3"}]],
        limit=2,
    )


def test_42_list_paginates_keys_matching_prefix(both: Both) -> None:
    check_list(
        both,
        [
            ("section1key1", {"value": "value11"}),
            ("section1key2", {"value": "value12"}),
            ("section1key3", {"value": "value13"}),
            ("section2key1", {"value": "value21"}),
        ],
        [[{"name": "section1key1"}, {"name": "section1key2"}], [{"name": "section1key3"}]],
        prefix="section1",
        limit=2,
    )


def test_43_list_accepts_long_prefix(both: Both) -> None:
    # NS + the long key is exactly 512 bytes, the longest key allowed.
    long_key = NS + "x" * (512 - len(NS))
    both.check("put", long_key, "value", expect=UNDEFINED)
    result = both.check("list", options={"prefix": long_key})
    assert result.value["keys"] == [{"name": long_key}]


def test_44_list_paginates_with_variable_limit(both: Both) -> None:
    for key in ("key1", "key2", "key3"):
        both.check("put", NS + key, "value", expect=UNDEFINED)
    first = both.check("list", options={"prefix": NS, "limit": 1})
    assert first.value["keys"] == [{"name": NS + "key1"}]
    assert first.value["list_complete"] is False
    assert first.value["cursor"] == CURSOR_TEXT
    second = both.check("list", options={"prefix": NS, "limit": 2, "cursor": both.FOLLOW})
    assert second.value["keys"] == [{"name": NS + "key2"}, {"name": NS + "key3"}]
    assert second.value["list_complete"] is True


def test_45_list_returns_keys_inserted_whilst_paginating(both: Both) -> None:
    for key in ("key1", "key3", "key5"):
        both.check("put", NS + key, "value", expect=UNDEFINED)
    first = both.check("list", options={"prefix": NS, "limit": 2})
    assert first.value["keys"] == [{"name": NS + "key1"}, {"name": NS + "key3"}]
    assert first.value["list_complete"] is False
    assert first.value["cursor"] == CURSOR_TEXT
    for key in ("key2", "key4"):
        both.check("put", NS + key, "value", expect=UNDEFINED)
    second = both.check("list", options={"prefix": NS, "limit": 2, "cursor": both.FOLLOW})
    # key2 sorts before the cursor, so it is not returned; key4 is.
    assert second.value["keys"] == [{"name": NS + "key4"}, {"name": NS + "key5"}]
    assert second.value["list_complete"] is True


def test_46_list_ignores_expired_keys(both: Both) -> None:
    for i in (1, 2, 3):
        options = {"expiration": TIME_NOW + i * 60}
        both.check("put", f"{NS}key{i}", f"value{i}", options, expect=UNDEFINED)
    both.advance(130)  # now = 1130: key1 (1060) and key2 (1120) have expired
    both.check(
        "list",
        options={"prefix": NS},
        expect=json_value(
            {
                "keys": [{"name": NS + "key3", "expiration": 1180}],
                "list_complete": True,
                "cacheStatus": None,
            }
        ),
    )


def test_47_list_sorts_lexicographically(both: Both) -> None:
    both.check("put", NS + ", ", "value", expect=UNDEFINED)
    both.check("put", NS + "!", "value", expect=UNDEFINED)
    both.check(
        "list",
        options={"prefix": NS},
        expect=json_value(
            {
                "keys": [{"name": NS + "!"}, {"name": NS + ", "}],
                "list_complete": True,
                "cacheStatus": None,
            }
        ),
    )


def test_48_list_validates_limit(both: Both) -> None:
    # No NS prefix here, as in the catalogue. (The runtime only sends a limit > 0.)
    both.check(
        "list",
        options={"limit": 1001},
        expect=error(
            "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer "
            "less than 1000."
        ),
    )


# Cases 49-52 (persists in-memory between options reloads, persists on file-system,
# migrates database to new location, sticky blobs never deleted) test Miniflare's
# storage layer and persistence, which pytest-kv does not have: not ported.


def test_both_helper_keyword_options_and_absent(both: Both) -> None:
    """The helper itself: keyword options on the pytest-kv side mean the same call."""
    both.check("put", NS + "k", '{"a": 1}', {"metadata": {"m": 1}}, keywords=True)
    both.check(
        "get", NS + "k", options={"type": "json"}, keywords=True, expect=json_value({"a": 1})
    )
    assert both.CURSOR_TEXT == CURSOR_TEXT
