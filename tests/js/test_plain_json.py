"""The C shortcut for plain JSON must write exactly what the general writer writes
(which the Node-checked tests pin to V8), or decline."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_kv.js import plain
from pytest_kv.js.convert import check_sendable
from pytest_kv.js.json_stringify import _json
from pytest_kv.js.plain import plain_json

names = st.one_of(
    st.text(max_size=4), st.sampled_from(["0", "1", "01", "4294967295", "\ud800", "a\udc00"])
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["\ud83d", "\u2028", '"\\\n\x00', "é😀"]),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(names, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=1000)
@given(values)
def test_plain_json_writes_what_the_general_writer_writes(value: Any) -> None:
    text = plain_json(value)
    if text is not None:
        check_sendable(value)
        assert text == _json(value)


@given(values)
def test_the_reused_c_encoder_writes_what_json_encoder_writes(value: Any) -> None:
    fallback = plain._dumps_with(None)
    if plain._is_plain(value):
        assert plain._dumps(value) == fallback(value)


def test_common_metadata_is_plain() -> None:
    """The shortcut is taken where it matters: flat and nested everyday metadata."""
    assert plain_json({"owner": "ada", "v": 2, "ok": True, "x": None}) == (
        '{"owner":"ada","v":2,"ok":true,"x":null}'
    )
    assert plain_json({"tags": ["a", {"b": []}]}) == '{"tags":["a",{"b":[]}]}'
    # A flat object is written member by member: each string escaped as V8 does.
    assert plain_json({'a"b': "c\\d\n\x1f", "é": "\u2028😀"}) == (
        '{"a\\"b":"c\\\\d\\n\\u001f","é":"\u2028😀"}'
    )
    for declined in ({"n": 1.5}, {"1": "x"}, {"k": "\ud800"}, {"\udc00": 1}, [2**53], {1: "x"}):
        assert plain_json(declined) is None


def test_remembered_names_write_what_fresh_ones_write(monkeypatch: Any) -> None:
    """A name written before is written the same way from memory, a name that may not
    be written plainly is never remembered, and a full memory still writes correctly."""
    monkeypatch.setattr(plain, "_NAMES", {})
    value = {'q"uote': 1, "plain": "x"}
    first = plain_json(value)
    assert plain._NAMES == {'q"uote': '"q\\"uote":', "plain": '"plain":'}
    assert plain_json(value) == first == _json(value)
    for declined in ({"7": 1}, {"\udc00": 1}):
        assert plain_json(declined) is None
        assert plain_json(declined) is None
    assert "7" not in plain._NAMES
    monkeypatch.setattr(plain, "_MAX_NAMES", len(plain._NAMES))
    assert plain_json({"new": True, "plain": None}) == '{"new":true,"plain":null}'
    assert "new" not in plain._NAMES


class _FoldedName(str):
    """A name equal to any name that differs from it only in case."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.lower() == other.lower()

    def __hash__(self) -> int:
        return hash(self.lower())


def test_a_name_equal_to_a_remembered_one_is_written_as_itself() -> None:
    # Only names of type str are remembered, and only a str finds its text there: a
    # subclass that compares equal to a remembered name is still its own name, and
    # goes the general way, which writes it as it reads.
    assert plain_json({"role": 1}) == '{"role":1}'  # "role" is remembered now
    folded = {_FoldedName("ROLE"): 1}
    assert plain_json(folded) is None
    assert _json(folded) == '{"ROLE":1}'
