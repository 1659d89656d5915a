"""Real clients against the fake: the official cloudflare SDK (every KV method of
``client.kv.namespaces``, sync and async, auto-pagination, exceptions, retries),
httpx and requests, and the loopback server. Nothing leaves the machine."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import cloudflare
import httpx
import pytest
import requests
from cloudflare import AsyncCloudflare, Cloudflare
from testing_support import MovableClock

from pytest_kv import KVApi, KVNamespace

BASE = "https://api.cloudflare.com/client/v4"


@pytest.fixture
def api() -> Iterator[KVApi]:
    with KVApi(clock=MovableClock(1_000_000.0)) as served:
        yield served


@pytest.fixture
def ns(api: KVApi) -> KVNamespace:
    return api.factory("FLAGS")


def test_every_kv_method_of_the_sync_sdk(api: KVApi, ns: KVNamespace) -> None:
    client = Cloudflare(api_token="only-a-token")  # as app code builds it
    kv, account = client.kv.namespaces, api.account_id
    created = kv.create(account_id=account, title="NEW")
    assert created is not None
    assert created.title == "NEW"
    assert created.supports_url_encoding
    assert kv.update(created.id, account_id=account, title="RENAMED").title == "RENAMED"  # type: ignore[union-attr]
    assert kv.get(created.id, account_id=account).title == "RENAMED"  # type: ignore[union-attr]
    assert sorted(n.title for n in kv.list(account_id=account)) == ["FLAGS", "RENAMED"]
    kv.delete(created.id, account_id=account)
    assert [n.title for n in kv.list(account_id=account)] == ["FLAGS"]

    values = kv.values
    values.update(
        "a/b c",
        account_id=account,
        namespace_id=ns.id,
        value=b"on",
        metadata={"o": 1},
        expiration_ttl=120,
    )
    read = values.get("a/b c", account_id=account, namespace_id=ns.id)
    assert (read.read(), read.headers["expiration"]) == (b"on", "1000120")
    assert kv.metadata.get("a/b c", account_id=account, namespace_id=ns.id) == {"o": 1}
    assert ns.sync.getWithMetadata("a/b c")["metadata"] == {"o": 1}
    values.delete("a/b c", account_id=account, namespace_id=ns.id)
    assert ns.keys() == []

    update = kv.bulk_update(
        ns.id, account_id=account, body=[{"key": "x", "value": "1"}, {"key": "y", "value": "[2]"}]
    )
    assert update is not None
    assert update.successful_key_count == 2
    got = kv.bulk_get(
        ns.id, account_id=account, keys=["x", "y", "z"], type="json", with_metadata=True
    )
    assert got is not None
    assert got.values["y"].value == [2]
    assert got.values["z"] is None
    assert [k.name for k in kv.keys.list(ns.id, account_id=account)] == ["x", "y"]
    deleted = kv.bulk_delete(ns.id, account_id=account, body=["x", "y"])
    assert deleted is not None
    assert deleted.successful_key_count == 2
    assert ns.keys() == []
    assert [call.method for call in api.calls()][:3] == [
        "namespaces.create",
        "namespaces.update",
        "namespaces.get",
    ]


def test_auto_pagination_of_keys_and_namespaces(api: KVApi, ns: KVNamespace) -> None:
    ns.seed({f"k{i:03}": "v" for i in range(35)})
    client = Cloudflare(api_token="t")
    names = [
        k.name for k in client.kv.namespaces.keys.list(ns.id, account_id=api.account_id, limit=10)
    ]
    assert names == [f"k{i:03}" for i in range(35)]
    assert len(api.calls(method="keys.list")) == 4
    for i in range(24):
        api.factory(f"NS{i:02}")
    titles = [n.title for n in client.kv.namespaces.list(account_id=api.account_id, per_page=10)]
    assert len(titles) == 25
    assert len(set(titles)) == 25
    assert len(api.calls(method="namespaces.list")) == 4  # three full pages, then an empty one


def test_the_sdk_stops_at_an_empty_page_as_against_production(api: KVApi, ns: KVNamespace) -> None:
    ns.seed({"a": "1", "b": "2"})
    client = Cloudflare(api_token="t")
    with ns.page_shape(empty_pages=["start"]):
        # The SDK stops on an empty page even when a cursor follows: production may
        # send one, so code that trusts auto-pagination misses keys. The fake shows it.
        assert list(client.kv.namespaces.keys.list(ns.id, account_id=api.account_id)) == []


def test_sdk_exceptions_carry_productions_envelope(api: KVApi, ns: KVNamespace) -> None:
    client = Cloudflare(api_token="t")
    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.kv.namespaces.values.get("nope", account_id=api.account_id, namespace_id=ns.id)
    assert missing.value.status_code == 404
    assert missing.value.body == {
        "success": False,
        "errors": [{"code": 10009, "message": "get: 'key not found'"}],
        "messages": [],
        "result": None,
    }
    with pytest.raises(cloudflare.BadRequestError) as bad:
        client.kv.namespaces.values.update(
            "k", account_id=api.account_id, namespace_id=ns.id, value=b"v", expiration_ttl=10
        )
    assert [(e.code, e.message) for e in bad.value.errors] == [
        (10034, "Invalid expiration_ttl of 10. Expiration TTL must be at least 60.")
    ]
    with pytest.raises(cloudflare.APIStatusError) as long_key:
        client.kv.namespaces.values.get("k" * 513, account_id=api.account_id, namespace_id=ns.id)
    assert long_key.value.status_code == 414
    with pytest.raises(cloudflare.NotFoundError, match="namespace not found"):
        client.kv.namespaces.get("0" * 32, account_id=api.account_id)


def test_retries_do_not_hide_errors_by_default(api: KVApi, ns: KVNamespace) -> None:
    ns.sync.put("k", "v")
    ns.fail_next("get", status=503)
    client = Cloudflare(api_token="t")  # max_retries=2, as app code has it
    with pytest.raises(cloudflare.InternalServerError):
        client.kv.namespaces.values.get("k", account_id=api.account_id, namespace_id=ns.id)
    assert len(api.calls(method="values.get")) == 1


def test_in_sdk_mode_the_sdk_retries_as_in_production_without_waiting(ns: KVNamespace) -> None:
    with KVApi(ns_factory(ns), retries="sdk") as api:
        ns.fail("get", times=2, status=503)
        client = Cloudflare(api_token="t")
        read = client.kv.namespaces.values.get("k", account_id=api.account_id, namespace_id=ns.id)
        assert read.read() == b"v"
        outcomes = [call.outcome for call in api.calls(method="values.get")]
        assert outcomes == ["503 Service Unavailable [code: 10000]"] * 2 + ["ok"]


def ns_factory(ns: KVNamespace) -> Any:
    from pytest_kv import KVFactory

    factory = KVFactory({})
    factory.namespaces.append(ns)
    factory.account.add(ns._shared)
    ns.sync.put("k", "v")
    return factory


@pytest.mark.anyio
async def test_the_async_sdk(api: KVApi, ns: KVNamespace) -> None:
    client = AsyncCloudflare(api_token="t")
    kv, account = client.kv.namespaces, api.account_id
    await kv.values.update(
        "k", account_id=account, namespace_id=ns.id, value=b"v", metadata={"m": 1}
    )
    read = await kv.values.get("k", account_id=account, namespace_id=ns.id)
    assert await read.read() == b"v"
    ns.seed({f"p{i:02}": "v" for i in range(15)})
    assert len([k async for k in kv.keys.list(ns.id, account_id=account, limit=10)]) == 16
    assert [n.title async for n in kv.list(account_id=account)] == ["FLAGS"]
    with pytest.raises(cloudflare.NotFoundError):
        await kv.values.get("nope", account_id=account, namespace_id=ns.id)
    await kv.bulk_delete(ns.id, account_id=account, body=["k"])
    assert ns.peek("k") is None


def test_httpx_and_requests_against_the_api_host(api: KVApi, ns: KVNamespace) -> None:
    url = f"{BASE}/accounts/{api.account_id}/storage/kv/namespaces/{ns.id}/values/k"
    headers = {"Authorization": "Bearer t"}
    assert requests.put(url, data=b"from requests", headers=headers).json()["success"] is True
    assert httpx.get(url, headers=headers).content == b"from requests"
    with httpx.Client() as client:
        assert client.put(url, content=b"from httpx", headers=headers).status_code == 200
    session = requests.Session()
    assert session.get(url, headers=headers).content == b"from httpx"
    missing = requests.get(url + "-nope", headers=headers)
    assert missing.status_code == 404
    with pytest.raises(requests.HTTPError):
        missing.raise_for_status()


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.seen.append(self.path)
        body = b"real server"
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def other_host() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_every_other_host_and_path_is_left_alone(api: KVApi, other_host: str) -> None:
    assert (
        httpx.get(f"{other_host}/client/v4/accounts/x/storage/kv/namespaces").text == "real server"
    )
    assert requests.get(f"{other_host}/elsewhere").text == "real server"
    assert _Recorder.seen[-2:] == ["/client/v4/accounts/x/storage/kv/namespaces", "/elsewhere"]
    assert api.calls() == []


def test_other_api_paths_reach_whatever_mocks_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # pytest-httpx, respx and responses patch these same senders: the fake serves only
    # the KV API and hands everything else to what was there before it.
    def mocked_httpx(transport: Any, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"mocked": str(request.url)})

    def mocked_requests(adapter: Any, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        response = requests.Response()
        response.status_code, response._content = 200, b"mocked"
        return response

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", mocked_httpx)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", mocked_requests)
    with KVApi() as api:
        assert httpx.get(f"{BASE}/zones").json() == {"mocked": f"{BASE}/zones"}
        assert requests.get(f"{BASE}/accounts/x/workers/scripts").content == b"mocked"
        kv = f"{BASE}/accounts/{api.account_id}/storage/kv/namespaces"
        assert httpx.get(kv, headers={"authorization": "Bearer t"}).json()["success"] is True
    assert httpx.HTTPTransport.handle_request is mocked_httpx  # put back as it was


def test_stop_restores_the_clients() -> None:
    before = (httpx.HTTPTransport.handle_request, requests.adapters.HTTPAdapter.send)
    api = KVApi()
    api.start()
    assert httpx.HTTPTransport.handle_request is not before[0]
    api.stop()
    assert (httpx.HTTPTransport.handle_request, requests.adapters.HTTPAdapter.send) == before


def test_explicit_transports_serve_any_base_url() -> None:
    api = KVApi()
    ns = api.factory("NS")
    client = Cloudflare(
        api_token="t",
        base_url="http://fake.invalid/client/v4",
        http_client=httpx.Client(transport=api.transport()),
        max_retries=0,
    )
    client.kv.namespaces.values.update(
        "k", account_id=api.account_id, namespace_id=ns.id, value=b"v"
    )
    session = requests.Session()
    session.mount("http://fake.invalid/", api.requests_adapter())
    url = f"http://fake.invalid/client/v4/accounts/{api.account_id}/storage/kv/namespaces/{ns.id}/values/k"
    assert session.get(url, headers={"authorization": "Bearer t"}).content == b"v"


def test_the_loopback_server_serves_any_client(api: KVApi, ns: KVNamespace) -> None:
    base = api.url
    assert base.startswith("http://127.0.0.1:")
    assert base.endswith("/client/v4")
    url = f"{base}/accounts/{api.account_id}/storage/kv/namespaces/{ns.id}/values/k%2F1"
    put = urllib.request.Request(
        url, data=b"over tcp", method="PUT", headers={"Authorization": "Bearer t"}
    )
    with urllib.request.urlopen(put) as answer:
        assert json.load(answer)["success"] is True
    assert ns.sync.get("k/1") == "over tcp"
    client = Cloudflare(api_token="t", base_url=base, max_retries=0)
    assert (
        client.kv.namespaces.values.get("k/1", account_id=api.account_id, namespace_id=ns.id).read()
        == b"over tcp"
    )
    with pytest.raises(cloudflare.NotFoundError):
        client.kv.namespaces.values.get("nope", account_id=api.account_id, namespace_id=ns.id)
    refused = requests.get(f"{base}/accounts/{api.account_id}/storage/kv/namespaces")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == 9106


def test_the_loopback_server_serves_concurrent_and_chunked_requests(
    api: KVApi, ns: KVNamespace
) -> None:
    base = f"{api.url}/accounts/{api.account_id}/storage/kv/namespaces/{ns.id}"
    headers = {"authorization": "Bearer t"}

    def writer(worker: int) -> None:
        with requests.Session() as session:  # keep-alive: one connection, many requests
            for i in range(10):
                answer = session.put(f"{base}/values/w{worker}-{i}", data=b"v", headers=headers)
                assert answer.status_code == 200

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ns.keys()) == 60
    chunked = requests.put(
        f"{base}/values/chunked", data=iter([b"one ", b"two"]), headers=headers
    )  # a generator body is sent with Transfer-Encoding: chunked
    assert chunked.status_code == 200
    assert ns.peek("chunked").value == b"one two"  # type: ignore[union-attr]
