"""pytest-kv against a reference model small enough to be obviously right.

The model is the specification of a strongly consistent namespace:

* a ``dict`` {key: ``Stored(value bytes, expiration int | None, metadata | None)``};
* a key is live while ``now < expiration`` (expired when ``now >= expiration``),
  for every read alike;
* ``list()`` returns the live keys under the prefix, ``sorted()`` by UTF-8 bytes;
* a put stores ``floor(now) + expirationTtl`` (the TTL wins when both are given) or
  the absolute ``expiration``; it is rejected (400) when the TTL is under 60 or the
  expiration is under ``floor(now) + 60``, (413) when the metadata's JSON is over
  1024 bytes, and (414) when the key is over 512 UTF-8 bytes; a rejected call
  changes nothing;
* a bulk read answers in request order, once per key, ``None`` for a miss, and
  leaves out keys that are canonical array indices ("0", "42", but not "007").

A Hypothesis state machine runs random puts (valid and invalid), reads of every
kind, deletes, paginated listings and clock moves against both, and checks after
every step that the god view (``ns.keys()``, ``ns.peek()``) agrees with the model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from pytest_kv import KVError, KVNamespace, KVSyntaxError

START = 1000.0
MAX_KEY_BYTES = 512
MAX_METADATA_BYTES = 1024
MIN_TTL = 60

# Keys sharing prefixes, multi-byte keys, a key where UTF-8 and UTF-16 order
# disagree ("\uff21" sorts before "😀" by UTF-8 bytes, after it by UTF-16 units),
# digit keys for bulk reads, and keys right at and over the 512-byte limit.
SHORT_KEYS = ("a", "a:", "a:b", "ab", "b", "é", "é:x", "😀", "😀a", "\uff21", "0", "42", "007")
LONG_KEYS = ("a" * 512, "é" * 256, "a" * 513, "é" * 256 + "a")
KEYS = SHORT_KEYS + LONG_KEYS
PREFIXES = (None, "", "a", "a:", "ab", "é", "😀", "0", "4", "z")


class Stored(NamedTuple):
    value: bytes
    expiration: int | None
    metadata: Any


# -- the reference model: plain functions over a dict ---------------------------------


def utf8(key: str) -> bytes:
    return key.encode("utf-8")


def is_live(stored: Stored, now: float) -> bool:
    return stored.expiration is None or now < stored.expiration


def live(model: dict[str, Stored], now: float) -> dict[str, Stored]:
    return {key: stored for key, stored in model.items() if is_live(stored, now)}


def live_names(model: dict[str, Stored], now: float, prefix: str | None = None) -> list[str]:
    names = [key for key in live(model, now) if key.startswith(prefix or "")]
    return sorted(names, key=utf8)


def key_too_long(key: str) -> bool:
    return len(utf8(key)) > MAX_KEY_BYTES


def metadata_size(metadata: Any) -> int:
    return len(utf8(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)))


def put_errors(
    key: str, now: float, ttl: int | None, expiration: int | None, metadata: Any
) -> set[int]:
    """Every status a put may be rejected with (any one of them is fine); empty if valid."""
    errors = set()
    if key_too_long(key):
        errors.add(414)
    if ttl is not None:
        if ttl < MIN_TTL:
            errors.add(400)
    elif expiration is not None and expiration < math.floor(now) + MIN_TTL:
        errors.add(400)
    if metadata is not None and metadata_size(metadata) > MAX_METADATA_BYTES:
        errors.add(413)
    return errors


def stored_expiration(now: float, ttl: int | None, expiration: int | None) -> int | None:
    return math.floor(now) + ttl if ttl is not None else expiration


def text(stored: Stored) -> str:
    return stored.value.decode("utf-8", "replace")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(stored: Stored) -> tuple[bool, Any]:
    """(True, value) if the stored value is JSON, else (False, None)."""
    try:
        return True, json.loads(text(stored), parse_constant=_no_constants)
    except ValueError:
        return False, None


def is_array_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and str(int(key)) == key and int(key) < 2**32 - 1


def list_item(name: str, stored: Stored) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name}
    if stored.expiration is not None:
        item["expiration"] = stored.expiration
    if stored.metadata is not None:
        item["metadata"] = stored.metadata
    return item


# -- strategies -------------------------------------------------------------------------


def often_none(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``None`` about two times in three, else a value from ``strategy``."""
    return st.one_of(st.none(), st.none(), strategy)


