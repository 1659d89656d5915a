"""The call log, injected failures, rate limits, invocation limits, read-only namespaces."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from testing_support import ManualClock

from pytest_kv import KVCall, KVError, KVNamespace, KVTypeError

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "metadata",
    [
        {"owner": "ada", "v": 2},  # plain and flat: the log keeps its JSON text
        {"owner": "ada", "tags": ["a", "b"], "n": {"deep": True}},  # plain, nested
        {"ratio": 1.5, "tags": ["a"]},  # not plain (a float): the general path's copy
    ],
)
@pytest.mark.parametrize("form", ["keywords", "options dict"])
def test_the_log_keeps_the_options_as_sent_whatever_the_caller_changes_later(
    metadata: dict[str, object], form: str
) -> None:
    ns = KVNamespace()
    sent = json.loads(json.dumps(metadata))
    # A key of three bytes or more: shorter ones always go the general way, and the
    # plain cases are here for the quick put's log.
    if form == "keywords":
        ns.sync.put("key", "v", metadata=metadata, expirationTtl=600)
        options = None
    else:
        options = {"metadata": metadata, "expirationTtl": 600}
        ns.sync.put("key", "v", options)
        options["expirationTtl"] = 1
    metadata["owner"] = "eve"
    if isinstance(metadata.get("tags"), list):
        metadata["tags"].append("changed")  # type: ignore[union-attr]
    [call] = ns.calls
    assert call.options == {"metadata": sent, "expirationTtl": 600}
    assert list(call.options) == ["metadata", "expirationTtl"]  # in the order sent
    assert type(call.options["metadata"]) is dict
    # Every look at the log shows the same thing, and changing what one look returns
    # is the caller's business, as for any other logged value.
    assert ns.calls[0].options == call.options
    assert ns.get_calls(method="put")[0].options["metadata"] == sent


@pytest.mark.parametrize("form", ["keywords", "options dict"])
def test_a_put_with_plain_metadata_leaves_the_collector_nothing_to_track(form: str) -> None:
    # A log of such puts is never scanned again by the garbage collector: its
    # records hold no dict, in particular not the caller's metadata.
    ns = KVNamespace()
    options = {"expiration": 2_000_000_000, "metadata": {"owner": "ada", "tags": ["a"]}}
    if form == "keywords":
        ns.sync.put("key", "v", **options)
    else:
        ns.sync.put("key", "v", options)
    gc.collect()
    gc.collect()  # a record is let go of only once what it holds has been
    [record] = ns._shared.log
    assert not gc.is_tracked(record)
    [call] = ns.calls
    assert call.options == options
    assert list(call.options) == ["expiration", "metadata"]


async def test_every_call_is_logged(ns: KVNamespace, clock: ManualClock) -> None:
    await ns.put("a", "1", expirationTtl=60)
    clock.advance(1.5)
    await ns.get("a", "json")
    await ns.get("missing")
    await ns.get(["a", "b"])
    await ns.list(prefix="a")
    await ns.delete("a")
    with pytest.raises(KVError):
        await ns.put("a", "v", expirationTtl=1)
    assert [(c.method, c.key, c.options, c.outcome) for c in ns.calls] == [
        ("put", "a", {"expirationTtl": 60}, "ok"),
        ("get", "a", "json", "ok"),
        ("get", "missing", None, "miss"),
        ("get", ["a", "b"], None, "ok"),
        ("list", None, {"prefix": "a"}, "ok"),
        ("delete", "a", None, "ok"),
        (
            "put",
            "a",
            {"expirationTtl": 1},
            "KV PUT failed: 400 Invalid expiration_ttl of 1. Expiration TTL must be at least 60.",
        ),
    ]
    first = ns.calls[0]
    assert isinstance(first, KVCall)
    assert (first.time, first.location, first.ok) == (1000.0, "local", True)
    assert ns.calls[1].time == 1001.5
    assert ns.calls[-1].ok is False
    assert isinstance(ns.calls[-1].error, KVError)


async def test_get_calls_filters(clock: ManualClock) -> None:
    kv = KVNamespace(clock=clock, consistency="eventual", locations=("lhr", "syd"))
    await kv.put("user:1", "a")
    await kv.at("syd").get("user:1")
    await kv.at("syd").getWithMetadata("user:2")
    await kv.put("session:1", "s")
    assert [c.key for c in kv.get_calls(method="put")] == ["user:1", "session:1"]
    assert [c.method for c in kv.get_calls(key="user:*")] == ["put", "get", "getWithMetadata"]
    assert [c.cache for c in kv.get_calls(location="syd")] == ["MISS", "MISS"]
    assert kv.get_calls(method="delete") == []
    assert kv.at("syd").calls == kv.calls  # one log for every location


async def test_fail_next_uses_production_messages(ns: KVNamespace) -> None:
    ns.fail_next("get")
    with pytest.raises(KVError) as info:
        await ns.get("k")
    assert str(info.value) == "KV GET failed: 500 Internal Server Error"
    assert info.value.status == 500
    assert await ns.get("k") is None  # only the next call
    ns.fail_next("put", status=503)
    with pytest.raises(KVError, match=r"^KV PUT failed: 503 Service Unavailable$"):
        await ns.put("k", "v")
    assert ns.keys() == []
    ns.fail_next("delete", status=429)
    with pytest.raises(KVError, match=r"^KV DELETE failed: 429 Too Many Requests$"):
        await ns.delete("k")
    ns.fail_next("get")
    with pytest.raises(KVError, match=r"^KV GET_BULK failed: 500 Internal Server Error$"):
        await ns.get(["a", "b"])


async def test_fail_a_key_pattern_n_times(ns: KVNamespace) -> None:
    ns.seed({"user:1": "a", "config": "c"})
    ns.fail("get", key="user:*", times=2, error=TimeoutError("upstream slow"))
    assert await ns.get("config") == "c"
    for _ in range(2):
        with pytest.raises(TimeoutError, match="upstream slow"):
            await ns.get("user:1")
    assert await ns.get("user:1") == "a"


async def test_fail_list_by_prefix(ns: KVNamespace) -> None:
    ns.fail("list", key="user:*")
    assert (await ns.list(prefix="post:"))["keys"] == []
    with pytest.raises(KVError, match="KV GET failed: 500"):
        await ns.list(prefix="user:")


async def test_injected_failures_stand_in_for_the_service(ns: KVNamespace) -> None:
    ns.fail_next("put")
    # workerd's own checks run before any request, so they still come first...
    with pytest.raises(KVTypeError, match="Key name cannot be empty"):
        await ns.put("", "v")
    # ...but a failing service answers before it would check the request.
    with pytest.raises(KVError, match="500 Internal Server Error"):
        await ns.put("k", "v", expirationTtl=30)
    with pytest.raises(KVError, match="Expiration TTL must be at least 60"):
        await ns.put("k", "v", expirationTtl=30)


def test_fail_checks_its_arguments(ns: KVNamespace) -> None:
    with pytest.raises(ValueError, match="unknown method 'gte'; did you mean 'get'"):
        ns.fail("gte")
    with pytest.raises(ValueError, match="times must be a whole number >= 1"):
        ns.fail("get", times=0)


async def test_rate_limit_of_one_write_a_second_per_key(clock: ManualClock) -> None:
    kv = KVNamespace(clock=clock, rate_limits=True)
    await kv.put("counter", "1")
    await kv.put("other", "1")
    with pytest.raises(KVError) as info:
        await kv.put("counter", "2")
    assert str(info.value) == "KV PUT failed: 429 Too Many Requests"
    assert kv.peek("counter").text == "1"  # type: ignore[union-attr]
    clock.advance(1)
    await kv.put("counter", "3")
    assert kv.peek("counter").text == "3"  # type: ignore[union-attr]


async def test_invocation_limit(ns: KVNamespace, clock: ManualClock) -> None:
    other = KVNamespace("OTHER", clock=clock)
    with ns.invocation(limit=3):
        await ns.get("a")
        await other.get(["a", "b", "c"])  # a bulk read counts once
        await ns.put("a", "v")
        with pytest.raises(KVError) as info:
            await other.list()
    assert str(info.value) == "Too many API requests by single Worker invocation."
    await ns.get("a")  # outside the block nothing is counted


async def test_invocation_limit_defaults_to_1000(ns: KVNamespace) -> None:
    with ns.invocation() as invocation:
        for _ in range(1000):
            await ns.get("k")
        assert invocation.count == 1000
        with pytest.raises(KVError, match="Too many API requests"):
            await ns.get("k")


async def test_read_only(clock: ManualClock) -> None:
    kv = KVNamespace("CONFIG", clock=clock, read_only=True)
    kv.seed({"theme": "dark"})  # the god view still writes
    assert await kv.get("theme") == "dark"
    with pytest.raises(KVError) as info:
        await kv.put("theme", "light")
    assert str(info.value).startswith("KV PUT failed: 405 Method Not Allowed")
    assert "read_only" in str(info.value)
    with pytest.raises(KVError, match="KV DELETE failed: 405"):
        await kv.delete("theme")
    assert kv.peek("theme").text == "dark"  # type: ignore[union-attr]


def test_seed_file(ns: KVNamespace, tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(
        json.dumps(
            [
                {"key": "flag:beta", "value": "on", "metadata": {"owner": "ada"}},
                {"key": "blob", "value": "AAH/", "base64": True, "expiration_ttl": 60},
            ]
        )
    )
    assert ns.seed_file(path) == 2
    assert ns.sync.getWithMetadata("flag:beta")["metadata"] == {"owner": "ada"}
    assert ns.peek("blob").value == b"\x00\x01\xff"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"key": "a"}', "must hold a JSON array"),
        ('[{"key": "a", "value": "v"}, {"key": "b"}]', "entry 1: 'value' must be a string"),
    ],
)
def test_seed_file_errors_name_the_file_and_entry(
    ns: KVNamespace, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "seed.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        ns.seed_file(path)
    assert str(path) in str(info.value)
    assert ns.keys() == []
    with pytest.raises(ValueError, match="cannot read seed file"):
        ns.seed_file(tmp_path / "missing.json")


def test_kv_env_at_a_location(clock: ManualClock) -> None:
    from pytest_kv import KVEnv

    flags = KVNamespace("FLAGS", clock=clock, consistency="eventual", locations=("lhr", "syd"))
    env = KVEnv({"FLAGS": flags}, {"MODE": "test"})
    sydney = env.at("syd")
    assert sydney.FLAGS is flags.at("syd")
    assert sydney.MODE == "test"
    assert len(sydney) == 2
    assert repr(env) == "<KVEnv MODE, FLAGS>"
    with pytest.raises(ValueError, match="unknown location 'ams'"):
        env.at("ams")
