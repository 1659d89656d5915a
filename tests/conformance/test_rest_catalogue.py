"""Miniflare's REST test catalogue (``test/plugins/local-explorer/kv.spec.ts`` and the
KV cases of ``index.spec.ts``; miniflare-kv.md 3.C and 3.D), ported: each case runs on
pytest-kv's REST API and on Miniflare's local explorer, and both answers must be the
same (status, envelope, error codes and messages, raw value bytes)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

if TYPE_CHECKING:
    from explorer_support import RestBoth

pytestmark = pytest.mark.conformance

NS = "/storage/kv/namespaces"
T = f"{NS}/test-kv-id"


def put(both: RestBoth, key: str, value: bytes) -> None:
    both.check("PUT", f"{T}/values/{quote(key, safe='')}", body=value)


# -- kv.spec.ts --------------------------------------------------------------------


def test_01_lists_all_available_kv_namespaces(rest_both: RestBoth) -> None:
    answer = rest_both.check("GET", NS)
    assert answer.status == 200
    assert {"id": "test-kv-id", "title": "TEST_KV"} in answer.body["result"]
    assert answer.body["result_info"]["count"] == 3


def test_02_sorts_namespaces_by_id(rest_both: RestBoth) -> None:
    ids = [ns["id"] for ns in rest_both.check("GET", NS).body["result"]]
    assert ids == ["another-kv-id", "test-kv-id", "zebra-kv-id"]
    desc = [ns["id"] for ns in rest_both.check("GET", f"{NS}?direction=desc").body["result"]]
    assert desc == ["zebra-kv-id", "test-kv-id", "another-kv-id"]


def test_03_sorts_namespaces_by_title(rest_both: RestBoth) -> None:
    answer = rest_both.check("GET", f"{NS}?order=title&direction=desc")
    assert [ns["title"] for ns in answer.body["result"]] == ["ZEBRA_KV", "TEST_KV", "ANOTHER_KV"]


def test_04_lists_keys_in_a_namespace(rest_both: RestBoth) -> None:
    put(rest_both, "test-key-1", b"value1")
    put(rest_both, "test-key-2", b"value2")
    names = [key["name"] for key in rest_both.check("GET", f"{T}/keys").body["result"]]
    assert names == ["test-key-1", "test-key-2"]


def test_05_respects_limit_parameter(rest_both: RestBoth) -> None:
    for i in range(15):
        put(rest_both, f"limit-test-{i}", b"v")
    answer = rest_both.check("GET", f"{T}/keys?limit=10")
    assert answer.body["success"] is True
    assert answer.body["result_info"]["count"] == 10


def test_06_returns_404_for_non_existent_namespace(rest_both: RestBoth) -> None:
    answer = rest_both.check("GET", f"{NS}/NON_EXISTENT/keys")
    assert answer.status == 404
    assert answer.body["errors"][0]["code"] == 10013


def test_07_filters_keys_by_prefix(rest_both: RestBoth) -> None:
    for key in ("users:alice", "users:bob", "posts:first"):
        put(rest_both, key, b"v")
    answer = rest_both.check("GET", f"{T}/keys?prefix=users:")
    assert [key["name"] for key in answer.body["result"]] == ["users:alice", "users:bob"]


def test_08_returns_exact_prefix_match(rest_both: RestBoth) -> None:
    put(rest_both, "exact-match", b"v")
    put(rest_both, "exact-match-extended", b"v")
    answer = rest_both.check("GET", f"{T}/keys?prefix=exact-match")
    assert answer.body["result_info"]["count"] == 2


def test_09_returns_empty_result_for_non_matching_prefix(rest_both: RestBoth) -> None:
    put(rest_both, "something", b"v")
    answer = rest_both.check("GET", f"{T}/keys?prefix=nonexistent-prefix-xyz")
    assert answer.body["result"] == []


def test_10_returns_value_for_existing_key(rest_both: RestBoth) -> None:
    put(rest_both, "get-test-key", b"test-value-123")
    answer = rest_both.check("GET", f"{T}/values/get-test-key")
    assert (answer.status, answer.kind, answer.body) == (200, "raw", b"test-value-123")


def test_11_returns_404_for_non_existent_key(rest_both: RestBoth) -> None:
    answer = rest_both.check("GET", f"{T}/values/non-existent-key")
    assert (answer.status, answer.body["errors"][0]["code"]) == (404, 10009)


def test_12_values_get_404_for_non_existent_namespace(rest_both: RestBoth) -> None:
    answer = rest_both.check("GET", f"{NS}/NON_EXISTENT/values/k")
    assert answer.body["errors"][0]["code"] == 10013


def test_13_handles_url_encoded_key_names(rest_both: RestBoth) -> None:
    put(rest_both, "key:with:colons", b"special-value")
    answer = rest_both.check("GET", f"{T}/values/{quote('key:with:colons', safe='')}")
    assert answer.body == b"special-value"


def test_14_returns_raw_bytes_for_array_buffer_values(rest_both: RestBoth) -> None:
    data = bytes([0, 1, 2, 127, 128, 254, 255])
    put(rest_both, "binary", data)
    assert rest_both.check("GET", f"{T}/values/binary").body == data


def test_15_writes_a_new_value(rest_both: RestBoth) -> None:
    answer = rest_both.check("PUT", f"{T}/values/put-test-key", body=b"new-value")
    assert answer.body["success"] is True
    assert rest_both.check("GET", f"{T}/values/put-test-key").body == b"new-value"


def test_16_overwrites_existing_value(rest_both: RestBoth) -> None:
    put(rest_both, "overwrite", b"old-value")
    put(rest_both, "overwrite", b"updated-value")
    assert rest_both.check("GET", f"{T}/values/overwrite").body == b"updated-value"


def test_17_values_put_404_for_non_existent_namespace(rest_both: RestBoth) -> None:
    answer = rest_both.check("PUT", f"{NS}/NON_EXISTENT/values/k", body=b"v")
    assert answer.body["errors"][0]["code"] == 10013


def test_18_writes_streamed_binary_values(rest_both: RestBoth) -> None:
    data = bytes([255, 0, 10, 20, 30, 200])
    headers = {"content-type": "application/octet-stream"}
    rest_both.check("PUT", f"{T}/values/stream", headers=headers, body=data)
    assert rest_both.check("GET", f"{T}/values/stream").body == data


def test_19_deletes_an_existing_key(rest_both: RestBoth) -> None:
    put(rest_both, "to-delete", b"v")
    assert rest_both.check("DELETE", f"{T}/values/to-delete").body["success"] is True
    assert rest_both.check("GET", f"{T}/values/to-delete").status == 404


def test_20_delete_succeeds_even_if_key_does_not_exist(rest_both: RestBoth) -> None:
    assert rest_both.check("DELETE", f"{T}/values/never-existed").body["success"] is True


def test_21_values_delete_404_for_non_existent_namespace(rest_both: RestBoth) -> None:
    answer = rest_both.check("DELETE", f"{NS}/NON_EXISTENT/values/k")
    assert answer.body["errors"][0]["code"] == 10013


def test_22_deletes_url_encoded_key_names(rest_both: RestBoth) -> None:
    put(rest_both, "delete:key:with:colons", b"v")
    rest_both.check("DELETE", f"{T}/values/{quote('delete:key:with:colons', safe='')}")
    assert rest_both.check("GET", f"{T}/keys").body["result"] == []


def bulk_get(rest_both: RestBoth, path: str, keys: list[str]) -> object:
    import json

    headers = {"content-type": "application/json"}
    body = json.dumps({"keys": keys}).encode()
    return rest_both.check("POST", f"{path}/bulk/get", headers=headers, body=body)


def test_23_bulk_get_returns_values_and_null_for_missing_keys(rest_both: RestBoth) -> None:
    for i in (1, 2, 3):
        put(rest_both, f"bulk-key-{i}", f"value-{i}".encode())
    answer = bulk_get(rest_both, T, ["bulk-key-1", "bulk-key-2", "bulk-key-3", "non-existent-key"])
    assert answer.body["result"]["values"] == {  # type: ignore[attr-defined]
        "bulk-key-1": "value-1",
        "bulk-key-2": "value-2",
        "bulk-key-3": "value-3",
        "non-existent-key": None,
    }


def test_24_bulk_get_of_only_missing_keys_succeeds(rest_both: RestBoth) -> None:
    answer = bulk_get(rest_both, T, ["missing-1", "missing-2"])
    assert answer.body["success"] is True  # type: ignore[attr-defined]
    assert answer.body["result"]["values"] == {"missing-1": None, "missing-2": None}  # type: ignore[attr-defined]


def test_25_bulk_get_404_for_non_existent_namespace(rest_both: RestBoth) -> None:
    answer = bulk_get(rest_both, f"{NS}/NON_EXISTENT", ["k"])
    assert answer.body["errors"][0]["code"] == 10013  # type: ignore[attr-defined]


def test_26_multipart_writes_store_metadata(rest_both: RestBoth) -> None:
    headers = {"content-type": "multipart/form-data; boundary=XyZ"}
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="value"\r\n\r\nflag-on\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{"owner":"ada"}\r\n'
        b"--XyZ--\r\n"
    )
    rest_both.check("PUT", f"{T}/values/flag", headers=headers, body=body)
    assert rest_both.check("GET", f"{T}/keys").body["result"] == [
        {"name": "flag", "metadata": {"owner": "ada"}}
    ]
    no_value = b'--XyZ\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{}\r\n--XyZ--\r\n'
    answer = rest_both.check("PUT", f"{T}/values/k", headers=headers, body=no_value)
    assert answer.body["errors"] == [{"code": 10001, "message": "Missing value field"}]
    bad = body.replace(b'{"owner":"ada"}', b"{not json")
    answer = rest_both.check("PUT", f"{T}/values/k", headers=headers, body=bad)
    assert answer.body["errors"] == [{"code": 10001, "message": "Invalid metadata JSON"}]


# -- index.spec.ts (the KV validation cases) ------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "limit=not-a-number",
            ('limit: Expected query param to be number but received "not-a-number"'),
        ),
        ("limit=0", "limit: Number must be greater than or equal to 10"),
        ("limit=1001", "limit: Number must be less than or equal to 1000"),
        ("limit=invalid", 'limit: Expected query param to be number but received "invalid"'),
    ],
)
def test_validation_of_the_keys_limit(rest_both: RestBoth, query: str, message: str) -> None:
    answer = rest_both.check("GET", f"{T}/keys?{query}")
    assert answer.status == 400
    assert answer.body == {
        "success": False,
        "errors": [{"code": 10001, "message": message}],
        "messages": [],
        "result": None,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"keys": "not-an-array"}', "keys: Expected array, received string"),
        (b"{}", "keys: Required"),
    ],
)
def test_validation_of_bulk_get(rest_both: RestBoth, body: bytes, message: str) -> None:
    headers = {"content-type": "application/json"}
    answer = rest_both.check("POST", f"{T}/bulk/get", headers=headers, body=body)
    assert (answer.status, answer.body["errors"]) == (400, [{"code": 10001, "message": message}])


def test_list_keys_of_an_unknown_namespace(rest_both: RestBoth) -> None:
    answer = rest_both.check("GET", f"{NS}/non-existent-id/keys")
    assert answer.body["errors"] == [{"code": 10013, "message": "list keys: 'namespace not found'"}]