# A long key about one call in twelve: enough to meet the limit, not to drown the rest.
keys = st.sampled_from(SHORT_KEYS * 3 + LONG_KEYS)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
json_texts = json_values.map(lambda value: json.dumps(value, ensure_ascii=False))
values = st.one_of(
    st.sampled_from(["", "v", "é😀", "not json", "{", '{"a": 1}', "[1, 2]", "null", "0"]),
    st.text(alphabet='ab é😀{}[]":,1', max_size=6),
    json_texts,
    st.binary(max_size=6),
)
ttls = often_none(st.sampled_from([59, 60, 61]) | st.integers(min_value=-5, max_value=200))
# Absolute expirations, as seconds after floor(now): under 60 is rejected.
expiration_offsets = often_none(
    st.sampled_from([0, 59, 60]) | st.integers(min_value=-5, max_value=200)
)
# The metadata {"pad": "x" * n} is n + 10 bytes of JSON: the limit falls at n = 1014.
padded_metadata = st.one_of(
    st.sampled_from([1014, 1015]), st.integers(min_value=1000, max_value=1030)
).map(lambda n: {"pad": "x" * n})
metadatas = often_none(json_values | padded_metadata)
advances = st.one_of(
    st.integers(min_value=0, max_value=130).map(float),
    st.floats(min_value=0, max_value=130, allow_nan=False, allow_infinity=False),
)


