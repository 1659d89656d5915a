"""Keys list and namespace list over REST: limits, cursors, page shapes, paging."""

from __future__ import annotations

import pytest
from testing_support import ManualClock

from pytest_kv import KVApi


@pytest.fixture
def api() -> KVApi:
    return KVApi(clock=ManualClock(1_000_000.0))


def keys_url(api: KVApi, ns_id: str, query: str = "") -> str:
    return f"/accounts/{api.account_id}/storage/kv/namespaces/{ns_id}/keys{query}"


def all_pages(api: KVApi, ns_id: str, query: str = "") -> list[list[str]]:
    pages, cursor = [], None
    while True:
        sep = "&" if query else "?"
        suffix = query + (f"{sep}cursor={cursor}" if cursor else "")
        answer = api.request("GET", keys_url(api, ns_id, suffix)).json()
        pages.append([key["name"] for key in answer["result"]])
        assert answer["result_info"]["count"] == len(answer["result"])
        cursor = answer["result_info"]["cursor"]
        if cursor == "":
            return pages


def test_keys_list_shape_with_expiration_and_metadata() -> None:
    api = KVApi(clock=ManualClock(1_000_000.0))
    ns = api.factory("NS")
    ns.sync.put("a", "1", expirationTtl=100, metadata={"m": 1})
    ns.sync.put("b", "2")
    answer = api.request("GET", keys_url(api, ns.id)).json()
    assert answer == {
        "success": True,
        "errors": [],
        "messages": [],
        "result": [{"name": "a", "expiration": 1_000_100, "metadata": {"m": 1}}, {"name": "b"}],
        "result_info": {"count": 2, "cursor": ""},
    }


def test_keys_pages_follow_the_cursor_to_an_empty_one(api: KVApi) -> None:
    ns = api.factory("NS")
    ns.seed({f"user:{i:02}": "v" for i in range(25)} | {"other": "v"})
    assert all_pages(api, ns.id, "?limit=10&prefix=user:") == [
        [f"user:{i:02}" for i in range(10)],
        [f"user:{i:02}" for i in range(10, 20)],
        [f"user:{i:02}" for i in range(20, 25)],
    ]


def test_page_shapes_apply_to_rest_listing_too(api: KVApi) -> None:
    ns = api.factory("NS")
    ns.seed({f"k{i}": "v" for i in range(3)})
    with ns.page_shape(page_size=1, empty_pages=["start", "end"]):
        assert all_pages(api, ns.id) == [[], ["k0"], ["k1"], ["k2"], []]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?limit=5", "limit: Number must be greater than or equal to 10"),
        ("?limit=0", "limit: Number must be greater than or equal to 10"),
        ("?limit=1001", "limit: Number must be less than or equal to 1000"),
        ("?limit=None", 'limit: Expected query param to be number but received "None"'),
        (
            "?limit=not-a-number",
            'limit: Expected query param to be number but received "not-a-number"',
        ),
    ],
)
def test_bad_limits_are_the_explorers_400s(api: KVApi, query: str, message: str) -> None:
    ns = api.factory("NS")
    answer = api.request("GET", keys_url(api, ns.id, query))
    assert answer.status == 400
    assert answer.json()["errors"] == [{"code": 10001, "message": message}]


def test_numeric_limits_follow_javascript_number(api: KVApi) -> None:
    ns = api.factory("NS")
    ns.seed({f"k{i:02}": "v" for i in range(30)})
    for query, size in [
        ("?limit=10.9", 10),
        ("?limit=1e1", 10),
        ("?limit=0x10", 16),
        ("?limit=%2012", 12),
    ]:
        assert len(api.request("GET", keys_url(api, ns.id, query)).json()["result"]) == size


def test_a_foreign_cursor_is_read_leniently(api: KVApi) -> None:
    ns = api.factory("NS")
    ns.seed({"a": "1", "b": "2"})
    answer = api.request("GET", keys_url(api, ns.id, "?cursor=YQ"))  # base64 of "a"
    assert [key["name"] for key in answer.json()["result"]] == ["b"]


def ns_url(api: KVApi, query: str = "") -> str:
    return f"/accounts/{api.account_id}/storage/kv/namespaces{query}"


