"""What Python values become once they cross into JavaScript, and how JS then coerces them.

A Python Worker's arguments pass through the Python Workers SDK (``python_to_rpc``)
and Pyodide before workerd sees them, and workerd then applies JavaScript's own
coercions: ``String(key)`` for key names, ``ToNumber`` for ``expirationTtl``,
``JSON.stringify`` for metadata, ``JSON.parse`` for ``type="json"``. Production's
stored bytes and error messages follow from those rules, so the fake reproduces them
here rather than using Python's ``str``/``float``/``json`` (which differ: ``str(1.0)``
is ``"1.0"`` but ``String(1.0)`` is ``"1"``; ``float("inf")`` works but
``Number("inf")`` is ``NaN``).

The conversion modelled (SDK ``python_to_rpc`` + Pyodide ``to_js``):

============================  ==========================================================
Python                        JavaScript
============================  ==========================================================
``None``                      ``null`` (but ``undefined`` as a dict key: Pyodide's rule)
``bool`` / ``str``            boolean / string
``int``                       number if ``abs(v) <= 2**53 - 1``, else BigInt
``float``                     number
``list`` / ``dict``           Array / plain object (``Object.fromEntries``)
``tuple`` / ``bytearray``     refused: ``TypeError: <class 'tuple'> cannot be sent over RPC.``
``bytes`` / ``memoryview``    ``Uint8Array``
``set`` / ``frozenset``       ``Set``
``datetime.datetime``         ``Date`` (naive datetimes are UTC, workerd's time zone)
``Exception``                 ``Error(str(e))``
callables                     function
anything else                 a PyProxy, whose ``String()`` is ``str(obj)``
============================  ==========================================================

``JSON.stringify`` is in :mod:`pytest_kv.js.json_stringify` and ``JSON.parse`` (V8's
parser and messages) in :mod:`pytest_kv.js.json_parse`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Final

from pytest_kv.errors import (
    BIGINT_TO_NUMBER,
    CIRCULAR,
    INT_OUT_OF_RANGE,
    KVTypeError,
    not_sendable,
)

from .text import join_surrogates

__all__ = [
    "MAX_SAFE_INTEGER",
    "check_sendable",
    "number_to_string",
    "to_int32",
    "to_js_string",
    "to_number",
]

MAX_SAFE_INTEGER: Final = 2**53 - 1

_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1


def check_sendable(value: object) -> None:
    """Refuse what the Python Workers SDK refuses to send to JavaScript.

    A ``tuple`` or ``bytearray`` anywhere in the value (the value itself, dict values,
    list, set and frozenset items, recursively) raises production's ``TypeError``;
    dict keys are not inspected, just as the SDK does not inspect them.

    Example::

        >>> check_sendable({"a": [(1, 2)]})
        Traceback (most recent call last):
        ...
        pytest_kv.errors.KVTypeError: <class 'tuple'> cannot be sent over RPC.
    """
    if isinstance(value, (tuple, bytearray)):
        raise not_sendable(value)
    if not isinstance(value, _CONTAINERS):
        return
    if type(value) is dict and all(type(item) in _SCALARS for item in value.values()):
        return  # options and flat metadata: nothing inside to walk
    # Iterative, so that deep values cannot exhaust Python's stack; the path of
    # containers being walked tells a cycle from an object that is shared.
    path = {id(value)}
    stack: list[tuple[object, Iterator[object]]] = [(value, _items(value))]
    while stack:
        container, items = stack[-1]
        for item in items:
            if isinstance(item, (tuple, bytearray)):
                raise not_sendable(item)
            if isinstance(item, _CONTAINERS):
                if id(item) in path:
                    raise KVTypeError(CIRCULAR)
                path.add(id(item))
                stack.append((item, _items(item)))
                break
        else:
            stack.pop()
            path.discard(id(container))


_CONTAINERS: Final = (dict, list, set, frozenset)
# Members that need no walk (exact types: a subclass of str may be anything).
_SCALARS: Final = frozenset((str, int, float, bool, type(None), bytes))


def _items(container: object) -> Iterator[object]:
    if isinstance(container, dict):
        return iter(container.values())
    assert isinstance(container, (list, set, frozenset))
    return iter(container)


def number_to_string(x: float) -> str:
    """``Number.prototype.toString()``: the shortest digits that round-trip, JS layout.

    Example::

        >>> number_to_string(1.0), number_to_string(1e21), number_to_string(1e-7)
        ('1', '1e+21', '1e-7')
    """
    x = float(x)
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"  # also for -0
    sign = "-" if x < 0 else ""
    # repr() gives the same shortest round-trip digits as V8; only the layout differs.
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    # ECMA-262 Number::toString: value = 0.digits * 10**point
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    e = point - 1
    exp = f"e+{e}" if e >= 0 else f"e-{-e}"
    if k == 1:
        return sign + digits + exp
    return sign + digits[0] + "." + digits[1:] + exp


def to_js_string(value: object) -> str:
    """``String(v)`` of what ``value`` becomes in JavaScript.

    Example::

        >>> to_js_string(None), to_js_string(1.0), to_js_string([1, None, [2, 3]])
        ('null', '1', '1,,2,3')
    """
    check_sendable(value)
    return _string(value)


def to_number(value: object) -> float:
    """JavaScript ``ToNumber`` of what ``value`` becomes in JavaScript.

    Strings follow ``StringToNumber`` (so ``" 0x10 "`` is 16 and ``"inf"`` is NaN);
    an int too big to be a JS number is a BigInt, which ``ToNumber`` refuses.

    Example::

        >>> to_number(" 60\\n"), to_number(""), to_number([7]), to_number("1_0")
        (60.0, 0.0, 7.0, nan)
    """
    check_sendable(value)
    return _number(value)


def to_int32(value: object) -> int:
    """workerd's unwrapping of a JS value into a C++ ``int`` (``expirationTtl``, ``limit``).

    NaN and infinities become 0; a number outside the int32 range (checked before
    truncation, so ``2147483647.5`` fails) raises production's ``TypeError``;
    anything else is truncated toward zero.

    Example::

        >>> to_int32("60.9"), to_int32(None), to_int32("x")
        (60, 0, 0)
    """
    n = to_number(value)
    if not math.isfinite(n):
        return 0
    if n > _INT32_MAX or n < _INT32_MIN:
        raise KVTypeError(INT_OUT_OF_RANGE)
    return math.trunc(n)


# --- conversion details --------------------------------------------------------------

# Python refuses str(int) beyond 4300 digits; a BigInt prints at any size.
_DECIMAL_CHUNK_DIGITS: Final = 4000
_DECIMAL_CHUNK: Final = 10**_DECIMAL_CHUNK_DIGITS


def _decimal(n: int) -> str:
    if -_DECIMAL_CHUNK < n < _DECIMAL_CHUNK:
        return str(n)
    high, low = divmod(abs(n), _DECIMAL_CHUNK)
    sign = "-" if n < 0 else ""
    return sign + _decimal(high) + str(low).zfill(_DECIMAL_CHUNK_DIGITS)


def buffer_bytes(value: bytes | memoryview) -> bytes:
    return value.tobytes() if isinstance(value, memoryview) else value


def _string(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _decimal(value)
    if isinstance(value, float):
        return number_to_string(value)
    if isinstance(value, (list, tuple)):
        return _join(value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, (bytes, memoryview)):
        return ",".join(map(str, buffer_bytes(value)))
    if isinstance(value, (set, frozenset)):
        return "[object Set]"
    if isinstance(value, datetime):
        return _date_to_string(date_value(value))
    if isinstance(value, Exception):
        message = str(value)
        return f"Error: {message}" if message else "Error"
    return str(value)


def _join(array: list[object] | tuple[object, ...]) -> str:
    """``Array.prototype.join`` of nested arrays, without recursion: null and
    undefined are written as nothing. (Tuples only get here as dict keys, which
    Pyodide turns into arrays.)"""
    out: list[str] = []
    stack: list[Iterator[object]] = [iter(array)]
    first = [True]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            first.pop()
            continue
        if first[-1]:
            first[-1] = False
        else:
            out.append(",")
        if isinstance(item, (list, tuple)):
            stack.append(iter(item))
            first.append(True)
        elif item is not None:
            out.append(_string(item))
    return "".join(out)


_END: Final = object()


def property_key(key: object) -> str:
    # Keys skip the SDK's None -> null replacement, so Pyodide makes None undefined.
    if key is None:
        return "undefined"
    return join_surrogates(_string(key))


# StrWhiteSpaceChar: WhiteSpace and LineTerminator, narrower and wider than str.strip().
_JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL_LITERAL: Final = re.compile(
    r"[+-]?(?:Infinity|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
)
_NON_DECIMAL_LITERAL: Final = re.compile(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")


def _string_to_number(text: str) -> float:
    body = text.strip(_JS_WHITESPACE)
    if not body:
        return 0.0
    if _DECIMAL_LITERAL.fullmatch(body):
        if body.endswith("Infinity"):
            return -math.inf if body[0] == "-" else math.inf
        return float(body)
    if _NON_DECIMAL_LITERAL.fullmatch(body):
        try:
            return float(int(body, 0))
        except OverflowError:
            return math.inf
    return math.nan


def _number(value: object) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):
        return _string_to_number(value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise KVTypeError(BIGINT_TO_NUMBER)
        return float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, datetime):
        return float(date_value(value))
    # Objects go through ToPrimitive, which for all of these means toString().
    return _string_to_number(_string(value))


_EPOCH: Final = datetime(1970, 1, 1)
# Spelled out because strftime's %a and %b follow the host's locale.
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def date_value(value: datetime) -> int:
    # The SDK builds Date(obj.timestamp() * 1000); workerd's local zone is UTC, so a
    # naive datetime is UTC (computed the way CPython's naive timestamp() adds up).
    if value.utcoffset() is None:
        whole = (value.replace(microsecond=0) - _EPOCH) // timedelta(seconds=1)
        seconds = float(whole) + value.microsecond / 1e6
    else:
        seconds = value.timestamp()
    return math.trunc(seconds * 1000)  # TimeClip truncates toward zero


def utc_of(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _date_to_string(ms: int) -> str:
    d = utc_of(ms)
    return (
        f"{_WEEKDAYS[d.weekday()]} {_MONTHS[d.month - 1]} {d.day:02d} {d.year:04d} "
        f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} GMT+0000 (Coordinated Universal Time)"
    )
