"""The pytest plugin: fixtures ``kv``, ``kv_factory`` and ``kv_clock``, the ``kv``
marker and the ini options. Registered through the ``pytest11`` entry point.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from .clock import FreezegunDriver, FreezerDriver, KVClock, TimeMachineDriver, to_epoch
from .factory import KVFactory
from .listing import PageShape
from .namespace import KVNamespace
from .options import OPTIONS, check_names, merge, namespace_options, settings_of

_MARKER_HELP = (
    "kv(**options): options for the kv, kv_env, kv_factory and kv_clock fixtures; "
    "the closest marker wins. Options: " + ", ".join(OPTIONS)
)


def pytest_addoption(parser: pytest.Parser) -> None:
    for option in OPTIONS.values():
        parser.addini(option.ini_name, f"pytest-kv: {option.help}", type="string", default="")


_INI_DEFAULTS = pytest.StashKey[dict[str, Any]]()


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
        return time.time()

    def advance(self, seconds: float | timedelta) -> float:
        clock: KVClock = self._request.getfixturevalue("kv_clock")
        return clock.advance(seconds)


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
    clock = KVClock(driver)
    try:
        yield clock
    finally:
        clock.stop()


@pytest.fixture
def kv_factory(request: pytest.FixtureRequest) -> KVFactory:
    """Makes namespaces: ``kv_factory(name="KV", **options)``; see ``KVFactory``."""
    __tracebackhide__ = True
    options = _options(request)
    try:  # report bad marker or ini values at setup, not at the first kv_factory() call
        settings_of(namespace_options(options))
        PageShape.of(options.get("page_size"), options.get("empty_pages", ()))
    except (TypeError, ValueError) as error:
        pytest.fail(f"pytest-kv options: {error}", pytrace=False)
    return KVFactory(options, _TestClock(request))


@pytest.fixture
def kv(kv_factory: KVFactory) -> KVNamespace:
    """A fresh namespace named ``KV``, configured by the ``kv`` marker and ini options."""
    return kv_factory("KV")
