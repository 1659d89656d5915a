"""Seed files: wrangler bulk-put files named by the marker's ``seed_files`` option.

Each file is read and checked once per session, then seeded into each test's fresh
namespaces: a shared seed layer with per-test isolation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.errors import shown
from pytest_kv.kv.bulk import load_bulk_file

from .options import test_options

_SEED_FILES: dict[tuple[str, int, int], list[Mapping[str, Any]]] = {}


def seed_from(request: pytest.FixtureRequest, namespace: KVNamespace, paths: list[Any]) -> None:
    """Seed from the ``seed_files`` marker option's paths for one binding."""
    __tracebackhide__ = True
    for raw in paths:
        path = Path(raw)
        path = path if path.is_absolute() else Path(request.config.rootpath) / path
        problem = None
        try:
            stat = path.stat()
            cache_key = (str(path), stat.st_mtime_ns, stat.st_size)
            entries = _SEED_FILES.get(cache_key)
            if entries is None:
                entries = _SEED_FILES[cache_key] = load_bulk_file(path)
            namespace.seed(entries)
        except (OSError, ValueError, TypeError) as error:
            problem = str(error)
        if problem is not None:
            pytest.fail(f"seed_files for {namespace.name!r}: {problem}", pytrace=False)


def seed_files_of(request: pytest.FixtureRequest) -> dict[str, list[Any]]:
    """The ``seed_files`` option, checked: each binding's list of paths."""
    __tracebackhide__ = True
    files = test_options(request).get("seed_files") or {}
    problem = "" if isinstance(files, Mapping) else f"got {shown(files)}"
    checked: dict[str, list[Any]] = {}
    for binding, given in files.items() if not problem else ():
        paths = [given] if isinstance(given, (str, os.PathLike)) else given
        if not isinstance(binding, str) or not isinstance(paths, (list, tuple)):
            problem = f"got {shown(binding)}: {shown(given)}"
            break
        odd = [path for path in paths if not isinstance(path, (str, os.PathLike))]
        if odd:
            problem = f"{binding!r} has {shown(odd[0])}, which is not a path"
            break
        checked[binding] = list(paths)
    if problem:
        pytest.fail(
            f"@pytest.mark.kv(seed_files=...) takes {{binding: path or [paths]}}; {problem}",
            pytrace=False,
        )
    return checked
