"""Wrangler's file formats: the project config (``wrangler.toml``, ``wrangler.json``,
``wrangler.jsonc``) and bulk-put entries (``wrangler kv bulk put``)."""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from .jsvalues import json_stringify

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


CONFIG_NAMES: Final = ("wrangler.toml", "wrangler.json", "wrangler.jsonc")


@dataclass(frozen=True)
class WranglerConfig:
    """What pytest-kv reads from a wrangler config: KV bindings and plain vars."""

    path: Path
    kv_bindings: tuple[str, ...]
    vars: dict[str, Any] = field(default_factory=dict)


def find_config(rootdir: Path, explicit: str | None) -> Path | None:
    """The config file: ``explicit`` (relative to ``rootdir``) or the first of
    wrangler.toml, wrangler.json and wrangler.jsonc found in ``rootdir``."""
    if explicit:
        path = Path(explicit)
        path = path if path.is_absolute() else rootdir / path
        if not path.is_file():
            raise ValueError(f"wrangler config {str(path)!r} (kv_wrangler_config) does not exist")
        return path
    for name in CONFIG_NAMES:
        if (rootdir / name).is_file():
            return rootdir / name
    return None


def strip_jsonc(text: str) -> str:
    """JSON from JSONC: comments and trailing commas become spaces, so the line and
    column numbers of a parse error still point into the original text."""
    out = list(text)
    length = len(text)
    pending_comma: int | None = None  # a comma that is trailing if a bracket comes next

    def blank(start: int, end: int) -> None:
        for index in range(start, end):
            if out[index] != "\n":
                out[index] = " "

    index = 0
    while index < length:
        char = text[index]
        if char == '"':
            end = index + 1
            while end < length and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            index = end + 1
            pending_comma = None
            continue
        if text.startswith("//", index):
            end = text.find("\n", index)
            end = length if end < 0 else end
            blank(index, end)
            index = end
            continue
        if text.startswith("/*", index):
            end = text.find("*/", index + 2)
            end = length if end < 0 else end + 2
            blank(index, end)
            index = end
            continue
        if char == ",":
            pending_comma = index
        elif char in "}]":
            if pending_comma is not None:
                out[pending_comma] = " "
            pending_comma = None
        elif not char.isspace():
            pending_comma = None
        index += 1
    return "".join(out)


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read {str(path)!r}: {error.strerror}") from None
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(strip_jsonc(text) if path.suffix == ".jsonc" else text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{str(path)!r} is not valid {path.suffix[1:].upper()}: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{str(path)!r} must hold an object at the top level")
    return data


def load_config(path: Path, env: str | None) -> WranglerConfig:
    """Read the KV bindings and vars of the top level, or of ``[env.<env>]``.

    ``kv_namespaces`` and ``vars`` are not inherited by environments, as in wrangler.
    """
    data = _parse(path)
    section: Mapping[str, Any] = data
    where = str(path)
    if env:
        envs = data.get("env") or {}
        if not isinstance(envs, dict) or env not in envs:
            known = ", ".join(envs) if isinstance(envs, dict) and envs else "none"
            raise ValueError(
                f"{where}: no environment {env!r} (kv_wrangler_env); its environments: {known}"
            )
        section = envs[env]
        where = f"{where} [env.{env}]"
    namespaces = section.get("kv_namespaces", [])
    if not isinstance(namespaces, list):
        raise ValueError(f"{where}: kv_namespaces must be a list of {{binding, id}} tables")
    bindings = []
    for index, item in enumerate(namespaces):
        binding = item.get("binding") if isinstance(item, dict) else None
        if not isinstance(binding, str) or not binding:
            raise ValueError(f"{where}: kv_namespaces[{index}] has no binding name: {item!r}")
        if binding in bindings:
            raise ValueError(f"{where}: kv_namespaces binds {binding!r} twice")
        bindings.append(binding)
    variables = section.get("vars", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{where}: vars must be a table of names and values")
    return WranglerConfig(path, tuple(bindings), dict(variables))