class Clock:
    """Epoch seconds that move only when told to."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def snapshot(ns: KVNamespace) -> list[tuple[str, object]]:
    return [(key, ns.peek(key)) for key in ns.keys()]


def assert_rejected(ns: KVNamespace, statuses: set[int], call: Callable[[], object]) -> None:
    """``call`` raises a KVError with one of ``statuses`` and changes nothing."""
    before = snapshot(ns)
    with pytest.raises(KVError) as info:
        call()
    assert info.value.status in statuses, str(info.value)
    assert str(info.value).startswith("KV ")
    assert f"failed: {info.value.status} " in str(info.value)
    assert snapshot(ns) == before


class ReferenceModel(RuleBasedStateMachine):
    """Every binding call goes to a strongly consistent namespace and to ``self.model``;
    results must match exactly, and a rejected call must leave both unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.ns = KVNamespace("KV", clock=self.clock)
        self.model: dict[str, Stored] = {}

    @property
    def now(self) -> float:
        return self.clock.now

    # -- writes --------------------------------------------------------------------

    @initialize(items=st.lists(st.tuples(st.sampled_from(SHORT_KEYS), values), max_size=10))
    def fill(self, items: list[tuple[str, str | bytes]]) -> None:
        """Start with some keys, so that reads hit and listings span several pages."""
        for key, value in items:
            self.put_plain(key=key, value=value)

    @rule(
        key=keys,
        value=values,
        ttl=ttls,
        offset=expiration_offsets,
        metadata=metadatas,
    )
    def put(
        self, key: str, value: str | bytes, ttl: int | None, offset: int | None, metadata: Any
    ) -> None:
        expiration = None if offset is None else math.floor(self.now) + offset
        options = {"expirationTtl": ttl, "expiration": expiration, "metadata": metadata}
        options = {name: option for name, option in options.items() if option is not None}
        errors = put_errors(key, self.now, ttl, expiration, metadata)
        if errors:
            assert_rejected(self.ns, errors, lambda: self.ns.sync.put(key, value, **options))
            return
        self.ns.sync.put(key, value, **options)
        data = value.encode("utf-8") if isinstance(value, str) else value
        self.model[key] = Stored(data, stored_expiration(self.now, ttl, expiration), metadata)

    @rule(key=keys, value=values)
    def put_plain(self, key: str, value: str | bytes) -> None:
        """The commonest call, ``put(key, value)``; it also keeps the namespace full."""
        self.put(key=key, value=value, ttl=None, offset=None, metadata=None)

    @rule(key=keys)
    def delete(self, key: str) -> None:
        if key_too_long(key):
            assert_rejected(self.ns, {414}, lambda: self.ns.sync.delete(key))
            return
        assert self.ns.sync.delete(key) is None
        self.model.pop(key, None)

    # -- reads ---------------------------------------------------------------------

    def stored(self, key: str) -> Stored | None:
        stored = self.model.get(key)
        return stored if stored is not None and is_live(stored, self.now) else None

    @rule(key=keys)
    def get_text(self, key: str) -> None:
        if key_too_long(key):
            assert_rejected(self.ns, {414}, lambda: self.ns.sync.get(key))
            return
        stored = self.stored(key)
        assert self.ns.sync.get(key) == (None if stored is None else text(stored))

    @rule(key=keys)
    def get_json(self, key: str) -> None:
        if key_too_long(key):
            assert_rejected(self.ns, {414}, lambda: self.ns.sync.get(key, "json"))
            return
        stored = self.stored(key)
        if stored is None:
            assert self.ns.sync.get(key, "json") is None
            return
        ok, parsed = parse_json(stored)
        if ok:
            assert self.ns.sync.get(key, "json") == parsed
        else:
            with pytest.raises(KVSyntaxError):  # JavaScript's SyntaxError from JSON.parse
                self.ns.sync.get(key, "json")

    @rule(key=keys)
    def get_array_buffer(self, key: str) -> None:
        if key_too_long(key):
            assert_rejected(self.ns, {414}, lambda: self.ns.sync.get(key, "arrayBuffer"))
            return
        stored = self.stored(key)
        result = self.ns.sync.get(key, "arrayBuffer")
        if stored is None:
            assert result is None
        else:
            assert isinstance(result, memoryview)
            assert bytes(result) == stored.value

    @rule(key=keys)
    def get_with_metadata(self, key: str) -> None:
        if key_too_long(key):
            assert_rejected(self.ns, {414}, lambda: self.ns.sync.getWithMetadata(key))
            return
        stored = self.stored(key)
        expected = (
            {"value": None, "metadata": None, "cacheStatus": None}
            if stored is None
            else {"value": text(stored), "metadata": stored.metadata, "cacheStatus": None}
        )
        assert self.ns.sync.getWithMetadata(key) == expected

    @rule(names=st.lists(keys, min_size=1, max_size=5), with_metadata=st.booleans())
    def bulk_get(self, names: list[str], with_metadata: bool) -> None:
        read = self.ns.sync.getWithMetadata if with_metadata else self.ns.sync.get
        if any(key_too_long(name) for name in names):
            assert_rejected(self.ns, {414}, lambda: read(names))
            return
        expected: dict[str, Any] = {}
        for name in names:
            stored = self.stored(name)
            if stored is None:
                expected[name] = None
            elif with_metadata:
                expected[name] = {"value": text(stored), "metadata": stored.metadata}
            else:
                expected[name] = text(stored)
        expected = {name: item for name, item in expected.items() if not is_array_index(name)}
        assert list(read(names).items()) == list(expected.items())

    @rule(prefix=st.sampled_from(PREFIXES), limit=st.sampled_from([1, 2, 3, 5, None]))
    def list_all_pages(self, prefix: str | None, limit: int | None) -> None:
        options: dict[str, Any] = {}
        if prefix is not None:
            options["prefix"] = prefix
        if limit is not None:
            options["limit"] = limit
        listed: list[dict[str, Any]] = []
        cursor = None
        for _ in range(len(KEYS) + 2):  # more pages than keys would be a runaway loop
            page = self.ns.sync.list(**options, **({"cursor": cursor} if cursor else {}))
            assert set(page) <= {"keys", "list_complete", "cursor", "cacheStatus"}
            assert page["cacheStatus"] is None
            assert len(page["keys"]) <= (limit or 1000)
            assert ("cursor" in page) is (not page["list_complete"])
            listed.extend(page["keys"])
            if page["list_complete"]:
                break
            cursor = page["cursor"]
            assert isinstance(cursor, str)
            assert cursor
        else:
            pytest.fail("list() never returned list_complete: true")
        live_now = live(self.model, self.now)
        names = live_names(self.model, self.now, prefix)
        assert listed == [list_item(name, live_now[name]) for name in names]

    # -- time ----------------------------------------------------------------------

    @rule(seconds=advances)
    def advance(self, seconds: float) -> None:
        self.clock.now += seconds

    def pending_expirations(self) -> list[int]:
        return sorted(
            {
                stored.expiration
                for stored in self.model.values()
                if stored.expiration is not None and stored.expiration > self.now
            }
        )

    @precondition(lambda self: self.pending_expirations())
    @rule(data=st.data(), before=st.sampled_from([0.0, 0.0, 0.001]))
    def advance_to_expiration(self, data: st.DataObject, before: float) -> None:
        """Land exactly on an expiration (the key is then expired), or just short of it."""
        expiration = data.draw(st.sampled_from(self.pending_expirations()))
        self.clock.now = max(self.now, expiration - before)

    # -- the god view agrees with the model after every step -----------------------

    @invariant()
    def god_view_matches(self) -> None:
        assert self.ns.keys() == live_names(self.model, self.now)
        for key in KEYS:
            entry = self.ns.peek(key)
            stored = self.stored(key)
            if stored is None:
                assert entry is None
            else:
                assert entry is not None
                assert (entry.key, entry.value, entry.expiration, entry.metadata) == (
                    key,
                    stored.value,
                    stored.expiration,
                    stored.metadata,
                )


