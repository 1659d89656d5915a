"""JavaScript value semantics: Python -> JS conversion, coercions, JSON.stringify/parse.

The first half pins exact values taken from Node 20 (V8 11.3, the engine generation
workerd ships). The second half runs the same functions against a live ``node``
process on generated inputs, so any drift from V8 shows up as a counterexample.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_kv.errors import (
    BIGINT_TO_JSON,
    BIGINT_TO_NUMBER,
    INT_OUT_OF_RANGE,
    KVSyntaxError,
    KVTypeError,
)
from pytest_kv.js.convert import (
    MAX_SAFE_INTEGER,
    check_sendable,
    number_to_string,
    to_int32,
    to_js_string,
    to_number,
)
from pytest_kv.js.jsdict import JsDict
from pytest_kv.js.json_parse import _V8JsonParser, json_parse
from pytest_kv.js.json_stringify import json_stringify

# --- number_to_string ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (0.1, "0.1"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1.5e21, "1.5e+21"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (1.23e-18, "1.23e-18"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (2.0**53, "9007199254740992"),
        (123.456, "123.456"),
    ],
)
def test_number_to_string(x: float, expected: str) -> None:
    assert number_to_string(x) == expected


# --- to_number / to_int32 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", 0.0),
        ("   ", 0.0),
        (" 42 ", 42.0),
        ("\u00a0\ufeff\u2028 7\u3000\u205f", 7.0),
        ("+.5", 0.5),
        ("5.", 5.0),
        ("-.5e-3", -0.0005),
        ("1E3", 1000.0),
        ("00012", 12.0),
        ("0x1F", 31.0),
        ("0X1f", 31.0),
        ("0o17", 15.0),
        ("0B101", 5.0),
        ("Infinity", math.inf),
        ("+Infinity", math.inf),
        ("-Infinity", -math.inf),
        ("1e400", math.inf),
        ("0x" + "f" * 300, math.inf),
        (None, 0.0),
        (True, 1.0),
        (False, 0.0),
        (7, 7.0),
        (2.5, 2.5),
        ([], 0.0),
        ([5], 5.0),
        ([[" 6 "]], 6.0),
        ([None], 0.0),
        (b"\x09", 9.0),
        (datetime(1970, 1, 1, 0, 0, 1), 1000.0),
    ],
)
def test_to_number(value: object, expected: float) -> None:
    assert to_number(value) == expected


@pytest.mark.parametrize(
    "value",
    # Python's float() accepts all of these; JavaScript's Number() accepts none.
    [
        "inf",
        "nan",
        "NaN",
        "infinity",
        "1_000",
        "-0x10",
        "0x",
        ".",
        ".e1",
        "1e",
        "+-1",
        "\u180e1",
        "\x851",
        "\x1c1",
        "\u0661",  # ARABIC-INDIC DIGIT ONE: a digit to Python, not to JavaScript
        "1 2",
        [1, 2],
        {},
        {"a": 1},
        b"\x01\x02",
        {1},
        object(),
    ],
)
def test_to_number_nan(value: object) -> None:
    assert math.isnan(to_number(value))


def test_to_number_negative_zero_and_str_of_objects() -> None:
    assert math.copysign(1, to_number("-0")) == -1

    class Seven:
        def __str__(self) -> str:
            return " 7 "

    assert to_number(Seven()) == 7.0


def test_to_number_bigint_is_a_type_error() -> None:
    assert to_number(MAX_SAFE_INTEGER) == float(MAX_SAFE_INTEGER)
    assert to_number(-MAX_SAFE_INTEGER) == -float(MAX_SAFE_INTEGER)
    for big in (MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1):
        with pytest.raises(KVTypeError) as info:
            to_number(big)
        assert str(info.value) == BIGINT_TO_NUMBER
    # Inside an array the BigInt is only printed, never converted.
    assert to_number([2**60]) == float(2**60)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60.9", 60),
        ("-60.9", -60),
        (60.999, 60),
        (None, 0),
        ("x", 0),
        (math.nan, 0),
        (math.inf, 0),
        ("-Infinity", 0),
        (2147483647, 2147483647),
        (-2147483648, -2147483648),
        ("0x7fffffff", 2147483647),
        (-2147483648.0, -2147483648),
        (True, 1),
        ([30], 30),
    ],
)
def test_to_int32(value: object, expected: int) -> None:
    result = to_int32(value)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    "value", [2147483648, -2147483649, 2147483647.5, -2147483648.5, "1e10", 1e300, "0x80000000"]
)
def test_to_int32_out_of_range(value: object) -> None:
    with pytest.raises(KVTypeError) as info:
        to_int32(value)
    assert str(info.value) == INT_OUT_OF_RANGE


def test_to_int32_bigint() -> None:
    with pytest.raises(KVTypeError) as info:
        to_int32(2**53)
    assert str(info.value) == BIGINT_TO_NUMBER


# --- to_js_string / check_sendable -----------------------------------------------------


class Thing:
    def __str__(self) -> str:
        return "a thing"


def a_function() -> None:
    """Stands for any Python callable passed into JavaScript."""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-12, "-12"),
        (2**64, "18446744073709551616"),
        (1.0, "1"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (math.nan, "NaN"),
        ("text", "text"),
        ("", ""),
        ([], ""),
        ([1, None, [2, [3, None]], "x", 1.5, True], "1,,2,3,,x,1.5,true"),
        ([{}], "[object Object]"),
        ({"a": 1}, "[object Object]"),
        (b"\x01\x02\x03", "1,2,3"),
        (memoryview(b"\xff\x00"), "255,0"),
        (b"", ""),
        ({1, 2}, "[object Set]"),
        (frozenset(), "[object Set]"),
        (Thing(), "a thing"),
        (ValueError("bad"), "Error: bad"),
        (ValueError(), "Error"),
        (
            datetime(2024, 2, 29, 13, 5, 9, 7999),
            "Thu Feb 29 2024 13:05:09 GMT+0000 (Coordinated Universal Time)",
        ),
        (
            datetime(5, 1, 1, tzinfo=timezone(timedelta(hours=-2))),
            "Sat Jan 01 0005 02:00:00 GMT+0000 (Coordinated Universal Time)",
        ),
    ],
)
def test_to_js_string(value: object, expected: str) -> None:
    assert to_js_string(value) == expected


def test_to_js_string_of_huge_int_is_not_limited_by_python() -> None:
    n = 7 * 10**9000 + 3
    assert to_js_string(n) == "7" + "0" * 8999 + "3"
    assert to_js_string(-n) == "-7" + "0" * 8999 + "3"


def test_to_js_string_of_callable_is_str() -> None:
    assert to_js_string(a_function) == str(a_function)


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ((1, 2), "<class 'tuple'>"),
        (bytearray(b"x"), "<class 'bytearray'>"),
        ({"a": [1, {"b": ()}]}, "<class 'tuple'>"),
        ([[bytearray()]], "<class 'bytearray'>"),
        ({(1, 2)}, "<class 'tuple'>"),
    ],
)
def test_not_sendable(value: object, type_name: str) -> None:
    message = f"{type_name} cannot be sent over RPC."
    for convert in (check_sendable, to_js_string, to_number, to_int32, json_stringify):
        with pytest.raises(KVTypeError) as info:
            convert(value)
        assert str(info.value) == message


def test_sendable_values_pass() -> None:
    # Tuples as dict *keys* are fine: the SDK only inspects values.
    for value in (None, 1, "s", b"b", [1, [2]], {"a": {"b": None}}, {(1, 2): "v"}, Thing()):
        check_sendable(value)


# --- json_stringify ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (0, "0"),
        (-MAX_SAFE_INTEGER, "-9007199254740991"),
        (1.0, "1"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (math.nan, "null"),
        (math.inf, "null"),
        ([math.inf, -math.inf], "[null,null]"),
        ('a"b\\c/d', '"a\\"b\\\\c/d"'),
        ("\b\f\n\r\t\x00\x01\x1f\x7f", '"\\b\\f\\n\\r\\t\\u0000\\u0001\\u001f\x7f"'),
        ("\u2028\u2029é😀", '"\u2028\u2029é😀"'),
        ("\ud800 \udc00 \udbff", '"\\ud800 \\udc00 \\udbff"'),
        # Two halves held as two Python characters are one character in JavaScript.
        ("\ud83d\ude00", '"😀"'),
        ("\ude00\ud83d", '"\\ude00\\ud83d"'),
        ([], "[]"),
        ({}, "{}"),
        ([None, [None], {}], "[null,[null],{}]"),
        ({"a": None, "b": [1, "x"]}, '{"a":null,"b":[1,"x"]}'),
        (
            {"b": 1, "4294967295": 2, "4294967294": 3, "10": 4, "2": 5, "01": 6, "-1": 7},
            '{"2":5,"10":4,"4294967294":3,"b":1,"4294967295":2,"01":6,"-1":7}',
        ),
        # Keys go through ToString; the later duplicate wins but keeps the first slot.
        ({"x": 0, None: 1, "undefined": 2, True: 3}, '{"x":0,"undefined":2,"true":3}'),
        ({"k": 0, 1.5: 1, "1.5": 2, "z": 3}, '{"k":0,"1.5":2,"z":3}'),
        ({1.0: "a", 2**64: "b", math.nan: "c"}, '{"1":"a","18446744073709551616":"b","NaN":"c"}'),
        ({(1, (2, None)): 1, b"\x07": 2, frozenset(): 3}, '{"7":2,"1,2,":1,"[object Set]":3}'),
        ({"f": a_function, "g": 1}, '{"g":1}'),
        ([a_function, Thing], "[null,null]"),
        (b"\x01\x02", '{"0":1,"1":2}'),
        (b"", "{}"),
        ({1, 2}, "{}"),
        (KeyError("k"), "{}"),
        (datetime(2024, 1, 2, 3, 4, 5, 678999), '"2024-01-02T03:04:05.678Z"'),
        # Date(-1.5) truncates toward zero, to -1 ms.
        (datetime(1969, 12, 31, 23, 59, 59, 998500), '"1969-12-31T23:59:59.999Z"'),
        (
            datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            '"2024-01-01T21:34:05.000Z"',
        ),
        (JsDict(a=1), '{"a":1}'),
    ],
)
def test_json_stringify(value: object, expected: str) -> None:
    assert json_stringify(value) == expected


def test_json_stringify_undefined() -> None:
    assert json_stringify(a_function) is None
    assert json_stringify(len) is None
    assert json_stringify(Thing) is None  # classes are callable too


def test_json_stringify_bigint() -> None:
    for value in (2**53, [1, -(2**53)], {"a": {"b": 2**80}}):
        with pytest.raises(KVTypeError) as info:
            json_stringify(value)
        assert str(info.value) == BIGINT_TO_JSON


def test_json_stringify_pyproxy_is_refused_by_type_name() -> None:
    with pytest.raises(KVTypeError, match="'Thing'"):
        json_stringify({"a": Thing()})


# --- json_parse ----------------------------------------------------------------------


def test_json_parse_values() -> None:
    assert json_parse("null") is None
    assert json_parse(" true ") is True
    assert json_parse('"\\ud83d\\ude00\\u0041"') == "😀A"
    assert json_parse('"\\ud800"') == "\ud800"

    numbers = json_parse("[1, 1.0, -0, -0.0, 1e2, 1.5, 9007199254740991, 9007199254740992, 1e400]")
    assert numbers == [1, 1, 0, 0, 100, 1.5, MAX_SAFE_INTEGER, 2.0**53, math.inf]
    assert isinstance(numbers, list)
    assert [type(n) for n in numbers] == [int] * 5 + [float, int, float, float]


def test_json_parse_objects_are_jsdicts_in_js_order() -> None:
    value = json_parse('{"b": {"y": [{"z": 1}]}, "2": 0, "a": 1, "b": {"x": [{}]}, "10": 2}')
    assert type(value) is JsDict
    # Index keys first, then insertion order; a duplicate keeps its first slot.
    assert list(value.items()) == [("2", 0), ("10", 2), ("b", {"x": [{}]}), ("a", 1)]
    inner = value["b"]
    assert type(inner) is JsDict
    assert type(inner["x"][0]) is JsDict


def test_json_parse_raw_surrogates_behave_as_utf16() -> None:
    # An escaped high surrogate followed by a raw low one is a pair in JavaScript.
    assert json_parse('"\\ud83d\ude00"') == "😀"
    assert json_parse('["\ud800", 1.0]') == ["\ud800", 1]


def test_json_parse_deep_nesting_is_fine() -> None:
    depth = 50_000
    value = json_parse("[" * depth + "]" * depth)
    for _ in range(depth - 1):
        assert isinstance(value, list)
        value = value[0]
    assert value == []
    with pytest.raises(KVSyntaxError) as info:
        json_parse("[" * depth + "]" * (depth - 1))
    assert str(info.value) == (
        "Expected ',' or ']' after array element in JSON at position "
        f"{2 * depth - 1} (line 1 column {2 * depth})"
    )


def in_workerd(text: str, message: str) -> str:
    """A Node 20 message as workerd's newer V8 words it: positions gain a line and column.

    Recorded from workerd 1.20260730 (Miniflare 4.20260730.0): ``\r\n`` is one line
    break, ``\r`` and ``\n`` one each; columns count UTF-16 units from 1.
    """
    match = re.search(r" at position (\d+)$", message)
    if match is None:
        return message
    units = text.encode("utf-16-le", "surrogatepass")
    before = units[: 2 * int(match.group(1))].decode("utf-16-le", "surrogatepass")
    lines = before.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    tail = len(lines[-1].encode("utf-16-le", "surrogatepass")) // 2
    return f"{message} (line {len(lines)} column {tail + 1})"


# Messages workerd gave for JSON.parse, as recorded by a Miniflare probe.
WORKERD_MESSAGES = [
    ("{", "Expected property name or '}' in JSON at position 1 (line 1 column 2)"),
    ('\n\n  {"a" 1}', "Expected ':' after property name in JSON at position 9 (line 3 column 8)"),
    ("[\n1]x", "Unexpected non-whitespace character after JSON at position 4 (line 2 column 3)"),
    ('["\\x"]', "Bad escaped character in JSON at position 3 (line 1 column 4)"),
    ("[\r\n\r\n-]", "No number after minus sign in JSON at position 6 (line 3 column 2)"),
    ('"ab\ncd"', "Bad control character in string literal in JSON at position 3 (line 1 column 4)"),
    ("[1,\r2,,]", "Unexpected token ',', \"[1,\r2,,]\" is not valid JSON"),
]


@pytest.mark.parametrize(("text", "message"), WORKERD_MESSAGES)
def test_json_parse_errors_as_workerd_words_them(text: str, message: str) -> None:
    with pytest.raises(KVSyntaxError) as info:
        json_parse(text)
    assert str(info.value) == message
    assert in_workerd(text, message.split(" (line")[0]) == message


# Every message V8 11.3 (Node 20) produces for JSON.parse, recorded from node.
V8_MESSAGES = [
    ("", "Unexpected end of JSON input"),
    ("   ", "Unexpected end of JSON input"),
    ("[1,", "Unexpected end of JSON input"),
    ('{"a":', "Unexpected end of JSON input"),
    ('"ab\\', "Unexpected end of JSON input"),
    ("tru", "Unexpected end of JSON input"),
    ('{"a":1,"b"', "Unexpected end of JSON input"),
    ("01", "Unexpected number in JSON at position 1"),
    ("[-01]", "Unexpected number in JSON at position 3"),
    ("t1", "Unexpected number in JSON at position 1"),
    ('{"a":1,"b" 1}', "Unexpected number in JSON at position 11"),
    ('t"', "Unexpected string in JSON at position 1"),
    ('{"a":1,"b" "c"}', "Unexpected string in JSON at position 11"),
    ('"abc', "Unterminated string in JSON at position 4"),
    ('"\\u0041', "Unterminated string in JSON at position 7"),
    ("{", "Expected property name or '}' in JSON at position 1"),
    ("{ 1:2}", "Expected property name or '}' in JSON at position 2"),
    ("[1 2", "Expected ',' or ']' after array element in JSON at position 3"),
    ("[1", "Expected ',' or ']' after array element in JSON at position 2"),
    ('{"a":1 "b"}', "Expected ',' or '}' after property value in JSON at position 7"),
    ('{"a":1', "Expected ',' or '}' after property value in JSON at position 6"),
    ('{"a" 1}', "Expected ':' after property name in JSON at position 5"),
    ('{"a"', "Expected ':' after property name in JSON at position 4"),
    ('{"a":1,}', "Expected double-quoted property name in JSON at position 7"),
    ('{"a":1, ', "Expected double-quoted property name in JSON at position 8"),
    ("1e", "Exponent part is missing a number in JSON at position 2"),
    ("2.5E+x", "Exponent part is missing a number in JSON at position 5"),
    ("1.", "Unterminated fractional number in JSON at position 2"),
    ("1.e5", "Unterminated fractional number in JSON at position 2"),
    ("-", "No number after minus sign in JSON at position 1"),
    ("-Infinity", "No number after minus sign in JSON at position 1"),
    ('"a\nb"', "Bad control character in string literal in JSON at position 2"),
    ('["\x00"]', "Bad control character in string literal in JSON at position 2"),
    ('"\\u12g4"', "Bad Unicode escape in JSON at position 5"),
    ('"\\u00', "Bad Unicode escape in JSON at position 5"),
    ('"a\\x"', "Bad escaped character in JSON at position 3"),
    ('"\\U0041"', "Bad escaped character in JSON at position 2"),
    ('"\\\xff"', "Bad escaped character in JSON at position 2"),
    ('"\\\u0100"', 'Unexpected token \'\u0100\', ""\\\u0100"" is not valid JSON'),
    ("1 2", "Unexpected non-whitespace character after JSON at position 2"),
    ('"a" "b"', "Unexpected non-whitespace character after JSON at position 4"),
    ("[1,2]]", "Unexpected non-whitespace character after JSON at position 5"),
    ("v", "Unexpected token 'v', \"v\" is not valid JSON"),
    ("value", "Unexpected token 'v', \"value\" is not valid JSON"),
    ("[1,]", "Unexpected token ']', \"[1,]\" is not valid JSON"),
    ('{"a":1,"b"}', 'Unexpected token \'}\', "{"a":1,"b"}" is not valid JSON'),
    ("nan", "Unexpected token 'a', \"nan\" is not valid JSON"),
    ("[NaN]", "Unexpected token 'N', \"[NaN]\" is not valid JSON"),
    ("\ufeff1", "Unexpected token '\ufeff', \"\ufeff1\" is not valid JSON"),
    ("\u00a01", "Unexpected token '\u00a0', \"\u00a01\" is not valid JSON"),
    ("😀", "Unexpected token '\ud83d', \"😀\" is not valid JSON"),
    ("x" * 20, f"Unexpected token 'x', \"{'x' * 20}\" is not valid JSON"),
    ("x" + " " * 20, "Unexpected token 'x', \"x         \"... is not valid JSON"),
    (
        " " * 9 + "x" + " " * 11,
        "Unexpected token 'x', \"         x         \"... is not valid JSON",
    ),
    (
        " " * 10 + "x" + " " * 10,
        "Unexpected token 'x', ...\"          x         \"... is not valid JSON",
    ),
    (
        " " * 11 + "x" + " " * 9,
        "Unexpected token 'x', ...\"          x         \" is not valid JSON",
    ),
    (" " * 20 + "x", "Unexpected token 'x', ...\"          x\" is not valid JSON"),
    # Positions and windows count UTF-16 code units, splitting pairs if need be.
    ("x" * 5 + "😀" * 10 + "y", "Unexpected token 'x', \"xxxxx😀😀\ud83d\"... is not valid JSON"),
    ("[" + "😀" * 10 + "x", "Unexpected token '\ud83d', \"[😀😀😀😀😀\"... is not valid JSON"),
    ("NaN", '"NaN" is not valid JSON'),
    ("Infinity", '"Infinity" is not valid JSON'),
    ("undefined", '"undefined" is not valid JSON'),
    ("[object Object]", '"[object Object]" is not valid JSON'),
    (" NaN", "Unexpected token 'N', \" NaN\" is not valid JSON"),
]


@pytest.mark.parametrize(("text", "message"), V8_MESSAGES)
def test_json_parse_errors(text: str, message: str) -> None:
    with pytest.raises(KVSyntaxError) as info:
        json_parse(text)
    assert str(info.value) == in_workerd(text, message)


# Values the fast path (json.loads) and the V8 parser must agree on.
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(json_values, st.booleans())
def test_fast_and_v8_parsers_agree(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    fast = json_parse(text)
    slow = _V8JsonParser(text).parse()
    assert _tag(fast) == _tag(slow)


# --- differential tests against node -----------------------------------------------------

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(
    NODE is None, reason="node (Node.js) is not on PATH; it is the JavaScript oracle here"
)

ORACLE_JS = r"""
const readline = require("readline");
const numText = (x) => (Object.is(x, -0) ? "-0" : String(x));
// Python value (tagged) -> the JS value python_to_rpc produces.
const fromPy = (t) => {
  switch (t[0]) {
    case "null": return null;
    case "undef": return undefined;
    case "bool": return t[1];
    case "num": return Number(t[1]);
    case "big": return BigInt(t[1]);
    case "str": return t[1];
    case "fn": return function f() {};
    case "list": return t[1].map(fromPy);
    case "dict": return Object.fromEntries(t[1].map(([k, v]) => [fromPy(k), fromPy(v)]));
  }
  throw new Error("bad tag " + t[0]);
};
// JS value -> tagged form of what Pyodide hands to Python.
const toPy = (v) => {
  if (v === null) return ["null"];
  if (typeof v === "boolean") return ["bool", v];
  if (typeof v === "number") {
    return Number.isSafeInteger(v) ? ["int", String(v)] : ["float", numText(v)];
  }
  if (typeof v === "string") return ["str", v];
  if (Array.isArray(v)) return ["list", v.map(toPy)];
  return ["dict", Object.entries(v).map(([k, x]) => [k, toPy(x)])];
};
const ops = {
  numberToString: (a) => String(Number(a)),
  toNumber: (a) => numText(Number(a)),
  // workerd's JSG int unwrap: ToNumber, non-finite -> 0, range check, truncate.
  toInt32: (a) => {
    const n = Number(a);
    if (!Number.isFinite(n)) return 0;
    if (n > 2147483647 || n < -2147483648) {
      throw new TypeError(
        "Value out of range. Must be between -2147483648 and 2147483647 (inclusive).");
    }
    return String(Math.trunc(n));
  },
  stringify: (a) => JSON.stringify(fromPy(a)) ?? null,
  parse: (a) => toPy(JSON.parse(a)),
};
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const [op, arg] = JSON.parse(line);
  let out;
  try {
    out = { ok: ops[op](arg) };
  } catch (e) {
    out = { error: e.constructor.name + ": " + e.message };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
"""


class Node:
    """One long-lived node process answering one JSON request per line."""

    def __init__(self, executable: str) -> None:
        self.process = subprocess.Popen(
            [executable, "-e", ORACLE_JS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def __call__(self, op: str, arg: object) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(json.dumps([op, arg]) + "\n")  # ASCII: lone surrogates survive
        stdin.flush()
        answer: dict[str, Any] = json.loads(stdout.readline())
        return answer

    def close(self) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()  # node exits at end of input
        self.process.wait(timeout=10)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    if NODE is None:
        pytest.skip("node (Node.js) is not on PATH; it is the JavaScript oracle here")
    oracle = Node(NODE)
    yield oracle
    oracle.close()


def _float_text(x: float) -> str:
    # Python's repr, spelled so that JavaScript's Number() reads it back exactly.
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(x)


def _same_number(mine: float, js_text: str) -> bool:
    theirs = float(js_text)  # float() reads "NaN", "Infinity", "-0", "1e+21"
    if math.isnan(theirs):
        return math.isnan(mine)
    return mine == theirs and math.copysign(1, mine) == math.copysign(1, theirs)


def _tag(value: object) -> list[Any]:
    """The tagged form the oracle uses for what Python receives."""
    if value is None:
        return ["null"]
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", repr(value)]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, list):
        return ["list", [_tag(item) for item in value]]
    assert type(value) is JsDict, type(value)
    return ["dict", [[key, _tag(item)] for key, item in value.items()]]


def _canonical(tagged: list[Any]) -> list[Any]:
    # Node writes floats with String(); compare them as Python reprs.
    kind = tagged[0]
    if kind == "float":
        return ["float", repr(float(tagged[1]))]
    if kind == "list":
        return ["list", [_canonical(item) for item in tagged[1]]]
    if kind == "dict":
        return ["dict", [[key, _canonical(item)] for key, item in tagged[1]]]
    return tagged


def _to_js(value: object, *, key: bool = False) -> list[Any]:
    """Tag a Python value so the oracle can rebuild what python_to_rpc produces."""
    if value is None:
        return ["undef"] if key else ["null"]
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["num" if abs(value) <= MAX_SAFE_INTEGER else "big", str(value)]
    if isinstance(value, float):
        return ["num", _float_text(value)]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, list):
        return ["list", [_to_js(item) for item in value]]
    if isinstance(value, dict):
        return ["dict", [[_to_js(k, key=True), _to_js(v)] for k, v in value.items()]]
    assert callable(value)
    return ["fn"]


def _result(call: Callable[[], object], error_type: str) -> dict[str, Any]:
    try:
        return {"ok": call()}
    except (KVTypeError, KVSyntaxError) as error:
        return {"error": f"{error_type}: {error}"}


needs_node_settings = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@needs_node
@needs_node_settings
@given(
    st.floats()
    | st.integers(-(2**60), 2**60).map(float)
    | st.builds(lambda m, e: m * 10.0**e, st.integers(-999, 999), st.integers(-30, 30))
)
@example(1e21)
@example(1e-7)
@example(123456789012345680000.0)
@example(-0.0)
def test_number_to_string_matches_node(node: Node, x: float) -> None:
    assert node("numberToString", _float_text(x)) == {"ok": number_to_string(x)}


# Pieces of numeric strings, chosen to hit every branch of StringToNumber.
JS_WHITESPACE = [" ", "\t", "\n", "\v", "\f", "\r", "\u00a0", "\u1680", "\u2000", "\u200a"]
JS_WHITESPACE += ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff"]
NOT_JS_WHITESPACE = ["\u180e", "\x85", "\x1c", "\u200b"]  # str.strip() removes some of these
WHITESPACE = st.sampled_from(JS_WHITESPACE + NOT_JS_WHITESPACE)
NUMERIC = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{0,25}(\.[0-9]{0,25})?([eE][+-]?[0-9]{1,4})?\Z"),
    st.from_regex(r"\A[+-]?0[xXoObB][0-9a-fA-F]{0,70}\Z"),
    st.sampled_from(["Infinity", "+Infinity", "-Infinity", "infinity", "inf", "NaN", "nan"]),
    st.sampled_from(["1_000", "0x_1", "1e", ".", "+", "-", "e5", "١٢", "0x", "00", "-0"]),
    st.text(alphabet="0123456789+-.eExXbBoOa_ I", max_size=10),
    st.floats().map(repr),
)
number_strings = st.builds(
    lambda pre, body, post: "".join(pre) + body + "".join(post),
    st.lists(WHITESPACE, max_size=2),
    NUMERIC,
    st.lists(WHITESPACE, max_size=2),
)


@needs_node
@needs_node_settings
@given(number_strings)
def test_to_number_and_to_int32_match_node(node: Node, text: str) -> None:
    answer = node("toNumber", text)
    assert _same_number(to_number(text), answer["ok"]), (text, answer)

    expected = node("toInt32", text)
    actual = _result(lambda: str(to_int32(text)), "TypeError")
    if "ok" in expected:
        expected = {"ok": str(expected["ok"])}
    assert actual == expected


# Strings JSON.stringify must escape exactly as V8 does, lone surrogates included.
js_text = st.text(
    st.characters(codec=None, exclude_categories=())
    | st.sampled_from(['"', "\\", "\x00", "\x1f", "\x7f", "\u2028", "\ud800", "\udfff"]),
    max_size=8,
)
py_numbers = st.one_of(
    st.integers(-(2**55), 2**55),
    st.floats(),
    st.sampled_from([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 1e21, 1e-7, -0.0]),
)
py_keys = st.one_of(
    js_text,
    st.integers(0, 2**33).map(str),
    st.integers(-5, 2**33),
    st.integers(2**53, 2**70),  # BigInt keys print in full
    st.floats(),
    st.booleans(),
    st.none(),
)
py_values = st.recursive(
    st.one_of(st.none(), st.booleans(), py_numbers, js_text, st.just(a_function)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(py_keys, inner, max_size=5),
    max_leaves=15,
)


@needs_node
@needs_node_settings
@given(py_values)
def test_json_stringify_matches_node(node: Node, value: object) -> None:
    expected = node("stringify", _to_js(value))
    assert _result(lambda: json_stringify(value), "TypeError") == expected


@needs_node
@needs_node_settings
@given(json_values, st.booleans())
def test_json_parse_valid_matches_node(node: Node, value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    answer = node("parse", text)
    assert _tag(json_parse(text)) == _canonical(answer["ok"])


# Characters that steer V8's JSON parser into each of its error paths.
JUNK_PIECES = [*'{}[]:,"\\-+.0123456789eEtrufalsnNIxu ', "\t", "\n", "\x00", "\x1f", "\x7f"]
JUNK_PIECES += ["\u00a0", "\ufeff", "é", "Ā", "中", "😀", "tru", "null", "NaN", "\\u"]
JUNK_PIECES += ["\ud800", "\udc00"]  # raw surrogates: odd in Python, legal in JS strings
JUNK = st.sampled_from(JUNK_PIECES)


@st.composite
def broken_json(draw: st.DrawFn) -> str:
    """Valid JSON, then truncated, spliced with junk, or cut, as stored text can be."""
    text = json.dumps(
        draw(json_values),
        ensure_ascii=draw(st.booleans()),
        indent=draw(st.sampled_from([None, 1])),
    )
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["truncate", "insert", "delete", "replace"]))
        if action == "truncate":
            text = text[:position]
        elif action == "insert":
            text = text[:position] + draw(JUNK) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + draw(JUNK) + text[position + 1 :]
    return text


@needs_node
@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_json() | st.lists(JUNK, max_size=30).map("".join))
@example("x" * 21)
@example("[" + "😀" * 12 + "}")
@example('{"a":1,"b"')
@example("\ud800\udc00")  # two Python characters, one JavaScript character
@example("-0.0")
def test_json_parse_invalid_matches_node(node: Node, text: str) -> None:
    answer = node("parse", text)
    if "ok" in answer:
        assert _tag(json_parse(text)) == _canonical(answer["ok"])
    else:
        expected = dict(answer)
        if "error" in expected:
            kind, _, message = expected["error"].partition(": ")
            expected["error"] = f"{kind}: {in_workerd(text, message)}"
        assert _result(lambda: json_parse(text), "SyntaxError") == expected
