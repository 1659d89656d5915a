"""The pytest plugin: fixtures ``kv``, ``kv_env``, ``kv_factory`` and ``kv_clock``, the
``kv`` marker, the ini options, strict teardown checks and the "KV operations" report
section. Registered through the ``pytest11`` entry point.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from . import clock
from .calls import KVCall, describe_options, timeline
from .clock import FreezegunDriver, FreezerDriver, KVClock, TimeMachineDriver, to_epoch
from .env import KVEnv
from .factory import KVFactory
from .listing import PageShape
from .namespace import KVNamespace
from .options import OPTIONS, check_names, merge, namespace_options, settings_of
from .wrangler import WranglerConfig, find_config, load_bulk_file, load_config

_MARKER_HELP = (
    "kv(**options): options for the kv, kv_env, kv_factory and kv_clock fixtures; "
    "the closest marker wins. Options: " + ", ".join(OPTIONS)
)
_INI_DEFAULTS = pytest.StashKey[dict[str, Any]]()
_NAMESPACES = pytest.StashKey[list[KVNamespace]]()
# Seed files are read and checked once per session, then seeded into each test's
# fresh namespaces: a shared seed layer with per-test isolation.
_SEED_FILES: dict[tuple[str, int, int], list[Mapping[str, Any]]] = {}


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
    config.stash[_INI_DEFAULTS] = defaults


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
        for namespace in item.stash.get(_NAMESPACES, []):
            calls = namespace.calls
            if calls:
                report.sections.append(
                    (f"KV operations: {namespace.name}", timeline(calls, namespace.name))
                )
    return report


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """ini defaults, then markers from the farthest to the closest."""
    __tracebackhide__ = True
    options = request.config.stash[_INI_DEFAULTS]
    markers = list(request.node.iter_markers("kv"))  # the closest first
    for marker in reversed(markers):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.kv takes options by name only, got {marker.args!r}. "
                f"Options: {', '.join(OPTIONS)}",
                pytrace=False,
            )
        try:
            check_names(marker.kwargs, "@pytest.mark.kv")
        except TypeError as error:
            pytest.fail(str(error), pytrace=False)
        options = merge(options, marker.kwargs)
    return options


class _TestClock:
    """The fixtures' clock: reads ``time.time()``; moves time through ``kv_clock``,
    set up the first time something (``settle()``, ``assert_eventually``) moves it."""

    __slots__ = ("_request",)

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def now(self) -> float:
        read = clock.active
        return time.time() if read is None else read()

    def advance(self, seconds: float | timedelta) -> float:
        kv_clock: KVClock = self._request.getfixturevalue("kv_clock")
        return kv_clock.advance(seconds)


@pytest.fixture
def kv_clock(request: pytest.FixtureRequest) -> Iterator[KVClock]:
    """The test's frozen clock: ``now()``, ``advance(seconds)``, ``move_to(when)``.

    It freezes time with freezegun at the current second (or the ``clock_start``
    option), or drives the test's own ``time_machine`` or ``freezer`` fixture.
    """
    __tracebackhide__ = True
    given = _options(request).get("clock_start")
    try:
        start = None if given is None else to_epoch(given)
    except (TypeError, ValueError) as error:
        pytest.fail(f"@pytest.mark.kv(clock_start={given!r}): {error}", pytrace=False)
    if "time_machine" in request.fixturenames:
        driver: Any = TimeMachineDriver(request.getfixturevalue("time_machine"), start)
    elif "freezer" in request.fixturenames:
        driver = FreezerDriver(request.getfixturevalue("freezer"), start)
    else:
        driver = FreezegunDriver(float(int(time.time())) if start is None else start)
    test_clock = KVClock(driver)
    test_clock.start()
    try:
        yield test_clock
    finally:
        test_clock.stop()


def _test_files(request: pytest.FixtureRequest) -> set[str]:
    """The files whose frames count as the test's own code: the module and conftests."""
    files = {str(request.node.path)}
    files.update(
        str(Path(getattr(plugin, "__file__", "")))
        for plugin in request.config.pluginmanager.get_plugins()
        if str(getattr(plugin, "__file__", "")).endswith("conftest.py")
    )
    return files


def _reached_the_test(call: KVCall, test_files: set[str]) -> bool:
    """Whether the error of ``call`` propagated into the test's own code."""
    traceback = call.error.__traceback__ if call.error is not None else None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename in test_files:
            return True
        traceback = traceback.tb_next
    return False


