"""Putting the stand-in modules into ``sys.modules``: ``workers`` (with
``workers.asgi`` and ``workers.workflows``), ``asgi``, ``js``, ``pyodide``,
``pyodide.ffi`` and ``pyodide.http``.

They are installed only where the real ones cannot work: never inside Pyodide, and
not when a ``workers`` module imports on its own (the project's own fake, say). An
installed ``workers-runtime-sdk`` does not count: under CPython it fails on
``import js``, so the stand-ins take precedence over it. A meta path finder turns
imports of the SDK's other submodules into errors that name what is missing.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, Final

from . import asgi, ffi, jsglobals, sdk
from .context import current_runtime, not_provided

__all__ = ["MODULE_NAMES", "Installation", "install", "is_stand_in"]

MARK: Final = "__pytest_kv_stand_in__"
PACKAGES: Final = ("workers", "pyodide")
MODULE_NAMES: Final = (
    "workers",
    "workers.asgi",
    "workers.workflows",
    "asgi",
    "js",
    "pyodide",
    "pyodide.ffi",
    "pyodide.http",
)
# The top-level names whose modules the stand-ins replace.
_ROOTS: Final = ("workers", "asgi", "js", "pyodide")


class NotProvidedImportError(ModuleNotFoundError):
    """``import workers.wsgi`` and other SDK modules that the stand-ins lack."""


def is_stand_in(module: object) -> bool:
    """Whether ``module`` is one of pytest-kv's stand-ins."""
    return bool(getattr(module, MARK, False))


def _module_getattr(
    module: str, resolve: Callable[[str], Any] | None = None
) -> Callable[[str], Any]:
    def getattr_(name: str) -> Any:
        # The import system, pytest and inspect probe dunder names: those stay plain.
        if name.startswith("_") and name != "__version__":
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        if resolve is not None:
            return resolve(name)
        raise not_provided(f"{module}.{name}")

    return getattr_


def _pyodide_attribute(name: str) -> Any:
    if name == "__version__":
        return "0.28.2" if current_runtime().jsnull else "0.26.0a2"
    raise not_provided(f"pyodide.{name}")


def _module(
    finder: _StandInFinder, name: str, attributes: dict[str, Any], doc: str, resolve: Any = None
) -> ModuleType:
    module = ModuleType(name, doc)
    module.__dict__.update(attributes)
    setattr(module, MARK, True)
    module.__getattr__ = _module_getattr(name, resolve)  # type: ignore[method-assign]
    is_package = name in PACKAGES
    if is_package:
        module.__path__ = []
    module.__spec__ = importlib.machinery.ModuleSpec(name, finder, is_package=is_package)
    module.__loader__ = finder
    return module


def build_modules(finder: _StandInFinder) -> dict[str, ModuleType]:
    """Fresh stand-in module objects, by module name."""
    workers = _module(
        finder,
        "workers",
        {**sdk.ATTRIBUTES, "__all__": list(sdk.SDK_NAMES)},
        "pytest-kv's stand-in for the Python Workers SDK (workers-runtime-sdk).",
        sdk.module_getattr,
    )
    asgi_module = _module(
        finder,
        "workers.asgi",
        {
            "fetch": asgi.fetch,
            "entrypoint": asgi.entrypoint,
            "websocket": asgi.websocket,
            "Options": asgi.Options,
            "ASGI": asgi.ASGI,
            "logger": asgi.logger,
        },
        "pytest-kv's stand-in for workers.asgi: fetch(app, request, env) runs an ASGI app.",
        asgi.module_getattr,
    )
    workflows = _module(
        finder,
        "workers.workflows",
        {"NonRetryableError": sdk.NonRetryableError},
        "pytest-kv's stand-in for workers.workflows.",
    )
    workers.asgi = asgi_module  # type: ignore[attr-defined]
    workers.workflows = workflows  # type: ignore[attr-defined]
    js = _module(
        finder, "js", dict(jsglobals.GLOBALS), "pytest-kv's stand-in for the JavaScript globals."
    )
    ffi_module = _module(
        finder, "pyodide.ffi", dict(ffi.FFI), "pytest-kv's stand-in for pyodide.ffi."
    )
    http = _module(finder, "pyodide.http", dict(ffi.HTTP), "pytest-kv's stand-in for pyodide.http.")
    pyodide = _module(
        finder,
        "pyodide",
        {"ffi": ffi_module, "http": http},
        "pytest-kv's stand-in for pyodide.",
        _pyodide_attribute,
    )
    return {
        "workers": workers,
        "workers.asgi": asgi_module,
        "workers.workflows": workflows,
        "asgi": asgi_module,
        "js": js,
        "pyodide": pyodide,
        "pyodide.ffi": ffi_module,
        "pyodide.http": http,
    }


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the stand-ins, and refuses the SDK's submodules that are not provided."""

    modules: dict[str, ModuleType]

    def __init__(self) -> None:
        self.modules = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not self.modules:
            return None
        if fullname in self.modules:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname in PACKAGES)
        root = fullname.partition(".")[0]
        if root in PACKAGES and "." in fullname:
            message = sdk.NOT_PROVIDED.get(fullname.partition(".")[2], fullname)
            error = not_provided(message)
            raise NotProvidedImportError(str(error), name=fullname)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.modules[spec.name]

    def exec_module(self, module: ModuleType) -> None:
        """The stand-ins are built complete; there is nothing to run."""