ReferenceModel.TestCase.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
TestReferenceModel = ReferenceModel.TestCase


# -- regressions: boundaries replayed through the machine, so the model checks them ------


def test_expiration_exactly_at_now_is_expired_everywhere() -> None:
    machine = ReferenceModel()
    machine.put(key="a", value="v", ttl=60, offset=None, metadata={"m": 1})
    machine.put(key="a:", value="w", ttl=None, offset=60, metadata=None)
    machine.clock.now = START + 59.999
    assert machine.ns.sync.get("a") == "v"
    machine.god_view_matches()
    machine.clock.now = START + 60  # now == expiration: expired
    assert machine.ns.sync.get("a") is None
    assert machine.ns.sync.get(["a", "a:"]) == {"a": None, "a:": None}
    assert machine.ns.sync.getWithMetadata("a")["value"] is None
    assert machine.ns.sync.list()["keys"] == []
    assert machine.ns.peek("a") is None
    assert machine.ns.keys() == []
    machine.get_text(key="a")
    machine.get_with_metadata(key="a")
    machine.list_all_pages(prefix=None, limit=1)
    machine.bulk_get(names=["a", "a:"], with_metadata=True)


def test_expiration_is_measured_from_the_floor_of_a_fractional_now() -> None:
    machine = ReferenceModel()
    machine.clock.now = START + 0.7
    # floor(now) + 59 is too soon, floor(now) + 60 is fine, and a TTL counts from floor(now).
    with pytest.raises(KVError, match=r"^KV PUT failed: 400 Invalid expiration of 1059\."):
        machine.ns.sync.put("a", "v", expiration=1059)
    machine.put(key="a", value="v", ttl=None, offset=59, metadata=None)
    machine.put(key="b", value="v", ttl=None, offset=60, metadata=None)
    machine.put(key="é", value="v", ttl=60, offset=None, metadata=None)
    assert machine.ns.peek("a") is None
    assert machine.ns.peek("b") is not None
    assert machine.ns.peek("b").expiration == 1060
    assert machine.ns.peek("é") is not None
    assert machine.ns.peek("é").expiration == 1060
    machine.clock.now = 1060.0
    assert machine.ns.keys() == []
    machine.god_view_matches()


