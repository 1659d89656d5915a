"""The plugin's pytest hooks: ini options, the ``kv`` marker, installing the Workers SDK
stand-ins, setting ``kv_clock`` up first, and the "KV operations" section of a failed
test's report."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.errors import did_you_mean
from pytest_kv.kv.calllog import KVCall, call_of
from pytest_kv.workers.install import Installation, install

from .options import (
    INI_DEFAULTS,
    OPTIONS,
    check_ini_defaults,
    ini_keys,
    kv_markers,
    unknown_names,
)
from .reports import timeline
from .strict import TEST_ERROR, forget_test_files

_MARKER_HELP = (
    "kv(**options): options for the kv, kv_env, kv_factory and kv_clock fixtures; "
    "the closest marker wins. Options: " + ", ".join(OPTIONS)
)
NAMESPACES = pytest.StashKey[list[KVNamespace]]()
# Set while the test's fixtures are torn down, when pytest sets up no new fixture.
TEARING_DOWN = pytest.StashKey[bool]()
STAND_INS = pytest.StashKey[Installation]()
# kv_api's calls that touched no namespace (listing namespaces, refused requests).
API_CALLS = pytest.StashKey[list[tuple[Any, ...]]]()
# What a test's stash holds only until its reports are made.
_PER_TEST: tuple[pytest.StashKey[Any], ...] = (NAMESPACES, TEST_ERROR, API_CALLS)


def pytest_addoption(parser: pytest.Parser) -> None:
    for option in OPTIONS.values():
        parser.addini(option.ini_name, f"pytest-kv: {option.help}", type="string", default="")


def _install_stand_ins(config: pytest.Config) -> None:
    raw = str(config.getini(OPTIONS["workers_stand_ins"].ini_name)).strip()
    try:
        enabled = OPTIONS["workers_stand_ins"].from_ini(raw) if raw else True
    except ValueError as error:
        raise pytest.UsageError(f"ini option kv_workers_stand_ins = {raw!r}: {error}") from None
    config.stash[STAND_INS] = install(enabled)


def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # The earliest hook that sees the ini file: conftest.py files (loaded right after
    # this, by pytest's own trylast implementation) and test modules can then
    # `import workers`. pytest's pythonpath setting is applied before (tryfirst), so a
    # project's own `workers` module on it is found and left alone.
    _install_stand_ins(early_config)


def pytest_plugin_registered() -> None:
    # A new conftest counts as the test's own code for strict teardown.
    forget_test_files()


def pytest_unconfigure(config: pytest.Config) -> None:
    installation = config.stash.get(STAND_INS, None)
    if installation is not None:
        installation.uninstall()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER_HELP)
    _reject_unknown_ini_keys(config)
    if STAND_INS not in config.stash:  # loaded too late for the hook above (pytest_plugins)
        _install_stand_ins(config)
    # Read the ini defaults once, so a bad value stops the run before any test.
    defaults: dict[str, Any] = {}
    for name, option in OPTIONS.items():
        raw = str(config.getini(option.ini_name)).strip()
        if raw:
            try:
                defaults[name] = option.from_ini(raw)
            except (TypeError, ValueError) as error:
                problem = str(error)
            else:
                continue
            raise pytest.UsageError(f"ini option {option.ini_name} = {raw!r}: {problem}")
    problem = check_ini_defaults(defaults)
    if problem:
        raise pytest.UsageError(problem)
    config.stash[INI_DEFAULTS] = defaults


def _section(calls: list[KVCall], name: str) -> str:
    try:
        return timeline(calls, name)
    except Exception as error:  # a report must never break the run
        return f"pytest-kv could not show the calls: {type(error).__name__}: {error}"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    item.stash[TEARING_DOWN] = True


def pytest_runtest_setup(item: pytest.Item) -> None:
    # A misspelled option in a marker of a test that uses no kv fixture would
    # otherwise never be reported.
    for marker in kv_markers(item):
        problem = unknown_names(marker.kwargs, "@pytest.mark.kv")
        if problem:
            pytest.fail(problem, pytrace=False)


def _reject_unknown_ini_keys(config: pytest.Config) -> None:
    """A misspelled ``kv_`` key would silently do nothing (pytest only warns about
    unknown keys without ``--strict-config``), so it stops the run, with a hint."""
    known = {option.ini_name for option in OPTIONS.values()}
    for key in ini_keys(config):
        if key.startswith(("kv_", "kv-")) and key not in known:
            raise pytest.UsageError(
                f"unknown ini option {key!r}{did_you_mean(key, sorted(known))} "
                f"pytest-kv's ini options are: {', '.join(sorted(known))}."
            )


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
    if report.when == "teardown":
        # The test is over: let go of its namespaces, its error (whose traceback holds
        # the test's frames) and its REST calls. pytest keeps every item to the end of
        # the session, so what its stash holds would otherwise pile up test after
        # test, and every full pass of the cyclic collector would walk it all again.
        stash = item.stash
        for key in _PER_TEST:
            if key in stash:
                del stash[key]
        return report
    if report.when == "call" and call.excinfo is not None:
        item.stash[TEST_ERROR] = call.excinfo.value
    if report.when == "call" and report.failed:
        for namespace in item.stash.get(NAMESPACES, []):
            calls = namespace.calls
            if calls:
                report.sections.append(
                    (f"KV operations: {namespace.name}", _section(calls, namespace.name))
                )
        records = item.stash.get(API_CALLS, [])
        if records:
            calls = [call_of(record) for record in records]
            report.sections.append(("KV operations: REST API", _section(calls, "REST API")))
    return report
