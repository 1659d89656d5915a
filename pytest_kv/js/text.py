"""Strings as JavaScript holds them (UTF-16) and as workerd sends them (UTF-8)."""

from __future__ import annotations

import re
from typing import Final

_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def encode_text(text: str) -> bytes:
    """The bytes workerd sends for a string: UTF-8, or WTF-8 where it is not well formed.

    A Python string may hold surrogate code points; JavaScript joins a high and low
    pair into one character, and keeps a lone surrogate as three bytes (which read
    back as three U+FFFD characters).

    Example::

        >>> encode_text("\\ud83d\\ude00"), encode_text("\\ud800")
        (b'\\xf0\\x9f\\x98\\x80', b'\\xed\\xa0\\x80')
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        return joined.encode("utf-8", "surrogatepass")


def decode_text(data: bytes) -> str:
    """Stored bytes as the string a ``get`` returns (invalid UTF-8 becomes U+FFFD)."""
    return data.decode("utf-8", "replace")


def utf16_length(text: str) -> int:
    """``text.length`` in JavaScript: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def join_surrogates(s: str) -> str:
    """The Python string Pyodide makes of the JS string with the same UTF-16 units.

    A JS string is UTF-16: a high+low surrogate pair in it is one character once
    converted to Python, even when Python held the two halves as separate characters,
    while unpaired surrogates survive as they are.
    """
    if _SURROGATE.search(s) is None:
        return s
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
