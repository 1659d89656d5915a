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
from typing import Any, Final

from pytest_kv.js.json_stringify import json_stringify

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
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: {field!r} must be a number of seconds, got {value!r}")
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
        raise ValueError(f"{where}: 'key' must be a string, got {key!r}")
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
    return BulkEntry(
        key,
        data,
        _number(entry, "expiration", where),
        _number(entry, "expiration_ttl", where),
        None if metadata is None else json_stringify(metadata),
    )


def load_bulk_file(path: str | os.PathLike[str]) -> list[Mapping[str, Any]]:
    """The entries of a bulk-put JSON file, each checked; errors name the file."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except OSError as error:
        raise ValueError(f"cannot read seed file {os.fspath(path)!r}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"seed file {os.fspath(path)!r} is not JSON: {error}") from None
    if not isinstance(data, list):
        raise ValueError(
            f"seed file {os.fspath(path)!r} must hold a JSON array of "
            f"{{key, value, ...}} entries, got {type(data).__name__}"
        )
    for index, entry in enumerate(data):
        parse_bulk_entry(entry, f"{os.fspath(path)}: entry {index}")
    return data
