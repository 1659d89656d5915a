"""The fixtures: ``kv``, ``kv_factory``, ``kv_env`` and ``kv_clock``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_kv.binding.env import KVEnv
from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.kv.listing import PageShape

from . import clock, strict
from .clock import FreezegunDriver, FreezerDriver, KVClock, TimeMachineDriver, to_epoch
from .factory import KVFactory
from .hooks import NAMESPACES
from .options import namespace_options, settings_of, test_options
from .seeding import seed_files_of, seed_from
from .wrangler import project_config


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
    given = test_options(request).get("clock_start")
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


@pytest.fixture
def kv_factory(request: pytest.FixtureRequest) -> Iterator[KVFactory]:
    """Makes namespaces: ``kv_factory(name="KV", **options)``; see ``KVFactory``.

    At teardown it fails the test if the code under test swallowed a KV validation
    error (turn off with ``strict=False``).
    """
    __tracebackhide__ = True
    options = test_options(request)
    try:  # report bad marker or ini values at setup, not at the first kv_factory() call
        settings_of(namespace_options(options))
        PageShape.of(options.get("page_size"), options.get("empty_pages", ()))
    except (TypeError, ValueError) as error:
        pytest.fail(f"pytest-kv options: {error}", pytrace=False)
    factory = KVFactory(options, _TestClock(request))
    request.node.stash[NAMESPACES] = factory.namespaces
    yield factory
    if options.get("strict", True):
        strict.check(request, factory.namespaces)


@pytest.fixture
def kv(request: pytest.FixtureRequest, kv_factory: KVFactory) -> KVNamespace:
    """A fresh namespace named ``KV``, configured by the ``kv`` marker and ini options."""
    __tracebackhide__ = True
    namespace = kv_factory("KV")
    files = seed_files_of(request)
    if "KV" in files:
        seed_from(request, namespace, files["KV"])
    return namespace


@pytest.fixture
def kv_env(request: pytest.FixtureRequest, kv_factory: KVFactory) -> KVEnv:
    """One namespace per KV binding of the project's wrangler config (or of the
    marker's ``bindings=[...]``), plus the config's ``vars``: a Worker's ``env``."""
    __tracebackhide__ = True
    options = test_options(request)
    variables: dict[str, Any] = {}
    bindings = options.get("bindings")
    if bindings is None:
        config, problem = project_config(
            Path(request.config.rootpath),
            options.get("wrangler_config"),
            options.get("wrangler_env"),
            Path(request.node.path).parent,
        )
        if config is None:
            pytest.fail(f"kv_env: {problem}", pytrace=False)
        bindings, variables = list(config.kv_bindings), config.vars
    elif isinstance(bindings, str):
        bindings = [bindings]
    files = seed_files_of(request)
    unknown = sorted(set(files) - set(bindings))
    if unknown:
        pytest.fail(
            f"seed_files names binding(s) {', '.join(map(repr, unknown))} that kv_env does "
            f"not have; its bindings: {', '.join(bindings)}",
            pytrace=False,
        )
    namespaces = {name: kv_factory(name) for name in bindings}
    for name, paths in files.items():
        seed_from(request, namespaces[name], paths)
    return KVEnv(namespaces, variables)
