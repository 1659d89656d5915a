"""Rules that hold for every input: ordering, prefixes, pagination, rejected calls."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_kv import KVError, KVNamespace

keys = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12).filter(
    lambda key: key not in (".", "..")
)


def namespace_with(names: set[str]) -> KVNamespace:
    ns = KVNamespace(clock=lambda: 1000.0)
    ns.seed(dict.fromkeys(names, "v"))
    return ns


def walk(ns: KVNamespace, prefix: str | None, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        result = ns.sync.list(prefix=prefix, limit=limit, cursor=cursor)
        names = [item["name"] for item in result["keys"]]
        assert len(names) <= limit
        assert ("cursor" in result) is (not result["list_complete"])
        pages.append(names)
        if result["list_complete"]:
            return pages
        cursor = result["cursor"]


@given(st.sets(keys, max_size=40))
def test_list_is_in_utf8_byte_order(names: set[str]) -> None:
    listed = [item["name"] for item in namespace_with(names).sync.list()["keys"]]
    assert listed == sorted(names, key=lambda name: name.encode("utf-8"))
    assert listed == sorted(names)  # code-point order is the same for valid text


@given(st.sets(keys, max_size=40), st.text(max_size=3))
def test_prefix_selects_exactly_the_keys_that_start_with_it(names: set[str], prefix: str) -> None:
    listed = [item["name"] for item in namespace_with(names).sync.list(prefix=prefix)["keys"]]
    assert listed == sorted(name for name in names if name.startswith(prefix))


@given(st.sets(keys, max_size=60), st.integers(min_value=1, max_value=7), st.text(max_size=2))
def test_pagination_returns_every_key_once(names: set[str], limit: int, prefix: str) -> None:
    ns = namespace_with(names)
    pages = walk(ns, prefix or None, limit)
    flat = [name for page in pages for name in page]
    assert flat == sorted(name for name in names if name.startswith(prefix))
    assert all(len(page) == limit for page in pages[:-1])


@given(st.sets(keys, max_size=30), st.sets(keys, max_size=10), st.integers(1, 5))
def test_keys_written_mid_walk_appear_only_after_the_cursor(
    names: set[str], later: set[str], limit: int
) -> None:
    ns = namespace_with(names)
    first = ns.sync.list(limit=limit)
    seen = [item["name"] for item in first["keys"]]
    if first["list_complete"]:
        return
    for name in later:
        ns.sync.put(name, "v")
    rest = [name for page in walk_from(ns, first["cursor"], limit) for name in page]
    assert rest == sorted(name for name in names | later if name > seen[-1])


def walk_from(ns: KVNamespace, cursor: str, limit: int) -> list[list[str]]:
    pages = []
    while True:
        result = ns.sync.list(limit=limit, cursor=cursor)
        pages.append([item["name"] for item in result["keys"]])
        if result["list_complete"]:
            return pages
        cursor = result["cursor"]


bad_calls = st.one_of(
    st.tuples(st.just("put"), st.sampled_from(["", ".", "..", "x" * 513]), st.just({})),
    st.tuples(
        st.just("put"),
        keys,
        st.fixed_dictionaries(
            {},
            optional={"expirationTtl": st.integers(-100, 59), "expiration": st.integers(0, 1059)},
        ).filter(bool),
    ),
    st.tuples(st.just("put"), keys, st.just({"metadata": {"m": "x" * 1100}})),
    st.tuples(st.just("put"), keys, st.just({"expiration_ttl": 60})),
    st.tuples(st.just("delete"), st.sampled_from(["", "\ud800"]), st.just({})),
)


@settings(max_examples=150)
@given(st.dictionaries(keys, st.text(max_size=5), max_size=10), bad_calls)
def test_a_rejected_call_changes_nothing(data: dict[str, str], call: tuple[str, str, Any]) -> None:
    method, key, options = call
    ns = KVNamespace(clock=lambda: 1000.0)
    ns.seed(data)
    before = [(name, ns.peek(name)) for name in ns.keys()]
    try:
        if method == "put":
            ns.sync.put(key, "new", options)
        else:
            ns.sync.delete(key)
    except KVError:
        pass
    else:  # pragma: no cover - every generated call is invalid
        raise AssertionError(f"{call!r} was accepted")
    assert [(name, ns.peek(name)) for name in ns.keys()] == before
