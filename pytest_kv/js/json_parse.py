"""``JSON.parse`` exactly as V8 (Node 20, workerd) does it, including its error messages.

``get(key, "json")`` in production hands the stored text to V8's ``JSON.parse``, and a
test that asserts on the ``SyntaxError`` sees V8's wording, position and context
snippet. Python's :mod:`json` words its errors differently and accepts ``NaN`` and
``Infinity``, so valid input goes through :func:`json.loads` for speed and anything it
rejects is re-parsed by a small parser that follows V8's rules and messages.

Positions in V8's messages count UTF-16 code units, not Python code points.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from pytest_kv.errors import KVSyntaxError

from .convert import MAX_SAFE_INTEGER
from .jsdict import JsDict, js_property_order
from .text import join_surrogates

__all__ = ["json_parse"]


def _js_number(text: str) -> int | float:
    # Pyodide turns a JS number into int exactly when Number.isSafeInteger holds,
    # so "1.0" and "-0" arrive as int while 2**53 arrives as float.
    x = float(text)
    if x.is_integer() and -MAX_SAFE_INTEGER <= x <= MAX_SAFE_INTEGER:
        return int(x)
    return x


def _js_int(text: str) -> int | float:
    # Up to 15 digits is always a safe integer.
    return int(text) if len(text) < 16 else _js_number(text)


def _js_object(pairs: list[tuple[str, Any]]) -> JsDict:
    result = JsDict(pairs)
    for name in result:
        if name[:1] in _DIGITS:  # array-index keys come first in JavaScript
            return JsDict(js_property_order(result.items()))
    return result


class _NotJsonError(Exception):
    """Raised inside json.loads for input that Python accepts and JSON.parse does not."""


def _reject_constant(name: str) -> Any:
    raise _NotJsonError(name)


_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_DIGITS: Final = frozenset("0123456789")
# Built once: json.loads() with hooks builds a decoder on every call.
_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_js_object,
    parse_int=_js_int,
    parse_float=_js_number,
    parse_constant=_reject_constant,
).decode
_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")


def _where(units: str, pos: int) -> str:
    """``"9 (line 3 column 8)"``: the position as workerd's V8 reports it.

    Node 20's V8 gives the position alone; the V8 in current workerd adds the line
    and column, counting ``\r\n`` as one line break and ``\r`` or ``\n`` as one each.
    """
    before = units[:pos]
    if "\r" not in before:
        line = before.count("\n") + 1
        column = pos - before.rfind("\n")
    else:
        line, start, i = 1, 0, 0
        while i < pos:
            if before[i] == "\r" and i < pos - 1 and before[i + 1] == "\n":
                i += 1
            if before[i] in "\r\n":
                line += 1
                start = i + 1
            i += 1
        column = pos - start + 1
    return f"{pos} (line {line} column {column})"


def _to_utf16_units(s: str) -> str:
    # One Python character per UTF-16 code unit, so indices match V8's positions.
    if _ASTRAL.search(s) is None:
        return s
    data = s.encode("utf-16-le", "surrogatepass")
    return "".join(chr(data[i] | data[i + 1] << 8) for i in range(0, len(data), 2))


def json_parse(text: str) -> object:
    """``JSON.parse(text)`` converted to Python the way the Python Workers SDK does.

    Objects become :class:`~pytest_kv.js.jsdict.JsDict` (keys in JavaScript order, the
    last of duplicate keys winning), arrays become lists, ``null`` becomes ``None``,
    and numbers become ``int`` when they are safe integers (``1.0`` → ``1``) and
    ``float`` otherwise. Invalid JSON raises :class:`~pytest_kv.errors.KVSyntaxError`
    with V8's exact message.

    Example::

        >>> json_parse('{"b": 1, "0": 2.0}')
        {'0': 2, 'b': 1}
        >>> json_parse("value")
        Traceback (most recent call last):
        ...
        pytest_kv.errors.KVSyntaxError: Unexpected token 'v', "value" is not valid JSON
    """
    # Surrogate characters in the text itself need UTF-16 semantics that json.loads
    # lacks (in JS an escaped high surrogate next to a raw low one forms a pair).
    if text.isascii() or _SURROGATE.search(text) is None:
        try:
            return _DECODER(text)
        except (ValueError, RecursionError, _NotJsonError):
            pass
    return _V8JsonParser(text).parse()


# --- the V8 parser -------------------------------------------------------------------
# V8 classifies the character at the cursor into a token; which messages appear
# depends on that token, so the parser below keeps the same classification.
_EOS: Final = "eos"
_STRING: Final = "string"
_NUMBER: Final = "number"
_OTHER: Final = "other"
_TOKENS: Final = {'"': _STRING, "-": _NUMBER, **dict.fromkeys("0123456789", _NUMBER)}

_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")
_DIGIT_RUN: Final = re.compile(r"[0-9]*")
_STRING_CHUNK: Final = re.compile(r'[^"\\\x00-\x1f]*')
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}

# V8 quotes the whole input when it is short, and otherwise a window of this many
# UTF-16 units either side of the offending character.
_CONTEXT: Final = 10
_SHORT_SOURCE: Final = 2 * _CONTEXT
# Inputs that V8 reports whole, because they are what String() of common non-JSON
# values gives (JSON.parse(undefined), JSON.parse({}), JSON.parse(NaN), ...).
_SPECIAL_SOURCES: Final = frozenset({"undefined", "NaN", "Infinity", "[object Object]"})

_EXPECTED_PROPERTY_NAME: Final = "Expected property name or '}'"
_EXPECTED_DOUBLE_QUOTED: Final = "Expected double-quoted property name"
_EXPECTED_COLON: Final = "Expected ':' after property name"
_EXPECTED_COMMA_OR_RBRACE: Final = "Expected ',' or '}' after property value"
_EXPECTED_COMMA_OR_RBRACK: Final = "Expected ',' or ']' after array element"
_TRAILING: Final = "Unexpected non-whitespace character after JSON"

_LITERALS: Final[dict[str, tuple[str, object]]] = {
    "t": ("true", True),
    "f": ("false", False),
    "n": ("null", None),
}


class _V8JsonParser:
    """An iterative JSON parser with V8's acceptance rules and error messages."""

    def __init__(self, text: str) -> None:
        self.source = text
        self.s = _to_utf16_units(text)
        self.n = len(self.s)
        self.i = 0

    # -- errors --------------------------------------------------------------------
    def _at(self, what: str, pos: int) -> KVSyntaxError:
        return KVSyntaxError(f"{what} in JSON at position {_where(self.s, pos)}")

    def _unexpected(self, pos: int, expected: str | None = None) -> KVSyntaxError:
        # A specific expectation wins even at the end of input; without one, the
        # message depends on what kind of token sits at the cursor.
        if expected is not None:
            return self._at(expected, pos)
        token = _EOS if pos >= self.n else _TOKENS.get(self.s[pos], _OTHER)
        if token == _EOS:
            return KVSyntaxError("Unexpected end of JSON input")
        if token == _NUMBER:
            return self._at("Unexpected number", pos)
        if token == _STRING:
            return self._at("Unexpected string", pos)
        if self.source in _SPECIAL_SOURCES:
            return KVSyntaxError(f'"{self.source}" is not valid JSON')
        char = join_surrogates(self.s[pos])
        if self.n <= _SHORT_SOURCE:
            snippet = f'"{self._slice(0, self.n)}"'
        elif pos < _CONTEXT:
            snippet = f'"{self._slice(0, pos + _CONTEXT)}"...'
        elif pos < self.n - _CONTEXT:
            snippet = f'..."{self._slice(pos - _CONTEXT, pos + _CONTEXT)}"...'
        else:
            snippet = f'..."{self._slice(pos - _CONTEXT, self.n)}"'
        return KVSyntaxError(f"Unexpected token '{char}', {snippet} is not valid JSON")

    def _slice(self, start: int, end: int) -> str:
        return join_surrogates(self.s[start:end])

    # -- scanning ------------------------------------------------------------------
    def _skip_whitespace(self) -> str | None:
        match = _WHITESPACE.match(self.s, self.i)
        assert match is not None
        self.i = match.end()
        return self.s[self.i] if self.i < self.n else None

    def _expect(self, char: str, expected: str | None) -> None:
        if self._skip_whitespace() != char:
            raise self._unexpected(self.i, expected)
        self.i += 1

    def _digits(self) -> None:
        match = _DIGIT_RUN.match(self.s, self.i)
        assert match is not None
        self.i = match.end()

    def _is_digit_here(self) -> bool:
        return self.i < self.n and "0" <= self.s[self.i] <= "9"

    def _number(self) -> int | float:
        s, start = self.s, self.i
        if s[self.i] == "-":
            self.i += 1
            if not self._is_digit_here():
                raise self._at("No number after minus sign", self.i)
        if s[self.i] == "0":
            self.i += 1
            if self._is_digit_here():
                raise self._unexpected(self.i)
        else:
            self._digits()
        if self.i < self.n and s[self.i] == ".":
            self.i += 1
            if not self._is_digit_here():
                raise self._at("Unterminated fractional number", self.i)
            self._digits()
        if self.i < self.n and s[self.i] in "eE":
            self.i += 1
            if self.i < self.n and s[self.i] in "+-":
                self.i += 1
            if not self._is_digit_here():
                raise self._at("Exponent part is missing a number", self.i)
            self._digits()
        return _js_number(s[start : self.i])

    def _string(self) -> str:
        s, n = self.s, self.n
        self.i += 1  # the opening quote
        parts: list[str] = []
        while True:
            match = _STRING_CHUNK.match(s, self.i)
            assert match is not None
            parts.append(match.group())
            self.i = match.end()
            if self.i >= n:
                raise self._at("Unterminated string", self.i)
            char = s[self.i]
            if char == '"':
                self.i += 1
                return join_surrogates("".join(parts))
            if char != "\\":
                raise self._at("Bad control character in string literal", self.i)
            self.i += 1
            if self.i >= n:
                raise self._unexpected(self.i)
            escape = s[self.i]
            if escape == "u":
                for offset in range(1, 5):
                    if self.i + offset >= n or s[self.i + offset] not in _HEX:
                        raise self._at("Bad Unicode escape", self.i + offset)
                parts.append(chr(int(s[self.i + 1 : self.i + 5], 16)))
                self.i += 5
            elif escape in _ESCAPES:
                parts.append(_ESCAPES[escape])
                self.i += 1
            elif escape > "\xff":
                # V8 only classifies Latin-1 escape characters; others get the
                # generic "Unexpected token" message.
                raise self._unexpected(self.i)
            else:
                raise self._at("Bad escaped character", self.i)

    def _literal(self, word: str) -> None:
        # V8 reports the first character that differs, or the end of input.
        for offset in range(1, len(word)):
            pos = self.i + offset
            if pos >= self.n or self.s[pos] != word[offset]:
                raise self._unexpected(pos)
        self.i += len(word)

    def _property_name(self, expected: str) -> str:
        if self._skip_whitespace() != '"':
            raise self._unexpected(self.i, expected)
        return self._string()

    # -- structure -----------------------------------------------------------------
    def parse(self) -> object:
        """Parse the whole source, raising V8's error for the first problem found."""
        # Each open container is a list being filled: arrays hold values, objects
        # hold (name, value) pairs plus the pending property name in ``names``.
        stack: list[tuple[list[Any], bool]] = []
        names: list[str] = []
        value: object
        while True:
            char = self._skip_whitespace()
            if char == '"':
                value = self._string()
            elif char is not None and _TOKENS.get(char) == _NUMBER:
                value = self._number()
            elif char == "{":
                self.i += 1
                if self._skip_whitespace() == "}":
                    self.i += 1
                    value = JsDict()
                else:
                    names.append(self._property_name(_EXPECTED_PROPERTY_NAME))
                    self._expect(":", _EXPECTED_COLON)
                    stack.append(([], True))
                    continue
            elif char == "[":
                self.i += 1
                if self._skip_whitespace() == "]":
                    self.i += 1
                    value = []
                else:
                    stack.append(([], False))
                    continue
            elif char is not None and char in _LITERALS:
                word, value = _LITERALS[char]
                self._literal(word)
            else:
                raise self._unexpected(self.i)

            # A value is complete: hand it to the innermost container, closing
            # containers for as long as their closing bracket follows.
            while stack:
                items, is_object = stack[-1]
                items.append((names.pop(), value) if is_object else value)
                char = self._skip_whitespace()
                if char == ",":
                    self.i += 1
                    if is_object:
                        names.append(self._property_name(_EXPECTED_DOUBLE_QUOTED))
                        # V8 gives no specific message for a missing colon here.
                        self._expect(":", None)
                    break
                if is_object:
                    self._expect("}", _EXPECTED_COMMA_OR_RBRACE)
                    value = _js_object(items)
                else:
                    self._expect("]", _EXPECTED_COMMA_OR_RBRACK)
                    value = items
                stack.pop()
            else:
                if self._skip_whitespace() is not None:
                    raise KVSyntaxError(f"{_TRAILING} at position {_where(self.s, self.i)}")
                return value
