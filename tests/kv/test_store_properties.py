"""Rules that hold for every input: ordering, prefixes, pagination, rejected calls."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sortedcontainers import SortedList

from pytest_kv import KVError, KVNamespace
from pytest_kv.kv.store import Entry, Store, keys_under

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


def _small_alphabet(raw: bytes) -> bytes:
    # Bytes from a small alphabet, so that prefixes, cursors and the 0xff edge meet often.
    return bytes(b"a\x00b\xff"[byte % 4] for byte in raw)


raw_keys = st.binary(min_size=1, max_size=4).map(_small_alphabet)
raw_prefixes = st.binary(max_size=2).map(_small_alphabet)


def sorted_keys_with_small_inner_lists(keys: set[bytes]) -> SortedList:
    # A load of 4 splits a few dozen keys over many inner lists, as 100k keys split
    # over the default load: a page must cross them.
    sorted_keys = SortedList()
    sorted_keys._reset(4)
    sorted_keys.update(keys)
    return sorted_keys


@given(
    st.sets(raw_keys, max_size=60),
    raw_prefixes,
    st.none() | raw_keys,
    st.integers(min_value=0, max_value=12),
)
def test_keys_under_takes_the_keys_a_page_starts_with_across_inner_lists(
    keys: set[bytes], prefix: bytes, after: bytes | None, count: int
) -> None:
    resumes = after is not None and after >= prefix
    expected = [
        key
        for key in sorted(keys)
        if key.startswith(prefix) and (not resumes or key > after)  # type: ignore[operator]
    ][:count]
    sorted_keys = sorted_keys_with_small_inner_lists(keys)
    assert keys_under(sorted_keys, prefix, after, count) == expected


@given(
    st.dictionaries(raw_keys, st.none() | st.integers(min_value=10, max_value=20), max_size=60),
    raw_prefixes,
    st.none() | raw_keys,
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=0, max_value=25),
)
def test_a_store_page_is_the_live_keys_after_the_cursor_and_drops_what_expired(
    expirations: dict[bytes, int | None],
    prefix: bytes,
    after: bytes | None,
    limit: int,
    now: int,
) -> None:
    store = Store()
    store._entries._list._reset(4)
    for key, expiration in expirations.items():
        store.put(key, Entry(b"v" + key, expiration))
    resumes = after is not None and after >= prefix
    live = [
        key
        for key, expiration in sorted(expirations.items())
        if (expiration is None or now < expiration)
        and key.startswith(prefix)
        and (not resumes or key > after)  # type: ignore[operator]
    ]
    entries, more = store.page(prefix, after, limit, now)
    assert [key for key, _ in entries] == live[:limit]
    assert all(entry.value == b"v" + key for key, entry in entries)
    assert more is (len(live) > limit)
    # What has expired is gone for good, whatever the page covered.
    assert all(store.entry(key) is None for key, e in expirations.items() if e and e <= now)


@given(st.lists(st.tuples(st.sampled_from(["put", "delete", "read"]), st.integers(0, 2), keys)))
def test_stores_share_nothing_while_they_wait_for_their_first_put(
    steps: list[tuple[str, int, str]],
) -> None:
    # Every store starts on one empty dict and makes its own at its first put: what
    # one store is told must never reach another.
    stores = [Store() for _ in range(3)]
    models: list[dict[bytes, bytes]] = [{}, {}, {}]
    for action, which, name in steps:
        key = name.encode()
        store, model = stores[which], models[which]
        if action == "put":
            store.put(key, Entry(key))
            model[key] = key
        elif action == "delete":
            store.delete(key)
            model.pop(key, None)
        else:
            entry, _ = store.read(key, 0.0, 0)
            assert (entry and entry.value) == model.get(key)
    for store, model in zip(stores, models, strict=True):
        assert list(store.keys_from(b"", None)) == sorted(model)
    assert list(Store().keys_from(b"", None)) == []


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["put", "delete"]),
            st.integers(0, 5),
            st.none() | st.integers(min_value=10, max_value=20),
        ),
        max_size=60,
    ),
    st.integers(min_value=0, max_value=25),
)
def test_rewriting_a_key_keeps_it_once_in_order_with_its_latest_expiration(
    steps: list[tuple[str, int, int | None]], now: int
) -> None:
    # A put to a key the store holds takes a shortcut past SortedDict's own
    # __setitem__: the sorted keys must still be exactly the dict's keys.
    store = Store()
    model: dict[bytes, tuple[bytes, int | None]] = {}
    for number, (action, which, expiration) in enumerate(steps):
        key = b"k%d" % which
        if action == "put":
            value = b"v%d" % number
            store.put(key, Entry(value, expiration))
            model[key] = (value, expiration)
        else:
            store.delete(key)
            model.pop(key, None)
    assert list(store._entries._list) == sorted(store._entries) == sorted(model)
    live = {k: v for k, (v, e) in model.items() if e is None or now < e}
    entries, more = store.page(b"", None, 10, now)
    assert {key: entry.value for key, entry in entries} == live
    assert not more
