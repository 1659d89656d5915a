"""The kv_api fixture, tested from the outside with pytester: one service behind both
doors, options, the loopback server, strict teardown and the failure timeline."""

from __future__ import annotations

import cloudflare  # noqa: F401
import httpx  # noqa: F401
import pytest
import requests  # noqa: F401

# The clients are imported here, once, so that pytester's in-process runs share them:
# a second import of requests inside a run would mix two copies of http.cookiejar.

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
WRANGLER = """
name = "admin"
kv_namespaces = [{ binding = "FLAGS", id = "06779da6940b431db6e566b4846d64db" }]
"""


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)


def test_the_rest_api_serves_the_tests_namespaces(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", wrangler=WRANGLER)
    pytester.makepyfile(
        """
        import pytest
        from cloudflare import Cloudflare, NotFoundError

        ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"

        def set_flag(name, value):
            # App code: builds its own client from a token, as in production.
            client = Cloudflare(api_token="app-token")
            client.kv.namespaces.values.update(
                name, account_id=ACCOUNT, namespace_id="06779da6940b431db6e566b4846d64db",
                value=value.encode(), metadata={"by": "admin"},
            )

        @pytest.mark.asyncio
        async def test_env_and_rest_share_namespaces(kv_env, kv_api):
            assert kv_api.account_id == ACCOUNT
            set_flag("beta", "on")
            meta = await kv_env.FLAGS.getWithMetadata("beta")
            assert (meta["value"], meta["metadata"]) == ("on", {"by": "admin"})
            assert kv_api.namespace("FLAGS") is kv_env.FLAGS
            assert kv_api.namespace("06779da6940b431db6e566b4846d64db") is kv_env.FLAGS

        def test_namespaces_created_over_rest_are_reachable(kv, kv_api):
            client = Cloudflare(api_token="t")
            made = client.kv.namespaces.create(account_id=kv_api.account_id, title="JOBS")
            jobs = kv_api.namespace("JOBS")
            assert jobs.id == made.id
            jobs.sync.put("j:1", "queued")
            values, account = client.kv.namespaces.values, kv_api.account_id
            got = values.get("j:1", account_id=account, namespace_id=made.id)
            assert got.read() == b"queued"
            titles = [n.title for n in client.kv.namespaces.list(account_id=kv_api.account_id)]
            assert sorted(titles) == ["JOBS", "KV"]
            with pytest.raises(NotFoundError):
                values.get("none", account_id=account, namespace_id=kv.id)

        @pytest.mark.asyncio
        @pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"], propagation=30)
        async def test_rest_writes_propagate_on_the_test_clock(kv, kv_api, kv_clock):
            client = Cloudflare(api_token="t")
            client.kv.namespaces.values.update(
                "f", account_id=kv_api.account_id, namespace_id=kv.id, value=b"1"
            )
            assert await kv.get("f", cacheTtl=30) is None
            kv_clock.advance(30)
            assert await kv.at("syd").get("f") == "1"
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_options_token_account_rate_limits_and_retries(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import cloudflare
        import pytest
        from cloudflare import Cloudflare

        @pytest.mark.kv(api_token="right", api_account_id="a" * 32)
        def test_only_the_token(kv, kv_api):
            assert kv_api.account_id == "a" * 32
            Cloudflare(api_token="right").kv.namespaces.list(account_id="a" * 32)
            with pytest.raises(cloudflare.PermissionDeniedError, match="9109"):
                Cloudflare(api_token="wrong").kv.namespaces.list(account_id="a" * 32)

        @pytest.mark.kv(api_rate_limits=2)
        def test_rate_limited(kv, kv_api):
            client = Cloudflare(api_token="t")
            client.kv.namespaces.list(account_id=kv_api.account_id)
            client.kv.namespaces.list(account_id=kv_api.account_id)
            with pytest.raises(cloudflare.RateLimitError):
                client.kv.namespaces.list(account_id=kv_api.account_id)
            assert len(kv_api.calls()) == 3  # no retries, no waiting

        @pytest.mark.kv(api_retries="sometimes")
        def test_bad_option(kv_api):
            pass
        """
    )
    pytester.makeini(INI + "kv_api_rate_limits = false\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*pytest-kv options: api_retries must be 'off' or 'sdk'*"])


