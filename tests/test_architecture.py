"""The package's layers (see ARCHITECTURE.md): dependencies point one way, and no two
modules import each other, so a new front door can never tangle the KV service."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

import pytest

import pytest_kv

# The package as imported: the checkout, or the installed wheel in CI's wheel legs.
PACKAGE: Final = Path(pytest_kv.__file__).parent

# Each layer may import the layers ranked below it, and its own package.
RANKS: Final = {
    "errors": 0,
    "suspension": 0,
    "js": 1,
    "kv": 2,
    "binding": 3,
    "rest": 3,
    "workers": 4,
    "testing": 5,
    "plugin": 6,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


ALL: Final = frozenset(_module_name(path) for path in PACKAGE.rglob("*.py"))


def _runtime_imports(path: Path) -> set[str]:
    """The pytest_kv modules ``path`` imports when it runs (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)
    if path.parent == PACKAGE.parent:
        package = ""
    found: set[str] = set()
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                # `from pytest_kv.kv import service` imports pytest_kv.kv.service
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in ALL else module)
    return {name for name in found if name in ALL and name != _module_name(path)}


MODULES: Final = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
IMPORTS: Final = {name: _runtime_imports(path) for name, path in MODULES.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


@pytest.mark.parametrize("module", [name for name in MODULES if _layer(name)])
def test_a_layer_imports_only_the_layers_below_it(module: str) -> None:
    layer = _layer(module)
    assert layer in RANKS, f"{module} is in no known layer; add it to ARCHITECTURE.md"
    wrong = sorted(
        imported
        for imported in IMPORTS[module]
        if (other := _layer(imported)) is not None
        and other != layer
        and RANKS.get(other, 99) >= RANKS[layer]
    )
    assert not wrong, f"{module} ({layer}) imports from the same or a higher layer: {wrong}"


def test_no_two_modules_import_each_other() -> None:
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        for imported in sorted(IMPORTS[module]):
            if imported in trail:
                cycles.append([*trail[trail.index(imported) :], imported])
            elif len(trail) < 40:
                visit(imported, [*trail, imported])

    for module in MODULES:
        visit(module, [module])
    # A package's __init__ that re-exports its modules is not a cycle of behaviour.
    real = [cycle for cycle in cycles if not any(m == "pytest_kv" for m in cycle)]
    assert not real, f"import cycles: {real[:5]}"


def test_the_architecture_test_sees_the_imports() -> None:
    # Guards the test itself: a parser that found nothing would pass everything.
    assert "pytest_kv.kv.store" in IMPORTS["pytest_kv.kv.edge"]
    assert "pytest_kv.binding.operations" in IMPORTS["pytest_kv.binding.namespace"]
    assert "pytest_kv.js.jsdict" in IMPORTS["pytest_kv.js.json_parse"]
