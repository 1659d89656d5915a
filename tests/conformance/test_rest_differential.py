"""Differential test of the REST API: random sequences of requests on pytest-kv's
``KVApi`` and on Miniflare's local explorer, for the endpoints the explorer has.

A Hypothesis state machine draws value writes (raw bodies and multipart with
metadata), reads, deletes, key listings (prefixes, valid and invalid limits, followed
and garbage cursors), bulk reads (valid and invalid bodies), namespace listings
(every order and direction, invalid ones too) and requests to an unknown namespace.
After every step the two normalized answers must be equal: status, envelope, error
codes and exact messages, raw value bytes.

Not generated, because the explorer is not an oracle for them (README, "Services
that use the REST API"): expiration parameters (it ignores them), keys over 512 bytes
and request bodies that are not JSON (it answers 500 where production answers 4xx),
bulk reads of no keys, with ``type`` or with ``withMetadata`` (it ignores both) or of
array-index keys such as ``"42"`` (its binding drops them), and
the routes it does not have (namespace create, get, rename, delete; metadata; bulk
write and delete).

Volume: MAX_EXAMPLES sequences of up to STEPS steps, a few hundred requests a run
(each side's answer takes a few milliseconds), so a few seconds in CI.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from explorer_support import CURSOR, Explorer, RestBoth
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

pytestmark = pytest.mark.conformance

MAX_EXAMPLES = 25
STEPS = 20
NS = "/storage/kv/namespaces"
IDS = ("test-kv-id", "another-kv-id")

KEYS = st.sampled_from(
    ["a", "a/b", "a b", "ab", "b", "é", "ü/x", "key:with:colons", "42", "%", "+", "x" * 300]
)
# The explorer reads in bulk through the Workers binding, which drops array-index
# keys such as "42" from its answer (a workerd quirk the binding keeps); production's
# REST API answers from KV's own service, and so does pytest-kv.
BULK_KEYS = KEYS.filter(lambda key: not key.isdigit())
VALUES = st.one_of(
    st.sampled_from([b"", b"v", b"\x00\xff\x80", "é".encode(), b'{"j": 1}']),
    st.binary(max_size=20),
)
METADATA = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["a", "b"]), st.integers(-5, 5) | st.text(max_size=3), max_size=2
    ),
    st.sampled_from(["[1, 2]", '"text"', "7", "{not json"]).map(lambda text: ("raw", text)),
)
LIMITS = st.one_of(
    st.none(), st.integers(5, 1005).map(str), st.sampled_from(["", "abc", "10.5", "1e1", "None"])
)


def multipart(value: bytes, metadata: Any, filename: bool) -> tuple[dict[str, str], bytes]:
    disposition = b'form-data; name="value"' + (b'; filename="upload"' if filename else b"")
    parts = [b"--Bnd\r\nContent-Disposition: " + disposition + b"\r\n\r\n" + value + b"\r\n"]
    if metadata is not None:
        text = metadata[1] if isinstance(metadata, tuple) else json.dumps(metadata)
        parts.append(
            b'--Bnd\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n'
            + text.encode()
            + b"\r\n"
        )
    return {"content-type": "multipart/form-data; boundary=Bnd"}, b"".join(parts) + b"--Bnd--\r\n"


class RestMachine(RuleBasedStateMachine):
    explorer: Explorer
    counter: list[int]

    @initialize()
    def start(self) -> None:
        self.both = RestBoth(self.explorer)
        self.cursors: dict[tuple[str, str], str] = {}

    def check(self, method: str, path: str, **kwargs: Any) -> None:
        self.counter[0] += 1
        fake, real = self.both.call(method, path, **kwargs)
        assert fake == real, f"{method} {path} {kwargs}\n  pytest-kv: {fake}\n  explorer:  {real}"

    @rule(ns=st.sampled_from(IDS), key=KEYS, value=VALUES)
    def put_raw(self, ns: str, key: str, value: bytes) -> None:
        self.check("PUT", f"{NS}/{ns}/values/{quote(key, safe='')}", body=value)

    @rule(
        ns=st.sampled_from(IDS), key=KEYS, value=VALUES, metadata=METADATA, filename=st.booleans()
    )
    def put_multipart(self, ns: str, key: str, value: bytes, metadata: Any, filename: bool) -> None:
        headers, body = multipart(value, metadata, filename)
        self.check("PUT", f"{NS}/{ns}/values/{quote(key, safe='')}", headers=headers, body=body)

    @rule(ns=st.sampled_from(IDS), key=KEYS)
    def get(self, ns: str, key: str) -> None:
        self.check("GET", f"{NS}/{ns}/values/{quote(key, safe='')}")

    @rule(ns=st.sampled_from(IDS), key=KEYS)
    def delete(self, ns: str, key: str) -> None:
        self.check("DELETE", f"{NS}/{ns}/values/{quote(key, safe='')}")

    @rule(
        ns=st.sampled_from(IDS),
        prefix=st.none() | st.sampled_from(["", "a", "a/", "é", "x", "zz"]),
        limit=LIMITS,
        cursor=st.sampled_from(["none", "follow", "garbage"]),
    )
    def list_keys(self, ns: str, prefix: str | None, limit: str | None, cursor: str) -> None:
        query = []
        if prefix is not None:
            query.append(f"prefix={quote(prefix, safe='')}")
        if limit is not None:
            query.append(f"limit={quote(limit, safe='')}")
        sides: dict[str, str | None] = {"fake": None, "real": None}
        if cursor == "garbage":
            sides = {"fake": "bm90LWEta2V5", "real": "bm90LWEta2V5"}
        elif cursor == "follow":
            sides = {side: self.cursors.get((ns, side)) for side in ("fake", "real")}
            if sides["fake"] is None or sides["real"] is None:
                sides = {"fake": None, "real": None}
        path = f"{NS}/{ns}/keys"
        self.counter[0] += 1
        answers = {}
        for side, given in sides.items():
            full = "&".join([*query, *([f"cursor={quote(given, safe='')}"] if given else [])])
            answers[side] = path + (f"?{full}" if full else "")
        fake_answer, _ = self.both.call("GET", answers["fake"])
        _, real_answer = self.both.call("GET", answers["real"])
        for side, answer in (("fake", fake_answer), ("real", real_answer)):
            info = answer.body.get("result_info") if isinstance(answer.body, dict) else None
            self.cursors.pop((ns, side), None)
            if isinstance(info, dict) and info.get("cursor") == CURSOR:
                self.cursors[(ns, side)] = self._raw_cursor(side, answers[side])
        assert fake_answer == real_answer, (
            f"GET {answers}\n  pytest-kv: {fake_answer}\n  explorer:  {real_answer}"
        )

    def _raw_cursor(self, side: str, path: str) -> str:
        # The normalized answer hides cursor texts; ask the side again for its own.
        if side == "fake":
            answer = self.both.api.app.request(
                "GET",
                f"/client/v4/accounts/{self.both.api.account_id}{path}",
                {"authorization": "Bearer t"},
            )
            return str(answer.json()["result_info"]["cursor"])
        _, _, body = self.explorer.send("GET", path, {"authorization": "Bearer t"}, None)
        return str(json.loads(body)["result_info"]["cursor"])

    @rule(
        ns=st.sampled_from([*IDS, "no-such-id"]),
        body=st.one_of(
            st.lists(BULK_KEYS, min_size=1, max_size=4).map(lambda keys: {"keys": keys}),
            st.sampled_from([{}, {"keys": "k"}, {"keys": [1]}, {"keys": ["k"] * 101}, [], "k"]),
            st.just({"keys": ["y" * 513]}),
        ),
    )
    def bulk_get(self, ns: str, body: Any) -> None:
        headers = {"content-type": "application/json"}
        self.check("POST", f"{NS}/{ns}/bulk/get", headers=headers, body=json.dumps(body).encode())

    @rule(
        order=st.sampled_from([None, "id", "title", "name"]),
        direction=st.sampled_from([None, "asc", "desc", "up"]),
    )
    def list_namespaces(self, order: str | None, direction: str | None) -> None:
        query = "&".join(
            f"{name}={value}"
            for name, value in (("order", order), ("direction", direction))
            if value
        )
        self.check("GET", NS + (f"?{query}" if query else ""))

    @rule(
        method_path=st.sampled_from(
            [("GET", "keys"), ("GET", "values/a"), ("PUT", "values/a"), ("DELETE", "values/a")]
        )
    )
    def unknown_namespace(self, method_path: tuple[str, str]) -> None:
        method, rest = method_path
        self.check(method, f"{NS}/NON_EXISTENT/{rest}", body=b"v" if method == "PUT" else None)


class _Summary:
    """A pytest plugin that reports how many requests were compared, at the end."""

    def __init__(self) -> None:
        self.requests = 0

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.requests:
            terminalreporter.write_line(
                f"pytest-kv REST API vs Miniflare's explorer: {self.requests} requests compared"
            )


def test_rest_api_matches_the_explorer(explorer: Explorer, request: pytest.FixtureRequest) -> None:
    counter = [0]
    RestMachine.explorer = explorer
    RestMachine.counter = counter
    run_state_machine_as_test(
        RestMachine,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    # A run that made almost no requests would prove nothing.
    assert counter[0] >= 100, f"only {counter[0]} requests were compared"
    manager = request.config.pluginmanager
    summary = manager.get_plugin("pytest-kv-rest-differential-summary")
    if summary is None:
        summary = _Summary()
        manager.register(summary, "pytest-kv-rest-differential-summary")
    summary.requests += counter[0]
