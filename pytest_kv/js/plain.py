"""Plain JSON: the values for which Python's ``json`` (written in C) gives exactly what
V8 gives, so the common call can skip the JavaScript conversion written in Python.

A plain value is ``None``, a ``bool``, a safe integer, a ``str`` without surrogates,
a list of plain values, or a dict (or ``JsDict``) of plain values whose keys are
such strings that are not array indices. For those, ``JSON.stringify`` and
``json.dumps`` agree byte for byte (JavaScript's key order is insertion order when no
key starts with a digit, and both escape exactly ``"``, ``\\`` and control
characters, in the same forms). Floats are not plain: V8 writes ``1.0`` as ``1``.
"""

from __future__ import annotations

import json
import json.encoder
import re
from collections.abc import Callable, Iterable
from typing import Any, Final

from .convert import MAX_SAFE_INTEGER
from .jsdict import JsDict

__all__ = ["plain_json"]

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_DIGITS: Final = frozenset("0123456789")
_CONTAINERS: Final = (dict, JsDict, list)
# Beyond these the general path is as fast, and it handles depth without recursion.
_MAX_DEPTH: Final = 32
_MAX_NODES: Final = 2000
# Property names written before, as ``"name":``. Metadata reuses a few names over and
# over, and a lookup costs a fifth of checking and escaping one again. Only names
# that may be written plainly go in, and once full it stops growing: a program
# that invents names without end pays the old price for the new ones.
_NAMES: Final[dict[str, str]] = {}
_MAX_NAMES: Final = 4096


def _dumps_with(make: Callable[..., Any] | None) -> Callable[[object], str]:
    """``json.dumps`` as V8 writes plain values. ``JSONEncoder.encode`` builds a new
    C encoder at every call, which costs more than the encoding of small metadata:
    one built here is reused, where the C accelerator exists."""
    if make is None:
        return json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False
        ).encode
    encode = make(None, None, json.encoder.encode_basestring, None, ":", ",", False, False, False)
    return lambda value: "".join(encode(value, 0))


_dumps: Final = _dumps_with(getattr(json.encoder, "c_make_encoder", None))
_encode_str: Final = json.encoder.encode_basestring  # in C where the accelerator is


def _is_plain(value: object) -> bool:
    """Whether ``value`` is plain JSON (see the module's docstring), surrogates aside:
    ``plain_json`` looks for those once, in the text it wrote."""
    if not _plain_scalar(value):
        return False
    pending: list[tuple[object, int]] = [(value, 0)] if type(value) in _CONTAINERS else []
    nodes = 0
    while pending:
        item, depth = pending.pop()
        nodes += 1
        if depth == _MAX_DEPTH or nodes > _MAX_NODES:
            return False
        if type(item) is list:
            members: Iterable[object] = item
        else:
            assert isinstance(item, dict)
            for name in item:
                if type(name) is not str or name[:1] in _DIGITS:
                    return False
            members = item.values()
        for member in members:
            if type(member) in _CONTAINERS:
                pending.append((member, depth + 1))
            elif not _plain_scalar(member):
                return False
    return True


def _plain_scalar(value: object) -> bool:
    """Whether ``value`` is a plain scalar, or a container (checked by the caller)."""
    kind = type(value)
    if kind is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER  # type: ignore[operator]
    return kind is str or kind is bool or value is None or kind in _CONTAINERS


def plain_json(value: object) -> str | None:
    """``JSON.stringify(value)`` for a plain value, or ``None`` when the value is not
    plain and needs the general conversion.

    Example::

        >>> plain_json({"user": "ada", "roles": ["admin"], "n": 3})
        '{"user":"ada","roles":["admin"],"n":3}'
        >>> plain_json({"ratio": 1.0}) is None
        True
    """
    if type(value) is dict or type(value) is JsDict:
        # A flat object (most metadata) is checked and written in one pass, which
        # costs less than the walk and the encoder below; a container inside sends
        # it there. Written inline, as every call here is a put's.
        parts: list[str] = []
        names = _NAMES
        for name, member in value.items():
            if type(name) is not str:
                return None
            try:  # a subscript costs less than a get() call, and most names hit
                written = names[name]
            except KeyError:
                if name[:1] in _DIGITS:
                    return None
                written = _encode_str(name) + ":"
                if len(names) < _MAX_NAMES:
                    names[name] = written
            kind = type(member)
            if kind is str:
                parts.append(written + _encode_str(member))
            elif kind is int:
                if not -MAX_SAFE_INTEGER <= member <= MAX_SAFE_INTEGER:
                    return None
                parts.append(f"{written}{member}")
            elif kind is bool:
                parts.append(written + ("true" if member else "false"))
            elif member is None:
                parts.append(written + "null")
            elif kind in _CONTAINERS:
                break
            else:
                return None
        else:
            text = f"{{{','.join(parts)}}}"  # one string built, not two
            # _unless_surrogate, written out.
            return text if text.isascii() or _SURROGATE.search(text) is None else None
    return _unless_surrogate(_dumps(value)) if _is_plain(value) else None


def _unless_surrogate(text: str) -> str | None:
    # A lone surrogate in a key or a string is written out as it is (V8 escapes it
    # as \udXXX): one search of the whole text finds any.
    if not text.isascii() and _SURROGATE.search(text) is not None:
        return None
    return text
