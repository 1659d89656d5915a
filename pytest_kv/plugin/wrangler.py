"""The project's wrangler config (``wrangler.toml``, ``wrangler.json``,
``wrangler.jsonc``): its KV bindings and vars, and for ``kv_worker`` its ``main``
module and compatibility settings."""

from __future__ import annotations

import copy
import datetime
import functools
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from pytest_kv.errors import shown
from pytest_kv.kv.bulk import read_text
from pytest_kv.kv.settings import names_in

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# In the order wrangler looks for them.
CONFIG_NAMES: Final = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")


@dataclass(frozen=True)
class WranglerConfig:
    """What pytest-kv reads from a wrangler config: KV bindings and plain vars."""

    path: Path
    kv_bindings: tuple[str, ...]
    vars: dict[str, Any] = field(default_factory=dict)
    # Each binding's namespace id, where the config gives one.
    kv_ids: dict[str, str] = field(default_factory=dict)
    main: str | None = None
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] = ()


def find_config(rootdir: Path, explicit: str | None, start: Path | None = None) -> Path | None:
    """The config file: ``explicit`` (relative to ``rootdir``) or the first of
    wrangler.json, wrangler.jsonc and wrangler.toml (wrangler's own order) found in
    ``rootdir``, or, with ``start`` (a test's directory), the nearest one from
    ``start`` up to ``rootdir``."""
    if explicit:
        path = Path(os.fspath(explicit))
        path = path if path.is_absolute() else rootdir / path
        if path.is_dir():
            raise ValueError(
                f"wrangler config {str(path)!r} (kv_wrangler_config) is a directory; name "
                "the wrangler.toml, wrangler.json or wrangler.jsonc file in it"
            )
        if not path.is_file():
            raise ValueError(f"wrangler config {str(path)!r} (kv_wrangler_config) does not exist")
        if path.suffix.lower() not in _FORMATS:
            raise ValueError(
                f"wrangler config {str(path)!r} (kv_wrangler_config): wrangler reads only "
                ".toml, .json and .jsonc configs"
            )
        return path
    # Looked for on every call (a test may write a config): only the path arithmetic
    # is remembered.
    for candidate in _candidates(rootdir, start):
        if os.path.isfile(candidate):
            return Path(candidate)
    return None


@functools.lru_cache(maxsize=256)
def _candidates(rootdir: Path, start: Path | None) -> tuple[str, ...]:
    """The config files to look for, nearest first, in ``start`` and its parents up
    to ``rootdir`` (just ``rootdir`` when ``start`` is not inside it), each directory
    in wrangler's order. A monorepo's Worker keeps its config next to its own tests."""
    if start is None or not start.is_relative_to(rootdir):
        directories = [rootdir]
    else:
        directories = [start]
        while directories[-1] != rootdir:
            directories.append(directories[-1].parent)
    return tuple(str(directory / name) for directory in directories for name in CONFIG_NAMES)


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
            if end < 0:  # as wrangler's JSONC parser says
                raise json.JSONDecodeError("Unexpected end of comment", text, index)
            end += 2
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


_FORMATS: Final = {".toml": "TOML", ".json": "JSON", ".jsonc": "JSONC"}


