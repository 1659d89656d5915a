"""The project's wrangler config (``wrangler.toml``, ``wrangler.json``,
``wrangler.jsonc``): its KV bindings and vars, and for ``kv_worker`` its ``main``
module and compatibility settings."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_NAMES: Final = ("wrangler.toml", "wrangler.json", "wrangler.jsonc")


@dataclass(frozen=True)
class WranglerConfig:
    """What pytest-kv reads from a wrangler config: KV bindings and plain vars."""

    path: Path
    kv_bindings: tuple[str, ...]
    vars: dict[str, Any] = field(default_factory=dict)
    main: str | None = None
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] = ()


def find_config(rootdir: Path, explicit: str | None, start: Path | None = None) -> Path | None:
    """The config file: ``explicit`` (relative to ``rootdir``) or the first of
    wrangler.toml, wrangler.json and wrangler.jsonc found in ``rootdir``, or, with
    ``start`` (a test's directory), the nearest one from ``start`` up to ``rootdir``."""
    if explicit:
        path = Path(explicit)
        path = path if path.is_absolute() else rootdir / path
        if not path.is_file():
            raise ValueError(f"wrangler config {str(path)!r} (kv_wrangler_config) does not exist")
        return path
    for directory in _up_to(rootdir, start):
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
    return None


def _up_to(rootdir: Path, start: Path | None) -> list[Path]:
    """``start`` and its parents up to ``rootdir``; just ``rootdir`` when ``start`` is
    not inside it. A monorepo's Worker keeps its config next to its own tests."""
    if start is None or not start.is_relative_to(rootdir):
        return [rootdir]
    directories = [start]
    while directories[-1] != rootdir:
        directories.append(directories[-1].parent)
    return directories


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
    # main and the compatibility settings are inherited by environments, as in wrangler.
    main = section.get("main", data.get("main"))
    date = section.get("compatibility_date", data.get("compatibility_date"))
    flags = section.get("compatibility_flags", data.get("compatibility_flags", []))
    if isinstance(date, datetime.date):  # an unquoted TOML date
        date = date.isoformat()
    if main is not None and not isinstance(main, str):
        raise ValueError(f'{where}: main must be a path such as "src/entry.py"')
    if date is not None and not isinstance(date, str):
        raise ValueError(f'{where}: compatibility_date must be a date such as "2025-11-02"')
    if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
        raise ValueError(f"{where}: compatibility_flags must be a list of strings")
    return WranglerConfig(path, tuple(bindings), dict(variables), main, date, tuple(flags))


def project_config(
    rootdir: Path, explicit: str | None, env: str | None, start: Path | None = None
) -> tuple[WranglerConfig | None, str]:
    """The project's wrangler config, or why there is none."""
    try:
        path = find_config(rootdir, explicit, start)
        if path is None:
            return None, (
                f"no wrangler.toml, wrangler.json or wrangler.jsonc in {str(rootdir)!r}; "
                "name the bindings with @pytest.mark.kv(bindings=[...]) or set "
                "kv_wrangler_config in the ini file"
            )
        return load_config(path, env), ""
    except ValueError as error:
        return None, str(error)
