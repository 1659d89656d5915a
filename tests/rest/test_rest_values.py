"""Values and metadata over REST: raw bytes, the expiration header, multipart, every
limit with the REST API's error, and one service behind both doors."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testing_support import ManualClock

from pytest_kv import KVApi, KVNamespace


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_000_000.0)


@pytest.fixture
def api(clock: ManualClock) -> KVApi:
    return KVApi(clock=clock)


@pytest.fixture
def ns(api: KVApi) -> KVNamespace:
    return api.factory("FLAGS")


def path(api: KVApi, ns: KVNamespace, rest: str) -> str:
    return f"/accounts/{api.account_id}/storage/kv/namespaces/{ns.id}/{rest}"


def errors(answer: object) -> list[dict[str, object]]:
    document = answer.json()  # type: ignore[attr-defined]
    assert document["success"] is False
    assert document["messages"] == []
    assert document["result"] is None
    return list(document["errors"])


def multipart(value: bytes, metadata: str | None = None) -> tuple[dict[str, str], bytes]:
    boundary = "b0undary"
    parts = [
        b'--b0undary\r\nContent-Disposition: form-data; name="value"; filename="upload"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + value + b"\r\n"
    ]
    if metadata is not None:
        parts.append(
            b'--b0undary\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n'
            + metadata.encode()
            + b"\r\n"
        )
    body = b"".join(parts) + b"--b0undary--\r\n"
    return {"content-type": f"multipart/form-data; boundary={boundary}"}, body


def test_a_raw_put_is_read_back_byte_for_byte_with_its_expiration(
    api: KVApi, ns: KVNamespace
) -> None:
    answer = api.request("PUT", path(api, ns, "values/k?expiration_ttl=120"), body=b"\x00\xff")
    assert answer.status == 200
    assert answer.json() == {"success": True, "errors": [], "messages": [], "result": {}}
    read = api.request("GET", path(api, ns, "values/k"))
    assert (read.status, read.body) == (200, b"\x00\xff")
    assert read.headers["content-type"] == "application/octet-stream"
    assert read.headers["expiration"] == str(1_000_000 + 120)


def test_a_value_without_expiration_has_no_expiration_header(api: KVApi, ns: KVNamespace) -> None:
    ns.sync.put("k", "v")
    assert "expiration" not in api.request("GET", path(api, ns, "values/k")).headers


def test_a_missing_key_is_404_10009(api: KVApi, ns: KVNamespace) -> None:
    answer = api.request("GET", path(api, ns, "values/nope"))
    assert answer.status == 404
    assert errors(answer) == [{"code": 10009, "message": "get: 'key not found'"}]
    [call] = api.calls(method="values.get")
    assert (call.outcome, call.error, call.location) == ("miss", None, "central")


def test_an_unknown_namespace_is_404_10013_with_the_operation(api: KVApi) -> None:
    base = f"/accounts/{api.account_id}/storage/kv/namespaces/nope"
    for method, rest, text in [
        ("GET", "values/k", "get"),
        ("PUT", "values/k", "put"),
        ("DELETE", "values/k", "remove key"),
        ("GET", "metadata/k", "get metadata"),
        ("GET", "keys", "list keys"),
    ]:
        answer = api.request(method, f"{base}/{rest}")
        assert answer.status == 404
        assert errors(answer) == [{"code": 10013, "message": f"{text}: 'namespace not found'"}]


def test_a_multipart_put_stores_value_and_metadata_for_the_binding(
    api: KVApi, ns: KVNamespace
) -> None:
    headers, body = multipart(b"on", '{"owner": "ada"}')
    url = path(api, ns, "values/flag?expiration=1000600")
    assert api.request("PUT", url, headers=headers, body=body).status == 200
    assert ns.sync.getWithMetadata("flag") == {
        "value": "on",
        "metadata": {"owner": "ada"},
        "cacheStatus": None,
    }
    assert ns.peek("flag").expiration == 1_000_600  # type: ignore[union-attr]
    meta = api.request("GET", path(api, ns, "metadata/flag"))
    assert meta.json()["result"] == {"owner": "ada"}


def test_binding_writes_are_read_over_rest_with_metadata_and_expiration(
    api: KVApi, ns: KVNamespace
) -> None:
    ns.sync.put("k", "v", expirationTtl=300, metadata={"m": [1, 2]})
    read = api.request("GET", path(api, ns, "values/k"))
    assert (read.body, read.headers["expiration"]) == (b"v", "1000300")
    assert api.request("GET", path(api, ns, "metadata/k")).json()["result"] == {"m": [1, 2]}


def test_metadata_of_a_key_without_metadata_is_null_and_of_a_missing_key_404(
    api: KVApi, ns: KVNamespace
) -> None:
    ns.sync.put("plain", "v")
    assert api.request("GET", path(api, ns, "metadata/plain")).json()["result"] is None
    missing = api.request("GET", path(api, ns, "metadata/nope"))
    assert missing.status == 404
    assert errors(missing)[0]["code"] == 10009


def test_multipart_errors_are_the_explorers(api: KVApi, ns: KVNamespace) -> None:
    headers = {"content-type": "multipart/form-data; boundary=x"}
    body = b'--x\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{}\r\n--x--\r\n'
    answer = api.request("PUT", path(api, ns, "values/k"), headers=headers, body=body)
    assert (answer.status, errors(answer)) == (
        400,
        [{"code": 10001, "message": "Missing value field"}],
    )
    headers, body = multipart(b"v", "{not json")
    answer = api.request("PUT", path(api, ns, "values/k"), headers=headers, body=body)
    assert errors(answer) == [{"code": 10001, "message": "Invalid metadata JSON"}]
    assert ns.keys() == []


@pytest.mark.parametrize(
    ("query", "status", "code", "message"),
    [
        (
            "expiration_ttl=30",
            400,
            10034,
            "Invalid expiration_ttl of 30. Expiration TTL must be at least 60.",
        ),
        (
            "expiration_ttl=None",
            400,
            10034,
            "Invalid expiration_ttl of None. Please specify integer greater than 0.",
        ),
        (
            "expiration_ttl=0",
            400,
            10034,
            "Invalid expiration_ttl of 0. Please specify integer greater than 0.",
        ),
        (
            "expiration=1000030",
            400,
            10033,
            (
                "Invalid expiration of 1000030. Expiration times must be at "
                "least 60 seconds in the future."
            ),
        ),
        (
            "expiration=None",
            400,
            10033,
            (
                "Invalid expiration of None. Please specify integer greater "
                "than the current number of seconds since the UNIX epoch."
            ),
        ),
        (
            "expiration=999",
            400,
            10033,
            (
                "Invalid expiration of 999. Please specify integer greater "
                "than the current number of seconds since the UNIX epoch."
            ),
        ),
    ],
)
def test_bad_expirations_are_refused_with_the_services_text(
    api: KVApi, ns: KVNamespace, query: str, status: int, code: int, message: str
) -> None:
    answer = api.request("PUT", path(api, ns, f"values/k?{query}"), body=b"v")
    assert (answer.status, errors(answer)) == (status, [{"code": code, "message": message}])
    assert ns.keys() == []


def test_the_ttl_wins_and_expiration_is_then_not_checked(api: KVApi, ns: KVNamespace) -> None:
    url = path(api, ns, "values/k?expiration=None&expiration_ttl=120")
    assert api.request("PUT", url, body=b"v").status == 200
    assert ns.peek("k").expiration == 1_000_120  # type: ignore[union-attr]


def test_size_limits_are_413_and_414(api: KVApi, ns: KVNamespace) -> None:
    long_key = quote("k" * 513)
    answer = api.request("PUT", path(api, ns, f"values/{long_key}"), body=b"v")
    assert (answer.status, errors(answer)) == (
        414,
        [
            {
                "code": 10030,
                "message": "UTF-8 encoded length of 513 exceeds key length limit of 512.",
            }
        ],
    )
    big = api.request("PUT", path(api, ns, "values/k"), body=b"x" * (25 * 1024 * 1024 + 1))
    assert (big.status, errors(big)[0]["message"]) == (
        413,
        "Value length of 26214401 exceeds limit of 26214400.",
    )
    headers, body = multipart(b"v", json.dumps({"m": "x" * 1100}))
    meta = api.request("PUT", path(api, ns, "values/k"), headers=headers, body=body)
    assert (meta.status, errors(meta)[0]) == (
        413,
        {"code": 10024, "message": "Metadata length of 1108 exceeds limit of 1024."},
    )
    assert ns.keys() == []


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        ("", "Key names must not be empty"),
        (".", 'Illegal key name ".". Please use a different name.'),
        ("%2E%2E", 'Illegal key name "..". Please use a different name.'),
        ("%ED%A0%80", "Could not URL-decode key name"),
    ],
)
def test_bad_key_names_are_400(api: KVApi, ns: KVNamespace, segment: str, message: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        answer = api.request(method, path(api, ns, f"values/{segment}"), body=b"v")
        assert (answer.status, errors(answer)) == (400, [{"code": 10029, "message": message}])


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=40).filter(lambda n: n not in (".", "..")))
def test_any_key_round_trips_through_url_encoding(name: str) -> None:
    api = KVApi(clock=ManualClock(1_000_000.0))
    ns = api.factory("NS")
    from pytest_kv.kv.keys import key_of

    if not key_of(name).well_formed:
        return  # a lone surrogate cannot be written in a URL
    encoded = quote(name, safe="")
    assert api.request("PUT", path(api, ns, f"values/{encoded}"), body=b"v").status == 200
    assert ns.keys() == [key_of(name).name]
    assert api.request("GET", path(api, ns, f"values/{encoded}")).body == b"v"
    assert api.request("DELETE", path(api, ns, f"values/{encoded}")).status == 200
    assert ns.keys() == []


def test_a_key_written_with_raw_slashes_names_the_rest_of_the_path(
    api: KVApi, ns: KVNamespace
) -> None:
    assert api.request("PUT", path(api, ns, "values/a/b"), body=b"v").status == 200
    assert ns.keys() == ["a/b"]


def test_non_multipart_bodies_are_stored_verbatim(api: KVApi, ns: KVNamespace) -> None:
    for content_type in ("application/json", "application/x-www-form-urlencoded", "text/plain"):
        body = b'{"a": 1}&x=y'
        url = path(api, ns, "values/k")
        assert (
            api.request("PUT", url, headers={"content-type": content_type}, body=body).status == 200
        )
        assert ns.peek("k").value == body  # type: ignore[union-attr]


def test_delete_succeeds_for_a_missing_key(api: KVApi, ns: KVNamespace) -> None:
    ns.sync.put("k", "v")
    assert api.request("DELETE", path(api, ns, "values/k")).json()["result"] == {}
    assert api.request("DELETE", path(api, ns, "values/k")).status == 200
    assert ns.keys() == []


def test_expired_keys_are_missing_on_the_fake_clock(
    api: KVApi, ns: KVNamespace, clock: ManualClock
) -> None:
    api.request("PUT", path(api, ns, "values/k?expiration_ttl=60"), body=b"v")
    clock.advance(59)
    assert api.request("GET", path(api, ns, "values/k")).status == 200
    clock.advance(1)
    assert api.request("GET", path(api, ns, "values/k")).status == 404


def test_read_only_and_key_rate_limits_cover_rest_writes(clock: ManualClock) -> None:
    api = KVApi(clock=clock)
    frozen = api.factory("RO", read_only=True)
    answer = api.request("PUT", path(api, frozen, "values/k"), body=b"v")
    assert answer.status == 405
    limited = api.factory("RL", rate_limits=True)
    assert api.request("PUT", path(api, limited, "values/k"), body=b"1").status == 200
    second = api.request("PUT", path(api, limited, "values/k"), body=b"2")
    assert (second.status, errors(second)) == (
        429,
        [{"code": 10429, "message": "Too Many Requests"}],
    )
    assert limited.peek("k").text == "1"  # type: ignore[union-attr]


def test_faults_of_the_binding_cover_rest_calls_of_the_same_kind(
    api: KVApi, ns: KVNamespace
) -> None:
    ns.sync.put("k", "v")
    ns.fail_next("get", status=503)
    answer = api.request("GET", path(api, ns, "values/k"))
    assert (answer.status, errors(answer)) == (
        503,
        [{"code": 10000, "message": "Service Unavailable"}],
    )
    assert api.request("GET", path(api, ns, "values/k")).status == 200
    api.fail("values.update", key="k*")
    assert api.request("PUT", path(api, ns, "values/other"), body=b"x").status == 200
    assert api.request("PUT", path(api, ns, "values/k2"), body=b"x").status == 500
    assert ns.sync.get("k") == "v"  # a REST-only rule leaves the binding alone
    api.fail("get", error=TimeoutError("slow"))
    failed = api.request("GET", path(api, ns, "values/k"))
    assert (failed.status, errors(failed)[0]["message"]) == (500, "slow")


def test_every_rest_call_is_in_the_namespaces_log_at_central(api: KVApi, ns: KVNamespace) -> None:
    api.request("PUT", path(api, ns, "values/k?expiration_ttl=60"), body=b"v")
    api.request("PUT", path(api, ns, "values/k?expiration_ttl=6"), body=b"v")
    ns.sync.get("k")
    calls = ns.calls
    assert [(c.location, c.method, c.key) for c in calls] == [
        ("central", "values.update", "k"),
        ("central", "values.update", "k"),
        ("local", "get", "k"),
    ]
    assert calls[0].options == {"expiration_ttl": "60"}
    assert calls[1].outcome.startswith("400 Invalid expiration_ttl of 6.")
    assert calls[1].error.code == 10034  # type: ignore[union-attr]


@settings(max_examples=80, deadline=None)
@given(value=st.binary(max_size=200), metadata=st.none() | st.text(max_size=20))
def test_multipart_bodies_as_httpx_builds_them_parse_to_their_parts(
    value: bytes, metadata: str | None
) -> None:
    import httpx

    from pytest_kv.rest.multipart import parse

    fields = {} if metadata is None else {"metadata": metadata}
    request = httpx.Request(
        "PUT",
        "https://api.cloudflare.com/",
        files={"value": ("upload", value, "application/octet-stream")},
        data=fields,
    )
    parts = parse(request.headers["content-type"], request.read())
    assert parts["value"] == value
    assert parts.get("metadata") == (None if metadata is None else metadata.encode())