def test_the_loopback_server_starts_once_and_keeps_per_test_state(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import requests

        URLS = []

        def put_and_list(kv, kv_api):
            base = f"{kv_api.url}/accounts/{kv_api.account_id}/storage/kv/namespaces/{kv.id}"
            auth = {"authorization": "Bearer t"}
            before = requests.get(f"{base}/keys", headers=auth).json()["result"]
            requests.put(f"{base}/values/k", data=b"v", headers=auth)
            URLS.append(kv_api.url)
            return before

        def test_one(kv, kv_api):
            assert put_and_list(kv, kv_api) == []
            assert kv.sync.get("k") == "v"

        def test_two(kv, kv_api):
            assert put_and_list(kv, kv_api) == []
            assert URLS[0] == URLS[1]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


SWALLOWING_APP = """
import cloudflare
import httpx
import pytest
from cloudflare import Cloudflare

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"

def save(ns_id, ttl):
    try:
        Cloudflare(api_token="t").kv.namespaces.values.update(
            "s:1", account_id=ACCOUNT, namespace_id=ns_id, value=b"v", expiration_ttl=ttl
        )
    except cloudflare.APIError:
        return False  # the bug: a wrong request looks like a transient failure
    return True

def raise_it(ns_id, ttl):
    Cloudflare(api_token="t").kv.namespaces.values.update(
        "s:1", account_id=ACCOUNT, namespace_id=ns_id, value=b"v", expiration_ttl=ttl
    )

async def save_async(ns_id, ttl):
    client = cloudflare.AsyncCloudflare(api_token="t")
    try:
        await client.kv.namespaces.values.update(
            "s:2", account_id=ACCOUNT, namespace_id=ns_id, value=b"v", expiration_ttl=ttl
        )
    except cloudflare.BadRequestError:
        return False
    return True

async def raise_async(ns_id, ttl):
    client = cloudflare.AsyncCloudflare(api_token="t")
    await client.kv.namespaces.values.update(
        "s:2", account_id=ACCOUNT, namespace_id=ns_id, value=b"v", expiration_ttl=ttl
    )

def create_quietly():
    response = httpx.post(
        f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}/storage/kv/namespaces",
        headers={"authorization": "Bearer t"}, content=b"{not json",
    )
    return response.status_code
"""


def test_strict_teardown_reports_swallowed_rest_validation_errors(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(app=SWALLOWING_APP)
    pytester.makepyfile(
        """
        import cloudflare
        import httpx
        import pytest
        from app import ACCOUNT, create_quietly, raise_async, raise_it, save, save_async

        @pytest.mark.asyncio
        async def test_swallowed_async(kv, kv_api):
            assert await save_async(kv.id, 20) is False

        @pytest.mark.asyncio
        async def test_raised_async(kv, kv_api):
            with pytest.raises(cloudflare.BadRequestError):
                await raise_async(kv.id, 20)

        def test_swallowed(kv, kv_api):
            assert save(kv.id, 30) is False

        def test_raised_to_the_test(kv, kv_api):
            with pytest.raises(cloudflare.BadRequestError):
                raise_it(kv.id, 30)

        def test_the_test_sends_it_itself(kv, kv_api):
            url = (
                f"https://api.cloudflare.com/client/v4/accounts/{ACCOUNT}"
                f"/storage/kv/namespaces/{kv.id}/values/k?expiration_ttl=1"
            )
            answer = httpx.put(url, headers={"authorization": "Bearer t"}, content=b"v")
            assert answer.status_code == 400

        def test_a_miss_is_no_error(kv, kv_api):
            with pytest.raises(cloudflare.NotFoundError):
                cloudflare.Cloudflare(api_token="t").kv.namespaces.values.get(
                    "nope", account_id=ACCOUNT, namespace_id=kv.id)

        def test_account_level_swallowed(kv_api):
            assert create_quietly() == 400

        @pytest.mark.kv(strict=False)
        def test_opted_out(kv, kv_api):
            assert save(kv.id, 30) is False

        def test_over_the_loopback_server(kv, kv_api):
            client = cloudflare.Cloudflare(api_token="t", base_url=kv_api.url, max_retries=0)
            try:
                client.kv.namespaces.values.update(
                    "k", account_id=ACCOUNT, namespace_id=kv.id, value=b"v", expiration_ttl=1
                )
            except cloudflare.BadRequestError:
                pass  # another process's client: the plugin cannot see it, so never reports it
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=9, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_swallowed_async*",
            "*KV.values.update('s:2', {expiration_ttl='20'})*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_swallowed*",
            "*the code under test swallowed KV errors*",
            "*KV.values.update('s:1', {expiration_ttl='30'})*",
            (
                "*-> 400 Invalid expiration_ttl of 30. Expiration TTL must be "
                "at least 60. [[]code: 10034[]]"
            ),
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_account_level_swallowed*",
            "*swallowed REST API errors*",
            "*kv_api namespaces.create()*",
            "*-> 400 Malformed JSON in request body [[]code: 10001[]]",
        ]
    )


def test_the_failure_timeline_shows_rest_calls(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from cloudflare import Cloudflare

        def test_fails(kv, kv_api):
            kv_api.request("GET", "/accounts/{account_id}/storage/kv/namespaces")
            Cloudflare(api_token="t").kv.namespaces.values.update(
                "flag", account_id=kv_api.account_id, namespace_id=kv.id,
                value=b"on", expiration_ttl=120,
            )
            kv.sync.get("flag")
            assert False
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*KV operations: KV*",
            "*central  values.update   'flag' {expiration_ttl='120'}  -> ok",
            "*local    get             'flag'  -> ok",
        ]
    )
    result.stdout.fnmatch_lines(["*KV operations: REST API*", "*central  namespaces.list  -> ok"])


def test_the_clients_are_restored_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import requests

        ORIGINAL = (httpx.HTTPTransport.handle_request, requests.adapters.HTTPAdapter.send)

        def test_uses_the_api(kv_api):
            assert httpx.HTTPTransport.handle_request is not ORIGINAL[0]

        def test_after(kv):
            now = (httpx.HTTPTransport.handle_request, requests.adapters.HTTPAdapter.send)
            assert now == ORIGINAL
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