def test_ttl_under_60_is_rejected_and_changes_nothing() -> None:
    machine = ReferenceModel()
    machine.put(key="a", value="old", ttl=None, offset=None, metadata={"v": 1})
    with pytest.raises(KVError) as info:
        machine.ns.sync.put("a", "new", expirationTtl=30)
    assert info.value.status == 400
    assert str(info.value) == (
        "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
    )
    machine.put(key="a", value="new", ttl=59, offset=None, metadata=None)  # rejected
    machine.put(key="a", value="new", ttl=60, offset=-5, metadata=None)  # the TTL wins
    assert machine.ns.peek("a").expiration == 1060
    machine.god_view_matches()


def test_metadata_limit_is_1024_bytes_of_json() -> None:
    machine = ReferenceModel()
    machine.put(key="a", value="v", ttl=None, offset=None, metadata={"pad": "x" * 1014})
    assert metadata_size({"pad": "x" * 1014}) == 1024
    with pytest.raises(KVError, match=r"^KV PUT failed: 413 Metadata length of 1025 exceeds"):
        machine.ns.sync.put("b", "v", metadata={"pad": "x" * 1015})
    machine.put(key="b", value="v", ttl=None, offset=None, metadata={"pad": "x" * 1015})
    assert machine.ns.keys() == ["a"]
    machine.god_view_matches()


@pytest.mark.parametrize("key", ["a" * 512, "é" * 256], ids=["ascii", "two-byte"])
def test_key_of_exactly_512_bytes_is_accepted(key: str) -> None:
    machine = ReferenceModel()
    machine.put(key=key, value="v", ttl=None, offset=None, metadata=None)
    assert machine.ns.sync.get(key) == "v"
    assert machine.ns.sync.list()["keys"] == [{"name": key}]
    machine.bulk_get(names=[key, "a"], with_metadata=False)
    machine.delete(key=key)
    machine.god_view_matches()


@pytest.mark.parametrize("key", ["a" * 513, "é" * 256 + "a"], ids=["ascii", "two-byte"])
def test_key_of_513_bytes_is_rejected_with_414(key: str) -> None:
    machine = ReferenceModel()
    message = "UTF-8 encoded length of 513 exceeds key length limit of 512."
    for call, op in (
        (lambda: machine.ns.sync.put(key, "v"), "PUT"),
        (lambda: machine.ns.sync.get(key), "GET"),
        (lambda: machine.ns.sync.delete(key), "DELETE"),
        (lambda: machine.ns.sync.get([key]), "GET_BULK"),
    ):
        with pytest.raises(KVError) as info:
            call()
        assert info.value.status == 414
        assert str(info.value) == f"KV {op} failed: 414 {message}"
    machine.put(key=key, value="v", ttl=60, offset=None, metadata=None)
    machine.get_text(key=key)
    machine.delete(key=key)
    assert machine.ns.keys() == []
    machine.god_view_matches()


def test_bulk_reads_drop_canonical_array_index_keys() -> None:
    machine = ReferenceModel()
    for key in ("0", "42", "007", "a"):
        machine.put(key=key, value=key, ttl=None, offset=None, metadata=None)
    assert machine.ns.sync.get(["42", "a", "007", "0", "a"]) == {"a": "a", "007": "007"}
    assert list(machine.ns.sync.get(["42", "a", "007", "0", "a"])) == ["a", "007"]
    machine.bulk_get(names=["42", "a", "007", "0", "a"], with_metadata=False)
    machine.bulk_get(names=["0", "b"], with_metadata=True)


def test_listing_is_in_utf8_byte_order_not_utf16() -> None:
    machine = ReferenceModel()
    for key in ("😀", "\uff21", "é", "a"):
        machine.put(key=key, value="v", ttl=None, offset=None, metadata=None)
    # U+FF21 is EF BC A1 in UTF-8, before F0 9F 98 80; in UTF-16 it comes after D83D.
    assert machine.ns.keys() == ["a", "é", "\uff21", "😀"]
    machine.list_all_pages(prefix=None, limit=3)
