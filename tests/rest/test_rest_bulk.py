"""Bulk write, bulk delete (both routes) and bulk get over REST: a rejected request
changes nothing."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testing_support import ManualClock

from pytest_kv import KVApi, KVNamespace


@pytest.fixture
def api() -> KVApi:
    return KVApi(clock=ManualClock(1_000_000.0))


@pytest.fixture
def ns(api: KVApi) -> KVNamespace:
    return api.factory("NS")


def url(api: KVApi, ns: KVNamespace, rest: str) -> str:
    return f"/accounts/{api.account_id}/storage/kv/namespaces/{ns.id}/{rest}"


def test_bulk_write_stores_every_item(api: KVApi, ns: KVNamespace) -> None:
    items = [
        {"key": "a", "value": "1", "expiration_ttl": 60, "metadata": {"x": 1}},
        {"key": "b", "value": base64.b64encode(b"\x00\xff").decode(), "base64": True},
        {"key": "c", "value": "3", "expiration": 1_000_600},
    ]
    answer = api.request("PUT", url(api, ns, "bulk"), json=items)
    assert answer.json()["result"] == {"successful_key_count": 3, "unsuccessful_keys": []}
    assert ns.peek("a").expiration == 1_000_060  # type: ignore[union-attr]
    assert ns.peek("a").metadata == {"x": 1}  # type: ignore[union-attr]
    assert ns.peek("b").value == b"\x00\xff"  # type: ignore[union-attr]
    assert ns.peek("c").expiration == 1_000_600  # type: ignore[union-attr]
    [call] = api.calls(method="bulk_update")
    assert call.key == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("items", "status", "code", "message"),
    [
        ({"key": "a"}, 400, 10001, "Expected array, received object"),
        ([{"key": "a", "value": 1}], 400, 10001, "item 0: 'value' must be a string, got int"),
        ([{"value": "v"}], 400, 10001, "item 0: 'key' must be a string, got None"),
        (
            [{"key": "a", "value": "!", "base64": True}],
            400,
            10001,
            "item 0: 'value' is not valid base64",
        ),
        (
            [{"key": "a", "value": "v", "expiration_ttl": 30}],
            400,
            10034,
            "item 0: Invalid expiration_ttl of 30. Expiration TTL must be at least 60.",
        ),
        (
            [{"key": "k" * 513, "value": "v"}],
            414,
            10030,
            "item 0: UTF-8 encoded length of 513 exceeds key length limit of 512.",
        ),
        ([{"key": "", "value": "v"}], 400, 10029, "item 0: Key names must not be empty"),
        (
            [{"key": "a", "value": "v", "metadata": {"m": "x" * 1100}}],
            413,
            10024,
            "item 0: Metadata length of 1108 exceeds limit of 1024.",
        ),
    ],
)
def test_a_bad_item_rejects_the_whole_write(
    api: KVApi, ns: KVNamespace, items: object, status: int, code: int, message: str
) -> None:
    body = [{"key": "good", "value": "v"}, *items] if isinstance(items, list) else items
    if isinstance(items, list):
        message = message.replace("item 0", "item 1")
    answer = api.request("PUT", url(api, ns, "bulk"), json=body)
    assert (answer.status, answer.json()["errors"]) == (
        status,
        [{"code": code, "message": message}],
    )
    assert ns.keys() == []


def test_bulk_limits(api: KVApi, ns: KVNamespace) -> None:
    too_many = [{"key": f"k{i}", "value": "v"} for i in range(10_001)]
    answer = api.request("PUT", url(api, ns, "bulk"), json=too_many)
    assert answer.json()["errors"][0]["message"] == (
        "You can write a maximum of 10000 key-value pairs per request"
    )
    deletes = api.request("POST", url(api, ns, "bulk/delete"), json=["k"] * 10_001)
    assert deletes.json()["errors"][0]["message"] == (
        "You can delete a maximum of 10000 keys per request"
    )
    bad = api.request("PUT", url(api, ns, "bulk"), body=b"[{")
    assert bad.json()["errors"] == [{"code": 10001, "message": "Malformed JSON in request body"}]
    assert ns.keys() == []


def test_bulk_write_is_all_or_nothing_under_key_rate_limits(api: KVApi) -> None:
    ns = api.factory("RL", rate_limits=True)
    ns.sync.put("b", "old")
    items = [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    assert api.request("PUT", url(api, ns, "bulk"), json=items).status == 429
    assert ns.keys() == ["b"]
    assert ns.peek("b").text == "old"


@pytest.mark.parametrize(("method", "rest"), [("POST", "bulk/delete"), ("DELETE", "bulk")])
def test_bulk_delete_on_both_routes(api: KVApi, ns: KVNamespace, method: str, rest: str) -> None:
    ns.seed({"a": "1", "b": "2", "c": "3"})
    answer = api.request(method, url(api, ns, rest), json=["a", "c", "never"])
    assert answer.json()["result"] == {"successful_key_count": 3, "unsuccessful_keys": []}
    assert ns.keys() == ["b"]
    bad = api.request(method, url(api, ns, rest), json=["b", 5])
    assert bad.json()["errors"] == [
        {"code": 10001, "message": "1: Expected string, received number"}
    ]
    assert ns.keys() == ["b"]


def test_bulk_get_text_json_and_metadata(api: KVApi, ns: KVNamespace) -> None:
    ns.sync.put("a", '{"n": 1}', metadata={"m": 1}, expirationTtl=100)
    ns.sync.put("b", "2")
    plain = api.request("POST", url(api, ns, "bulk/get"), json={"keys": ["a", "b", "zz"]})
    assert plain.json()["result"] == {"values": {"a": '{"n": 1}', "b": "2", "zz": None}}
    typed = api.request(
        "POST",
        url(api, ns, "bulk/get"),
        json={"keys": ["a", "zz"], "type": "json", "withMetadata": True},
    )
    assert typed.json()["result"] == {
        "values": {
            "a": {"value": {"n": 1}, "metadata": {"m": 1}, "expiration": 1_000_100},
            "zz": None,
        }
    }
    numeric = api.request("POST", url(api, ns, "bulk/get"), json={"keys": ["42"]})
    assert numeric.json()["result"] == {"values": {"42": None}}  # not dropped, unlike the binding


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "keys: Required"),
        ({"keys": "x"}, 400, "keys: Expected array, received string"),
        ({"keys": [1]}, 400, "keys.0: Expected string, received number"),
        ({"keys": ["k"] * 101}, 400, "keys: Array must contain at most 100 element(s)"),
        ({"keys": ["k" * 513]}, 400, "keys.0: String must contain at most 512 character(s)"),
        ({"keys": []}, 400, "You must request a minimum of 1 key"),
        (
            {"keys": ["b"], "type": "stream"},
            400,
            '"stream" is not a valid type. Use "json" or "text"',
        ),
        (
            {"keys": ["b"], "withMetadata": "yes"},
            400,
            "withMetadata: Expected boolean, received string",
        ),
        (
            {"keys": ["t"], "type": "json"},
            400,
            "At least one of the requested keys corresponds to a non-json value",
        ),
    ],
)
def test_bulk_get_errors(
    api: KVApi, ns: KVNamespace, body: object, status: int, message: str
) -> None:
    ns.sync.put("t", "not json")
    answer = api.request("POST", url(api, ns, "bulk/get"), json=body)
    assert (answer.status, answer.json()["errors"]) == (
        status,
        [{"code": 10001, "message": message}],
    )


def test_bulk_get_without_a_json_content_type_reads_no_body(api: KVApi, ns: KVNamespace) -> None:
    answer = api.request(
        "POST",
        url(api, ns, "bulk/get"),
        headers={"content-type": "text/plain"},
        body=b'{"keys": ["a"]}',
    )
    assert answer.json()["errors"] == [{"code": 10001, "message": "keys: Required"}]


@settings(max_examples=40, deadline=None)
@given(
    items=st.lists(
        st.fixed_dictionaries(
            {"key": st.sampled_from(["a", "b", "", "k" * 513]), "value": st.sampled_from(["v", 1])},
            optional={"expiration_ttl": st.sampled_from([30, 60, 120])},
        ),
        max_size=5,
    )
)
def test_a_bulk_write_writes_all_or_nothing(items: list[dict[str, object]]) -> None:
    api = KVApi(clock=ManualClock(1_000_000.0))
    ns = api.factory("NS")
    ns.seed({"a": "before"})
    answer = api.request("PUT", url(api, ns, "bulk"), body=json.dumps(items))
    if answer.status == 200:
        written = {item["key"]: item["value"] for item in items}
        assert sorted(ns.keys()) == sorted({"a", *written})
        for key, value in written.items():
            assert ns.peek(str(key)).text == value  # type: ignore[union-attr]
    else:
        assert ns.keys() == ["a"]
        assert ns.peek("a").text == "before"
