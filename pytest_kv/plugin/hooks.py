"""The plugin's pytest hooks: ini options, the ``kv`` marker, setting ``kv_clock`` up
first, and the "KV operations" section of a failed test's report."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.kv.calllog import KVCall

from .options import INI_DEFAULTS, OPTIONS
from .reports import timeline

_MARKER_HELP = (
    "kv(**options): options for the kv, kv_env, kv_factory and kv_clock fixtures; "
    "the closest marker wins. Options: " + ", ".join(OPTIONS)
)
NAMESPACES = pytest.StashKey[list[KVNamespace]]()
# kv_api's calls that touched no namespace (listing namespaces, refused requests).
API_CALLS = pytest.StashKey[list[tuple[Any, ...]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    for option in OPTIONS.values():
        parser.addini(option.ini_name, f"pytest-kv: {option.help}", type="string", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER_HELP)
    # Read the ini defaults once, so a bad value stops the run before any test.
    defaults: dict[str, Any] = {}
    for name, option in OPTIONS.items():
        raw = str(config.getini(option.ini_name)).strip()
        if raw:
            try:
                defaults[name] = option.from_ini(raw)
            except (TypeError, ValueError) as error:
                raise pytest.UsageError(
                    f"ini option {option.ini_name} = {raw!r}: {error}"
                ) from None
    config.stash[INI_DEFAULTS] = defaults


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Like time-machine: set the clock up before any other fixture, so fixtures
    # that seed namespaces already see the test's frozen time.
    for item in items:
        names: list[str] | None = getattr(item, "fixturenames", None)
        if names and "kv_clock" in names and names[0] != "kv_clock":
            names.remove("kv_clock")
            names.insert(0, "kv_clock")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        for namespace in item.stash.get(NAMESPACES, []):
            calls = namespace.calls
            if calls:
                report.sections.append(
                    (f"KV operations: {namespace.name}", timeline(calls, namespace.name))
                )
        records = item.stash.get(API_CALLS, [])
        if records:
            calls = [KVCall(*record) for record in records]
            report.sections.append(("KV operations: REST API", timeline(calls, "REST API")))
    return report