def test_namespaces_page_by_id_or_title_and_end_with_an_empty_page(api: KVApi) -> None:
    made = [api.factory(title) for title in ("ZEBRA", "ANT", "MOLE")]
    by_id = sorted(ns.id for ns in made)
    first = api.request("GET", ns_url(api, "?per_page=2")).json()
    assert [ns["id"] for ns in first["result"]] == by_id[:2]
    assert first["result_info"] == {"count": 2, "page": 1, "per_page": 2, "total_count": 3}
    assert [
        ns["id"] for ns in api.request("GET", ns_url(api, "?per_page=2&page=2")).json()["result"]
    ] == by_id[2:]
    past = api.request("GET", ns_url(api, "?per_page=2&page=3")).json()
    assert past["result"] == []
    assert past["result_info"]["total_count"] == 3
    titles = api.request("GET", ns_url(api, "?order=title&direction=desc")).json()["result"]
    assert [ns["title"] for ns in titles] == ["ZEBRA", "MOLE", "ANT"]
    assert titles[0] == {"id": made[0].id, "title": "ZEBRA", "supports_url_encoding": True}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?order=bogus", "order: Invalid enum value. Expected 'id' | 'title', received 'bogus'"),
        ("?direction=up", "direction: Invalid enum value. Expected 'asc' | 'desc', received 'up'"),
        ("?per_page=1001", "per_page: Number must be less than or equal to 1000"),
        ("?page=0", "page: Number must be greater than or equal to 1"),
        ("?page=x", 'page: Expected query param to be number but received "x"'),
    ],
)
def test_bad_namespace_list_parameters(api: KVApi, query: str, message: str) -> None:
    answer = api.request("GET", ns_url(api, query))
    assert (answer.status, answer.json()["errors"]) == (400, [{"code": 10001, "message": message}])


def test_create_rename_get_delete(api: KVApi) -> None:
    api.factory("TAKEN")
    created = api.request("POST", ns_url(api), json={"title": "NEW"})
    result = created.json()["result"]
    assert result["title"] == "NEW"
    assert result["supports_url_encoding"] is True
    assert len(result["id"]) == 32
    new = api.namespace("NEW")
    assert new.id == result["id"]
    assert api.namespace(result["id"]) is new
    duplicate = api.request("POST", ns_url(api), json={"title": "TAKEN"})
    assert (duplicate.status, duplicate.json()["errors"]) == (
        400,
        [{"code": 10014, "message": "a namespace with this account ID and title already exists"}],
    )
    one = f"/accounts/{api.account_id}/storage/kv/namespaces/{new.id}"
    assert api.request("PUT", one, json={"title": "TAKEN"}).status == 400
    assert api.request("PUT", one, json={"title": "RENAMED"}).json()["result"]["title"] == "RENAMED"
    assert api.request("GET", one).json()["result"]["title"] == "RENAMED"
    assert api.request("DELETE", one).json() == {
        "success": True,
        "errors": [],
        "messages": [],
        "result": None,
    }
    gone = api.request("GET", one)
    assert (gone.status, gone.json()["errors"][0]) == (
        404,
        {"code": 10013, "message": "get namespace: 'namespace not found'"},
    )
    with pytest.raises(LookupError, match="no namespace with that id or title"):
        api.namespace("RENAMED")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "Malformed JSON in request body"),
        (b"{}", "title: Required"),
        (b'{"title": 5}', "title: Expected string, received number"),
        (b'{"title": ""}', "title: String must contain at least 1 character(s)"),
        (
            b'{"title": "' + b"t" * 513 + b'"}',
            "title: String must contain at most 512 character(s)",
        ),
        (
            b'{"title": "a", "jurisdiction": "mars"}',
            "jurisdiction: Invalid enum value. Expected 'eu' | 'us' | 'fedramp', received 'mars'",
        ),
        (b"[]", "Expected object, received array"),
    ],
)
def test_bad_create_bodies_create_nothing(api: KVApi, body: bytes, message: str) -> None:
    answer = api.request("POST", ns_url(api), body=body)
    assert (answer.status, answer.json()["errors"]) == (400, [{"code": 10001, "message": message}])
    assert len(api.factory.account) == 0


def test_a_created_namespace_gets_the_factorys_options() -> None:
    from pytest_kv import KVFactory

    factory = KVFactory({"consistency": "eventual", "locations": ("lhr", "syd")})
    api = KVApi(factory)
    api.request("POST", ns_url(api), json={"title": "EDGE"})
    assert api.namespace("EDGE").locations == ("lhr", "syd")
    assert api.namespace("EDGE").consistency == "eventual"