def _parse(path: Path) -> dict[str, Any]:
    text = read_text(path, "wrangler config")
    suffix = path.suffix.lower()
    kind = _FORMATS.get(suffix, "JSON")
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(strip_jsonc(text) if suffix == ".jsonc" else text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{str(path)!r} is not valid {kind}: {error}") from None
    except RecursionError:
        raise ValueError(f"{str(path)!r} is not valid {kind}: it is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError(f"{str(path)!r} must hold an object at the top level")
    return data


# Each config read and checked, or why it is broken, by absolute path and section,
# with the stat signature it was read at: a file edited since (a pytester test
# writing a new config, say) is read again.
_CONFIGS: dict[tuple[str, str | None], tuple[tuple[int, int, int], WranglerConfig | str]] = {}
# Values of vars that a test can share safely: immutable.
_SCALARS: Final = (str, int, float, bool, type(None))


def load_config(path: Path, env: str | None) -> WranglerConfig:
    """Read the KV bindings and vars of the top level, or of ``[env.<env>]``.

    ``kv_namespaces`` and ``vars`` are not inherited by environments, as in wrangler.
    A file is read and checked once while its stat (mtime, size, inode) is unchanged;
    a broken one raises the same ``ValueError`` on every call.
    """
    try:
        # stat() follows symlinks, so a link pointed elsewhere changes the signature.
        stat = os.stat(path)
    except OSError:
        return _load_config(path, env)  # unreadable: let the reading report it
    signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    key = (os.path.abspath(path), env)
    cached = _CONFIGS.get(key)
    if cached is None or cached[0] != signature:
        result: WranglerConfig | str
        try:
            result = _load_config(path, env)
        except ValueError as error:
            result = str(error)
        cached = _CONFIGS[key] = (signature, result)
    config = cached[1]
    if isinstance(config, str):
        raise ValueError(config)
    # Each test gets its own vars and ids, as when the file was read for it alone.
    variables = config.vars
    if not all(isinstance(value, _SCALARS) for value in variables.values()):
        variables = copy.deepcopy(variables)
    return replace(config, vars=dict(variables), kv_ids=dict(config.kv_ids))


def _load_config(path: Path, env: str | None) -> WranglerConfig:
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
        if not isinstance(section, dict):
            raise ValueError(f"{where} must be a table, got {type(section).__name__}")
    namespaces = section.get("kv_namespaces", [])
    if not isinstance(namespaces, list):
        raise ValueError(f"{where}: kv_namespaces must be a list of {{binding, id}} tables")
    bindings = []
    ids: dict[str, str] = {}
    for index, item in enumerate(namespaces):
        binding = item.get("binding") if isinstance(item, dict) else None
        if not isinstance(binding, str) or not binding:
            raise ValueError(f"{where}: kv_namespaces[{index}] has no binding name: {item!r}")
        if binding in bindings:
            raise ValueError(
                f"{where}: {binding} assigned to multiple KV Namespace bindings. Bindings "
                "must have unique names, so that they can all be referenced in the worker. "
                "Please change your bindings to have unique names."
            )
        bindings.append(binding)
        namespace_id = item.get("id")
        if namespace_id is not None:
            if not isinstance(namespace_id, str) or not namespace_id:
                raise ValueError(
                    f"{where}: kv_namespaces[{index}] ({binding}) has an id that is not a "
                    f"non-empty string: {namespace_id!r}"
                )
            ids[binding] = namespace_id
    variables = section.get("vars", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{where}: vars must be a table of names and values")
    clashing = sorted(set(bindings) & set(variables))
    if clashing:
        # wrangler's own rule and words: env.NAME must mean one thing.
        raise ValueError(
            f"{where}: "
            + "; ".join(
                f"{name} assigned to Environment Variable and KV Namespace bindings"
                for name in clashing
            )
            + ". Bindings must have unique names, so that they can all be referenced in the "
            "worker. Please change your bindings to have unique names."
        )
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
    return WranglerConfig(path, tuple(bindings), dict(variables), ids, main, date, tuple(flags))


def project_config(
    rootdir: Path, explicit: object, env: object, start: Path | None = None
) -> tuple[WranglerConfig | None, str]:
    """The project's wrangler config, or why there is none."""
    problem = config_option_problem(explicit, env)
    if problem:
        return None, problem
    named = None if explicit is None else os.fspath(explicit)  # type: ignore[call-overload]
    try:
        path = find_config(rootdir, named, start)
        if path is None:
            return None, no_config(rootdir)
        return load_config(path, env if isinstance(env, str) else None), ""
    except ValueError as error:
        return None, str(error)


def no_config(rootdir: Path) -> str:
    """Why kv_env has no bindings: there is no config, and no bindings option."""
    return (
        f"no wrangler.json, wrangler.jsonc or wrangler.toml in {str(rootdir)!r}; "
        "name the bindings with @pytest.mark.kv(bindings=[...]) or set "
        "kv_wrangler_config in the ini file"
    )


def config_option_problem(explicit: object, section: object) -> str:
    """What is wrong with the wrangler_config and wrangler_env options, or ``""``."""
    if explicit is not None and not isinstance(explicit, (str, os.PathLike)):
        return f"wrangler_config must be a path (str), got {shown(explicit)}"
    if section is not None and not isinstance(section, str):  # "" means the top level
        return f"wrangler_env must be the name of an [env.<name>] section, got {shown(section)}"
    return ""


def binding_names(given: object) -> list[str]:
    """The bindings option: names, as a list or as one "A, B" string (as in the ini
    file), each a distinct non-empty string."""
    names = list(names_in(given)) if isinstance(given, str) else given
    if not isinstance(names, (list, tuple)):
        raise TypeError(f"bindings must be a list of binding names, got {shown(given)}")
    odd = [name for name in names if not isinstance(name, str) or not name]
    if odd:
        raise TypeError(f"bindings must be non-empty names (str), got {shown(odd[0])}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"bindings names {', '.join(repeated)} more than once; as in wrangler, each "
            "binding needs its own name"
        )
    return list(names)
