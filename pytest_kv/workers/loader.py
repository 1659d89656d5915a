"""Finding and importing a Worker's main module, and finding its entrypoint.

workerd imports ``main`` (for example ``src/entry.py``) as a top-level module named
after the file (``entry``), with the file's directory as the import root, so sibling
modules import as ``import helpers``. Each isolate imports it afresh; so does each
``kv_worker`` (one per test and location), so module-level state and a module-level
``from workers import env`` belong to that test.
"""

from __future__ import annotations

import datetime
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from . import context
from .compat import NO_GLOBAL_HANDLERS, Runtime

__all__ = ["Entrypoint", "WorkerLoadError", "entrypoint_of", "import_main", "main_path"]

# Module-level handlers workerd calls with legacy global handlers.
LEGACY_HANDLERS: Final = ("on_fetch", "on_scheduled", "on_queue")

# The modules each Worker root loaded last time, dropped before the next import.
_LOADED: dict[Path, set[str]] = {}
# The Worker roots that import_main put on sys.path (and forget takes off again).
_ON_PATH: set[Path] = set()


class WorkerLoadError(Exception):
    """The Worker's main module or its entrypoint could not be found, imported or built."""


def main_path(config: Path, main: str | None) -> Path:
    """``main`` from the wrangler config, relative to the config's directory."""
    if not main:
        raise WorkerLoadError(
            f"{config}: the wrangler config has no `main`; kv_worker imports the Worker's "
            'main module from it. Add, for example, main = "src/entry.py"'
        )
    path = (config.parent / main).resolve()
    if path.suffix != ".py":
        raise WorkerLoadError(
            f"{config}: main = {main!r}: a Python Worker's main module needs to end with a "
            ".py file extension"
        )
    if not path.is_file():
        raise WorkerLoadError(f"{config}: main = {main!r}: there is no file {str(path)!r}")
    return path


def _under(module: ModuleType, root: Path) -> bool:
    file = getattr(module, "__file__", None)
    if not file:
        return False
    try:
        Path(file).resolve().relative_to(root)
    except ValueError:
        return False
    return True


@contextmanager
def _real_date_classes() -> Iterator[None]:
    """Import with the real ``datetime`` classes while freezegun has time frozen.

    Libraries that subclass ``date`` at import (pydantic does) fail against
    freezegun's fakes, and a Worker's main module is imported during the test, under
    ``kv_clock``. The modules imported here get the fakes afterwards, as freezegun
    gives modules at its start, and its ``stop()`` undoes that for them too.
    """
    api = sys.modules.get("freezegun.api")
    if api is None or datetime.datetime is not getattr(api, "FakeDatetime", None):
        yield
        return
    fakes = {id(api.real_datetime): api.FakeDatetime, id(api.real_date): api.FakeDate}
    before = set(sys.modules)
    datetime.datetime, datetime.date = api.real_datetime, api.real_date  # type: ignore[misc]
    try:
        yield
    finally:
        datetime.datetime, datetime.date = api.FakeDatetime, api.FakeDate  # type: ignore[misc]
        for name in set(sys.modules) - before:
            module = sys.modules.get(name)
            if module is None or name in ("datetime", "time"):
                continue
            for attribute, value in list(vars(module).items()):
                fake = fakes.get(id(value))
                if fake is not None:
                    setattr(module, attribute, fake)


def import_main(path: Path, state: context.WorkerState) -> ModuleType:
    """Import ``path`` fresh as its own top-level module; its env is ``state``'s.

    The file's directory goes first on ``sys.path`` unless it is there already, and
    stays (for imports made later, inside handlers) until ``forget`` removes it.
    """
    __tracebackhide__ = True
    root = path.parent
    name = path.stem
    for stale in _LOADED.pop(root, set()) | {name}:
        sys.modules.pop(stale, None)
    if str(root) not in sys.path:  # a project's own pythonpath entry stays as it is
        sys.path.insert(0, str(root))
        _ON_PATH.add(root)
    importlib.invalidate_caches()
    before = set(sys.modules)
    context.activate(state)
    try:
        with _real_date_classes():
            module = importlib.import_module(name)
    except Exception as error:
        raise WorkerLoadError(
            f"importing the Worker's main module {str(path)!r} failed: "
            f"{type(error).__name__}: {error}"
        ) from error
    finally:
        context.activate(None)
        _LOADED[root] = {
            loaded
            for loaded in set(sys.modules) - before
            if (module_ := sys.modules.get(loaded)) is not None and _under(module_, root)
        }
    if Path(getattr(module, "__file__", "") or "").resolve() != path:
        raise WorkerLoadError(
            f"import {name} found {getattr(module, '__file__', module)!r}, not the Worker's "
            f"main module {str(path)!r}: another module of that name comes first"
        )
    return module


def forget(path: Path) -> None:
    """Take the Worker's directory off ``sys.path`` and its modules out of ``sys.modules``."""
    root = path.parent
    for stale in _LOADED.pop(root, set()) | {path.stem}:
        sys.modules.pop(stale, None)
    if root in _ON_PATH:
        _ON_PATH.discard(root)
        if str(root) in sys.path:
            sys.path.remove(str(root))


@dataclass
class Entrypoint:
    """How workerd calls a Worker: a ``Default`` class, or module-level handlers."""

    path: Path
    cls: type | None = None
    handlers: dict[str, Callable[..., Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The class name, or the module's for module-level handlers."""
        return self.cls.__name__ if self.cls is not None else self.path.stem


def _entrypoint_base() -> type | None:
    base = getattr(sys.modules.get("workers"), "WorkerEntrypoint", None)
    return base if isinstance(base, type) else None


def entrypoint_of(module: ModuleType, path: Path, runtime: Runtime) -> Entrypoint:
    """The default entrypoint: ``class Default(WorkerEntrypoint)``, or with legacy
    global handlers (compatibility dates before 2025-08-14) module-level ``on_fetch``."""
    exported = getattr(module, "__all__", None)
    cls = getattr(module, "Default", None)
    if cls is not None and exported is not None and "Default" not in exported:
        raise WorkerLoadError(
            f"{path}: class Default is not in the module's __all__, so workerd would not "
            "export it: add 'Default' to __all__"
        )
    if cls is not None:
        base = _entrypoint_base()
        if not isinstance(cls, type) or (base is not None and not issubclass(cls, base)):
            raise WorkerLoadError(
                f"{path}: Default is not a subclass of workers.WorkerEntrypoint, so workerd "
                "would not serve requests with it: write class Default(WorkerEntrypoint)"
            )
        return Entrypoint(path, cls=cls)
    handlers = {
        name: handler
        for name in LEGACY_HANDLERS
        if callable(handler := getattr(module, name, None))
    }
    if handlers and runtime.legacy_handlers:
        return Entrypoint(path, handlers=handlers)
    if handlers:
        raise WorkerLoadError(
            f"{path}: there is no class Default(WorkerEntrypoint), and the module-level "
            f"{', '.join(handlers)} is not called with compatibility_date "
            f"{runtime.compatibility_date}: from {NO_GLOBAL_HANDLERS} "
            "(python_no_global_handlers) workerd only serves a Default class. Move the "
            "handler into class Default(WorkerEntrypoint), or set an earlier "
            "compatibility_date"
        )
    raise WorkerLoadError(
        f"{path}: there is no 'Default' class defined in the Python Worker's main module: "
        "write class Default(WorkerEntrypoint) with an async def fetch(self, request)"
    )
