"""Single-key get and getWithMetadata: types, call forms, cacheTtl, misses."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_kv import JsDict, KVError, KVNamespace, KVStream, KVSyntaxError, KVTypeError

pytestmark = pytest.mark.anyio

UNKNOWN_TYPE = (
    'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
)


async def test_text_is_the_default(ns: KVNamespace) -> None:
    await ns.put("key", "value")
    assert await ns.get("key") == "value"
    assert await ns.get("key", "text") == "value"


async def test_missing_key_is_none_for_every_type(ns: KVNamespace) -> None:
    for response_type in ("text", "json", "arrayBuffer", "stream"):
        assert await ns.get("missing", response_type) is None


@pytest.mark.parametrize(
    "call",
    [
        lambda ns: ns.get("k", "json"),
        lambda ns: ns.get("k", type="json"),
        lambda ns: ns.get("k", {"type": "json"}),
        lambda ns: ns.get("k", {"type": "json", "cacheTtl": 60}),
        lambda ns: ns.get("k", type="json", cacheTtl=60),
    ],
    ids=["positional", "keyword", "dict", "dict+cacheTtl", "keywords+cacheTtl"],
)
async def test_every_call_form_of_the_sdk_reads_json(ns: KVNamespace, call: Any) -> None:
    await ns.put("k", '{"a": [1, 2.5, null, true]}')
    assert await call(ns) == {"a": [1, 2.5, None, True]}


@pytest.mark.parametrize("options", [None, {}], ids=["None", "empty dict"])
async def test_none_and_empty_options_mean_text(ns: KVNamespace, options: Any) -> None:
    await ns.put("k", "v")
    assert await ns.get("k", options) == "v"


async def test_json_objects_are_jsdicts_with_attribute_access(ns: KVNamespace) -> None:
    await ns.put("k", '{"user": {"name": "Ada"}, "keys": 3}')
    result = await ns.get("k", "json")
    assert isinstance(result, JsDict)
    assert result.user.name == "Ada"
    assert result["keys"] == 3
    assert callable(result.keys)  # dict methods win over keys, as in production


async def test_json_numbers_follow_pyodide(ns: KVNamespace) -> None:
    await ns.put("k", "[1.0, 1.5, 9007199254740993, -0]")
    values = await ns.get("k", "json")
    assert values == [1, 1.5, 9007199254740992.0, 0]
    assert [type(v) for v in values] == [int, float, float, int]


async def test_json_on_a_non_json_value_is_a_syntax_error(ns: KVNamespace) -> None:
    await ns.put("k", "value")
    with pytest.raises(KVSyntaxError) as info:
        await ns.get("k", "json")
    assert str(info.value) == "Unexpected token 'v', \"value\" is not valid JSON"
    assert isinstance(info.value, ValueError)


async def test_json_on_an_empty_value(ns: KVNamespace) -> None:
    await ns.put("k", "")
    assert await ns.get("k") == ""
    with pytest.raises(KVSyntaxError, match=r"^Unexpected end of JSON input$"):
        await ns.get("k", "json")


async def test_array_buffer_is_a_writable_memoryview_copy(ns: KVNamespace) -> None:
    data = bytes([0, 1, 2, 127, 128, 254, 255])
    await ns.put("k", data)
    view = await ns.get("k", "arrayBuffer")
    assert isinstance(view, memoryview)
    assert view.tobytes() == data
    view[0] = 9
    assert (await ns.get("k", "arrayBuffer")).tobytes() == data


async def test_stream_reads_the_bytes_once(ns: KVNamespace) -> None:
    data = bytes([255, 0, 10, 20, 30, 200])
    await ns.put("k", data)
    stream = await ns.get("k", "stream")
    assert isinstance(stream, KVStream)
    assert b"".join([chunk async for chunk in stream]) == data
    assert await stream.read() == b""


async def test_invalid_utf8_reads_as_replacement_characters(ns: KVNamespace) -> None:
    await ns.put("k", bytes([0xFF, 0x41]))
    assert await ns.get("k") == "\ufffdA"


async def test_unknown_type_errors_only_for_an_existing_key(ns: KVNamespace) -> None:
    assert await ns.get("missing", "banana") is None
    await ns.put("present", "v")
    with pytest.raises(KVTypeError) as info:
        await ns.get("present", "banana")
    assert str(info.value) == UNKNOWN_TYPE


async def test_types_are_case_sensitive(ns: KVNamespace) -> None:
    await ns.put("k", "1")
    with pytest.raises(KVTypeError, match="Unknown response type"):
        await ns.get("k", "JSON")


@pytest.mark.parametrize(
    ("cache_ttl", "reported"),
    [(29, 29), (10, 10), (0, 0), (-1, -1), ("abc", 0), ("not a number", 0), (None, 0), (29.9, 29)],
)
async def test_cache_ttl_below_30_is_rejected_even_for_a_miss(
    ns: KVNamespace, cache_ttl: object, reported: int
) -> None:
    message = f"KV GET failed: 400 Invalid cache_ttl of {reported}. Cache TTL must be at least 30."
    for key in ("missing", "present"):
        await ns.put("present", "v")
        with pytest.raises(KVError) as info:
            await ns.get(key, cacheTtl=cache_ttl)
        assert str(info.value) == message
        assert info.value.status == 400
    with pytest.raises(KVError, match="Invalid cache_ttl"):
        await ns.getWithMetadata("present", {"cacheTtl": cache_ttl})


@pytest.mark.parametrize("cache_ttl", [30, 30.5, "45", 60, 3600, 2147483647])
async def test_valid_cache_ttls_are_accepted(ns: KVNamespace, cache_ttl: object) -> None:
    await ns.put("k", "v")
    assert await ns.get("k", cacheTtl=cache_ttl) == "v"


@pytest.mark.parametrize("cache_ttl", [2147483648, 2147483647.5, -2147483649, 1e10])
async def test_cache_ttl_outside_int32_is_a_type_error(ns: KVNamespace, cache_ttl: object) -> None:
    with pytest.raises(KVTypeError) as info:
        await ns.get("k", {"cacheTtl": cache_ttl})
    assert str(info.value) == (
        "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."
    )


async def test_misspelled_options_name_the_right_spelling(ns: KVNamespace) -> None:
    with pytest.raises(KVTypeError) as info:
        await ns.get("k", cache_ttl=60)
    assert "unknown option 'cache_ttl'; did you mean 'cacheTtl'?" in str(info.value)
    assert "silently ignores" in str(info.value)
    with pytest.raises(KVTypeError, match="did you mean 'type'"):
        await ns.get("k", {"typ": "json"})


async def test_keyword_options_next_to_a_positional_type_are_an_error(ns: KVNamespace) -> None:
    with pytest.raises(KVTypeError, match="cannot be combined with a positional options"):
        await ns.get("k", "json", cacheTtl=60)


async def test_get_with_metadata_shape(ns: KVNamespace) -> None:
    await ns.put("k", "v", metadata={"testing": True})
    await ns.put("plain", "v")
    assert await ns.getWithMetadata("k") == {
        "value": "v",
        "metadata": {"testing": True},
        "cacheStatus": None,
    }
    result = await ns.getWithMetadata("plain")
    assert result == {"value": "v", "metadata": None, "cacheStatus": None}
    assert list(result) == ["value", "metadata", "cacheStatus"]
    assert result.cacheStatus is None


async def test_get_with_metadata_for_a_missing_key(ns: KVNamespace) -> None:
    result = await ns.getWithMetadata("missing")
    assert result == {"value": None, "metadata": None, "cacheStatus": None}
    assert isinstance(result, JsDict)


async def test_get_with_metadata_types(ns: KVNamespace) -> None:
    await ns.put("k", "[1]", metadata="m")
    assert (await ns.getWithMetadata("k", "json")).value == [1]
    assert (await ns.getWithMetadata("k", type="arrayBuffer")).value.tobytes() == b"[1]"
    assert (await ns.getWithMetadata("k", {"type": "text"})).metadata == "m"


async def test_results_are_fresh_objects(ns: KVNamespace) -> None:
    await ns.put("k", '{"a": 1}', metadata={"m": [1]})
    first = await ns.getWithMetadata("k", "json")
    first.value["a"] = 2
    first.metadata["m"].append(2)
    assert await ns.getWithMetadata("k", "json") == {
        "value": {"a": 1},
        "metadata": {"m": [1]},
        "cacheStatus": None,
    }


async def test_the_binding_behaves_like_the_runtime_object(ns: KVNamespace) -> None:
    assert bool(ns) is True
    with pytest.raises(TypeError, match=r"'KvNamespace' object has no len\(\)"):
        len(ns)
    with pytest.raises(TypeError, match="'KvNamespace' object is not iterable"):
        iter(ns)
