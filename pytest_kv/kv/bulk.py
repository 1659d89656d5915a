"""Bulk-put entries (``{key, value, base64, expiration, expiration_ttl, metadata}``):
the format of ``wrangler kv bulk put`` files, of ``seed()`` and of the REST API's
bulk write."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pytest_kv.errors import PUT, KVError, shown
from pytest_kv.js.json_stringify import json_stringify

from .keys import key_of
from .limits import check_key, check_metadata_size, check_value_size

BULK_FIELDS: Final = ("key", "value", "expiration", "expiration_ttl", "metadata", "base64")


@dataclass(slots=True, frozen=True)
class BulkEntry:
    """One entry of a bulk-put file, decoded."""

    key: str
    value: bytes
    expiration: int | None
    expiration_ttl: int | None
    metadata: str | None  # JSON text


def _number(entry: Mapping[str, Any], field: str, where: str) -> int | None:
    value = entry.get(field)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not -(2**53) <= value <= 2**53  # also false for NaN and the infinities
    ):
        raise ValueError(
            f"{where}: {field!r} must be a finite number of seconds, got {shown(value)}"
        )
    return int(value)


def parse_bulk_entry(entry: object, where: str) -> BulkEntry:
    """Check and decode one bulk-put entry; ``where`` names it in errors."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: each entry must be an object, got {type(entry).__name__}")
    unknown = [field for field in entry if field not in BULK_FIELDS]
    if unknown:
        raise ValueError(
            f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
            f"the fields of a bulk-put entry are: {', '.join(BULK_FIELDS)}"
        )
    key, value = entry.get("key"), entry.get("value")
    if not isinstance(key, str):
        raise ValueError(f"{where}: 'key' must be a string, got {shown(key)}")
    if not isinstance(value, str):
        raise ValueError(f"{where}: 'value' must be a string, got {type(value).__name__}")
    encoded = entry.get("base64", False)
    if not isinstance(encoded, bool):
        raise ValueError(f"{where}: 'base64' must be true or false, got {encoded!r}")
    if encoded:
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{where}: 'value' is not valid base64") from None
    else:
        data = value.encode("utf-8", "surrogatepass")
    metadata = entry.get("metadata")
    try:
        metadata_json = None if metadata is None else json_stringify(metadata)
    except KVError as error:  # a BigInt, say: production refuses it the same way
        raise ValueError(f"{where}: 'metadata' cannot be stored: {error}") from None
    return BulkEntry(
        key,
        data,
        _number(entry, "expiration", where),
        _number(entry, "expiration_ttl", where),
        metadata_json,
    )


def read_text(path: Path, what: str) -> str:
    """A config or seed file's text: UTF-8, with a byte-order mark allowed (as
    wrangler allows one); every failure names the file."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ValueError(f"{what} {str(path)!r} is a directory, not a file") from None
    except OSError as error:
        raise ValueError(f"cannot read {what} {str(path)!r}: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{what} {str(path)!r} is not UTF-8 text "
            f"(byte {error.start} is {data[error.start]:#04x})"
        ) from None


def load_bulk_file(path: object) -> list[Mapping[str, Any]]:
    """The entries of a bulk-put JSON file, each checked against the format and the
    limits every stored key keeps; errors name the file and the entry."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"a seed file is a path (str or os.PathLike), got {shown(path)}")
    where = os.fspath(path)
    text = read_text(Path(where), "seed file")
    try:
        data = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as error:
        raise ValueError(f"seed file {where!r} is not JSON: {error}") from None
    except RecursionError:
        raise ValueError(f"seed file {where!r} is not JSON: it is nested too deeply") from None
    if not isinstance(data, list):
        raise ValueError(
            f"seed file {where!r} must hold a JSON array of "
            f"{{key, value, ...}} entries, got {type(data).__name__}"
        )
    for index, entry in enumerate(data):
        check_limits(parse_bulk_entry(entry, f"{where}: entry {index}"), f"{where}: entry {index}")
    return data


def _not_json(name: str) -> Any:
    # Python's json reads NaN and Infinity; JSON.parse, and so wrangler, does not.
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def check_limits(entry: BulkEntry, where: str) -> None:
    """The limits no stored key can break: its name, its value and metadata sizes."""
    try:
        check_key(PUT, entry.key, key_of(entry.key).encoded)
        check_metadata_size(entry.metadata)
        check_value_size(len(entry.value))
    except KVError as error:
        raise ValueError(f"{where} (key {shown(entry.key)}): {error}") from None
