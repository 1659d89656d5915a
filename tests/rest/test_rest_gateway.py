"""What the API gateway answers before KV: credentials, routes, methods, the
account-wide rate limit, and eventual consistency behind the REST door."""

from __future__ import annotations

import pytest
from testing_support import MovableClock

from pytest_kv import KVApi

NS = "/accounts/{account_id}/storage/kv/namespaces"


def test_requests_without_credentials_are_400_9106() -> None:
    api = KVApi()
    answer = api.request("GET", NS, headers={"x-auth-email": "me@example.com"})
    assert answer.status == 400
    assert answer.json() == {
        "success": False,
        "errors": [
            {"code": 9106, "message": "Missing X-Auth-Key, X-Auth-Email or Authorization headers"}
        ],
        "messages": [],
        "result": None,
    }


def test_any_credential_is_accepted_by_default() -> None:
    api = KVApi()
    assert api.request("GET", NS, headers={"authorization": "Bearer anything"}).status == 200
    key = {"x-auth-key": "k", "x-auth-email": "me@example.com"}
    assert api.request("GET", NS, headers=key).status == 200


def test_a_malformed_authorization_header_is_6003_with_its_chain() -> None:
    api = KVApi()
    for value in ("Basic abc", "Bearer ", "Bearer two words"):
        answer = api.request("GET", NS, headers={"authorization": value})
        assert answer.status == 400
        assert answer.json()["errors"] == [
            {
                "code": 6003,
                "message": "Invalid request headers",
                "error_chain": [
                    {"code": 6111, "message": "Invalid format for Authorization header"}
                ],
            }
        ]


def test_a_token_makes_the_api_accept_only_that_token() -> None:
    api = KVApi(token="s3cret")
    assert api.request("GET", NS, headers={"authorization": "Bearer s3cret"}).status == 200
    wrong = api.request("GET", NS, headers={"authorization": "Bearer other"})
    assert (wrong.status, wrong.json()["errors"]) == (
        403,
        [{"code": 9109, "message": "Invalid access token"}],
    )
    key = api.request("GET", NS, headers={"x-auth-key": "k", "x-auth-email": "e@x"})
    assert key.json()["errors"][0]["error_chain"] == [
        {"code": 6103, "message": "Invalid format for X-Auth-Key header"}
    ]
    assert api.request("GET", NS).status == 200  # request() sends the configured token


def test_another_account_is_403_10000() -> None:
    api = KVApi(account_id="0" * 32)
    answer = api.request("GET", "/accounts/" + "1" * 32 + "/storage/kv/namespaces")
    assert (answer.status, answer.json()["errors"]) == (
        403,
        [{"code": 10000, "message": "Authentication error"}],
    )
    assert api.request("GET", "/accounts/" + "0" * 32 + "/storage/kv/namespaces").status == 200


def test_unknown_routes_and_methods() -> None:
    api = KVApi()
    ns = api.factory("NS")
    answer = api.request("GET", "/zones/abc")
    assert (answer.status, answer.json()["errors"]) == (
        400,
        [
            {
                "code": 7003,
                "message": (
                    "Could not route to /zones/abc, perhaps your object identifier is invalid?"
                ),
            },
            {"code": 7000, "message": "No route for that URI"},
        ],
    )
    assert api.request("GET", NS + f"/{ns.id}/nothing").status == 400
    patch = api.request("PATCH", NS + f"/{ns.id}/values/k")
    assert (patch.status, patch.json()["errors"]) == (
        405,
        [
            {
                "code": 10000,
                "message": "PATCH method not allowed for the api_token authentication scheme",
            }
        ],
    )


def test_error_answers_tell_the_sdk_not_to_retry_unless_asked() -> None:
    quiet = KVApi()
    assert quiet.request("GET", "/zones").headers["x-should-retry"] == "false"
    assert "x-should-retry" not in quiet.request("GET", NS).headers
    faithful = KVApi(retries="sdk")
    ns = faithful.factory("NS")
    assert "x-should-retry" not in faithful.request("GET", "/zones").headers
    ns.fail_next("get")
    failed = faithful.request("GET", NS + f"/{ns.id}/values/k")
    assert failed.status == 500
    assert failed.headers["retry-after-ms"] == "0.001"
    with pytest.raises(ValueError, match="api_retries must be 'off' or 'sdk'"):
        KVApi(retries="sometimes")


def test_the_account_rate_limit_counts_on_the_fake_clock() -> None:
    clock = MovableClock(1_000.0)
    api = KVApi(rate_limits=3, clock=clock)
    first = api.request("GET", NS)
    assert first.headers["ratelimit"] == '"default";r=2;t=300'
    assert first.headers["ratelimit-policy"] == '"default";q=3;w=300'
    clock.advance(100)
    api.request("GET", NS)
    api.request("GET", NS)
    refused = api.request("GET", NS)
    assert refused.status == 429
    assert refused.json()["errors"] == [
        {"code": 971, "message": "Please wait and consider throttling your request speed"}
    ]
    assert refused.headers["retry-after"] == "200"
    clock.advance(200)  # the first request leaves the window
    assert api.request("GET", NS).status == 200
    assert KVApi(rate_limits=True).app.rate_limit.limit == 1200  # type: ignore[union-attr]


def test_account_routes_for_wrangler_without_an_account_id() -> None:
    api = KVApi()
    assert api.request("GET", "/accounts").json()["result"][0]["id"] == api.account_id
    member = api.request("GET", "/memberships").json()["result"][0]
    assert member["account"]["id"] == api.account_id
    verify = api.request("GET", "/user/tokens/verify").json()
    assert verify["result"]["status"] == "active"
    assert verify["messages"][0]["message"] == "This API Token is valid and active"


def test_eventual_rest_writes_reach_edge_locations_by_propagation() -> None:
    clock = MovableClock(1_000_000.0)
    api = KVApi(clock=clock)
    ns = api.factory(
        "NS", consistency="eventual", locations=["lhr", "syd"], propagation={"syd": 90, "*": 10}
    )
    url = NS + f"/{ns.id}/values/flag"
    api.request("PUT", url, body=b"on")
    assert api.request("GET", url).body == b"on"  # central storage: at once
    assert ns.at("syd").sync.get("flag", cacheTtl=30) is None  # not there yet; cached
    clock.advance(10)
    assert ns.sync.get("flag") == "on"  # lhr: 10 s
    clock.advance(25)
    assert ns.at("syd").sync.get("flag", cacheTtl=30) is None  # its miss ran out; 90 s to go
    clock.advance(55)
    assert ns.at("syd").sync.get("flag") == "on"
    keys = api.request("GET", NS + f"/{ns.id}/keys").json()["result"]
    assert keys == [{"name": "flag"}]  # central storage lists without lag


def test_eventual_binding_writes_are_at_central_storage_at_once() -> None:
    clock = MovableClock(1_000_000.0)
    api = KVApi(clock=clock)
    ns = api.factory("NS", consistency="eventual", locations=["lhr", "syd"])
    ns.at("syd").sync.put("k", "v")
    assert api.request("GET", NS + f"/{ns.id}/values/k").body == b"v"
    assert [k["name"] for k in api.request("GET", NS + f"/{ns.id}/keys").json()["result"]] == ["k"]