def _swallowed_report(swallowed: list[tuple[KVNamespace, KVCall]]) -> str:
    lines = [
        "pytest-kv: the code under test swallowed KV errors that mean its request was "
        "wrong; production fails these calls too:"
    ]
    for namespace, call in swallowed:
        key = "" if call.key is None else repr(call.key)
        options = describe_options(call.options)
        where = f" at {call.location}" if len(namespace.locations) > 1 else ""
        lines.append(
            f"  {namespace.name}.{call.method}({key}{', ' if options else ''}{options}){where}"
        )
        lines.append(f"    -> {call.outcome}")
    lines.append(
        "Fix the call. If swallowing the error is deliberate, turn this check off with "
        "@pytest.mark.kv(strict=False) (or kv_strict = false in the ini file)."
    )
    return "\n".join(lines)


@pytest.fixture
def kv_factory(request: pytest.FixtureRequest) -> Iterator[KVFactory]:
    """Makes namespaces: ``kv_factory(name="KV", **options)``; see ``KVFactory``.

    At teardown it fails the test if the code under test swallowed a KV validation
    error (turn off with ``strict=False``).
    """
    __tracebackhide__ = True
    options = _options(request)
    try:  # report bad marker or ini values at setup, not at the first kv_factory() call
        settings_of(namespace_options(options))
        PageShape.of(options.get("page_size"), options.get("empty_pages", ()))
    except (TypeError, ValueError) as error:
        pytest.fail(f"pytest-kv options: {error}", pytrace=False)
    factory = KVFactory(options, _TestClock(request))
    request.node.stash[_NAMESPACES] = factory.namespaces
    yield factory
    if options.get("strict", True):
        test_files = _test_files(request)
        swallowed = [
            (namespace, call)
            for namespace in factory.namespaces
            for call in namespace._shared.swallowable()
            if not _reached_the_test(call, test_files)
        ]
        if swallowed:
            pytest.fail(_swallowed_report(swallowed), pytrace=False)


def _seed(request: pytest.FixtureRequest, namespace: KVNamespace, files: Any) -> None:
    """Seed from the ``seed_files`` marker option: a path or a list of paths."""
    __tracebackhide__ = True
    paths = [files] if isinstance(files, (str, os.PathLike)) else list(files)
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


def _seed_files(request: pytest.FixtureRequest) -> dict[str, Any]:
    files = _options(request).get("seed_files") or {}
    if not isinstance(files, Mapping):
        pytest.fail(
            f"@pytest.mark.kv(seed_files=...) takes {{binding: path or [paths]}}, got {files!r}",
            pytrace=False,
        )
    return dict(files)


@pytest.fixture
def kv(request: pytest.FixtureRequest, kv_factory: KVFactory) -> KVNamespace:
    """A fresh namespace named ``KV``, configured by the ``kv`` marker and ini options."""
    __tracebackhide__ = True
    namespace = kv_factory("KV")
    files = _seed_files(request)
    if "KV" in files:
        _seed(request, namespace, files["KV"])
    return namespace


def _wrangler_config(
    request: pytest.FixtureRequest, options: Mapping[str, Any]
) -> tuple[WranglerConfig | None, str]:
    """The project's wrangler config, or why there is none."""
    rootdir = Path(request.config.rootpath)
    try:
        path = find_config(rootdir, options.get("wrangler_config"))
        if path is None:
            return None, (
                f"no wrangler.toml, wrangler.json or wrangler.jsonc in {str(rootdir)!r}; "
                "name the bindings with @pytest.mark.kv(bindings=[...]) or set "
                "kv_wrangler_config in the ini file"
            )
        return load_config(path, options.get("wrangler_env")), ""
    except ValueError as error:
        return None, str(error)


@pytest.fixture
def kv_env(request: pytest.FixtureRequest, kv_factory: KVFactory) -> KVEnv:
    """One namespace per KV binding of the project's wrangler config (or of the
    marker's ``bindings=[...]``), plus the config's ``vars``: a Worker's ``env``."""
    __tracebackhide__ = True
    options = _options(request)
    variables: dict[str, Any] = {}
    bindings = options.get("bindings")
    if bindings is None:
        config, problem = _wrangler_config(request, options)
        if config is None:
            pytest.fail(f"kv_env: {problem}", pytrace=False)
        bindings, variables = list(config.kv_bindings), config.vars
    elif isinstance(bindings, str):
        bindings = [bindings]
    files = _seed_files(request)
    unknown = sorted(set(files) - set(bindings))
    if unknown:
        pytest.fail(
            f"seed_files names binding(s) {', '.join(map(repr, unknown))} that kv_env does "
            f"not have; its bindings: {', '.join(bindings)}",
            pytrace=False,
        )
    namespaces = {name: kv_factory(name) for name in bindings}
    for name, paths in files.items():
        _seed(request, namespaces[name], paths)
    return KVEnv(namespaces, variables)
