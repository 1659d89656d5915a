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