def _ours(name: str) -> bool:
    return name.partition(".")[0] in _ROOTS


def _imports_on_its_own() -> bool:
    """Whether a ``workers`` module other than the stand-in imports successfully."""
    before = set(sys.modules)
    try:
        spec = importlib.util.find_spec("workers")
        # A directory called workers without an __init__.py (a tests/workers folder on
        # sys.path, say) imports as an empty namespace package: that is no SDK.
        if spec is None or spec.origin in (None, "namespace"):
            return False
        importlib.import_module("workers")
    except Exception:
        # The real SDK under CPython: it fails on `import js`. Forget what it left.
        for name in set(sys.modules) - before:
            if _ours(name) or name.startswith(("_pyodide", "_cloudflare")):
                del sys.modules[name]
        sys.modules.pop("workers", None)
        return False
    return True


class Installation:
    """What ``install`` did, so that ``uninstall`` can put everything back."""

    def __init__(self, removed: dict[str, ModuleType], finders: list[Any]) -> None:
        self.installed = False
        self.reason = ""
        self.modules: dict[str, ModuleType] = {}
        self._saved: dict[str, ModuleType | None] = {}
        self._removed = removed
        self._finders = finders
        self._finder: _StandInFinder | None = None

    def uninstall(self) -> None:
        """Restore the modules the stand-ins replaced, and drop the finder."""
        for name, module in self._saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        if self._finder is not None and self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        # Stand-ins of an outer run (pytester) come back as they were.
        sys.modules.update(self._removed)
        for finder in reversed(self._finders):
            if finder not in sys.meta_path:
                sys.meta_path.insert(0, finder)
        self._saved, self._removed, self._finders, self._finder = {}, {}, [], None
        self.installed = False


def _remove_stand_ins() -> tuple[dict[str, ModuleType], list[Any]]:
    """Take stand-ins (of an earlier, outer run) out of ``sys.modules``."""
    removed = {}
    for name in list(sys.modules):
        if _ours(name) and is_stand_in(sys.modules[name]):
            removed[name] = sys.modules.pop(name)
    finders = [finder for finder in sys.meta_path if isinstance(finder, _StandInFinder)]
    for finder in finders:
        sys.meta_path.remove(finder)
    return removed, finders


def install(enabled: bool = True) -> Installation:
    """Install the stand-ins where they are needed; returns what was done.

    ``enabled=False`` (the ``kv_workers_stand_ins = false`` ini setting) installs
    nothing and removes stand-ins that an outer run left in place.
    """
    installation = Installation(*_remove_stand_ins())
    if not enabled:
        installation.reason = "turned off (kv_workers_stand_ins = false)"
        return installation
    if sys.platform == "emscripten":
        installation.reason = "running inside Pyodide, where the real modules work"
        return installation
    if _imports_on_its_own():
        installation.reason = f"a working workers module exists ({sys.modules['workers']!r})"
        return installation
    finder = _StandInFinder()
    modules = build_modules(finder)
    installation._saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    finder.modules = modules
    sys.meta_path.insert(0, finder)
    installation._finder = finder
    installation.modules = modules
    installation.installed = True
    return installation
