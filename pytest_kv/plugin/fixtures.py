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
from pytest_kv.kv.settings import flag

from . import clock, strict
from .clock import FreezegunDriver, FreezerDriver, KVClock, TimeMachineDriver, to_epoch
from .factory import KVFactory
from .hooks import NAMESPACES, TEARING_DOWN
from .options import eventual_defaults, ini_alone, namespace_options, settings_of, test_options
from .seeding import seed_files_of, seed_from
from .wrangler import binding_names, config_option_problem, find_config, load_config, no_config
from .wrapped import Wrappers

# Set when settle() or assert_eventually sets kv_clock up mid-test: where it freezes.
_FREEZE_AT = pytest.StashKey[float]()
# The test's kv_clock while it runs.
RUNNING_CLOCK = pytest.StashKey[KVClock]()


class _TestClock:
    """The fixtures' clock: reads ``time.time()``; moves time through ``kv_clock``,
    set up the first time something (``settle()``, ``assert_eventually``) moves it."""

    __slots__ = ("_request", "ended")

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self.ended = False

    def now(self) -> float:
        read = clock.active
        return time.time() if read is None else read()

    def advance(self, seconds: float | timedelta) -> float:
        if self.ended:
            raise RuntimeError(
                f"this namespace belongs to {self._request.node.nodeid}, which has ended: "
                "settle() and assert_eventually move time through that test's kv_clock, "
                "which is gone. Use namespaces only inside the test that made them, or "
                "build one with KVNamespace(clock=...) to keep it."
            )
        stash = self._request.node.stash
        running: KVClock | None = stash.get(RUNNING_CLOCK, None)
        if running is not None:
            return running.advance(seconds)
        if stash.get(TEARING_DOWN, False):
            raise RuntimeError(
                "settle() and assert_eventually move time through kv_clock, which pytest "
                "cannot set up during teardown; request kv_clock in the fixture or test "
                "that calls them"
            )
        # Freeze where time is now, not at the whole second: never backwards.
        stash[_FREEZE_AT] = self.now()
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
        problem = str(error)
    else:
        problem = ""
    if problem:
        pytest.fail(f"pytest-kv option clock_start={given!r}: {problem}", pytrace=False)
    names = request.fixturenames  # a new list on every read
    if "time_machine" in names:
        driver: Any = TimeMachineDriver(request.getfixturevalue("time_machine"), start)
    elif "freezer" in names:
        driver = FreezerDriver(request.getfixturevalue("freezer"), start)
    else:
        if start is None:
            start = request.node.stash.get(_FREEZE_AT, None) or float(int(time.time()))
        driver = FreezegunDriver(start)
    test_clock = KVClock(driver)
    test_clock.start()
    request.node.stash[RUNNING_CLOCK] = test_clock
    try:
        yield test_clock
    finally:
        del request.node.stash[RUNNING_CLOCK]
        test_clock.stop()


# What _check() said of the options of the tests without a kv marker.
_INI_VERDICT = pytest.StashKey[tuple[str, bool]]()


def _check(options: dict[str, Any], eventual: dict[str, Any]) -> tuple[str, bool]:
    """What is wrong with a test's options (``""`` if nothing), and whether it is
    strict: bad marker or ini values are reported at setup, not at the first
    ``kv_factory()`` call."""
    try:
        checked_options = namespace_options(options)
        if checked_options.get("consistency") == "eventual":
            checked_options = {**eventual, **checked_options}
        settings_of(checked_options)
        PageShape.of(options.get("page_size"), options.get("empty_pages", ()))
        checked = flag("strict", options.get("strict", True))
        for name in ("read_only", "rate_limits"):
            flag(name, options.get(name, False))
    except (TypeError, ValueError) as error:
        return str(error), False
    return "", checked


# The test's factory while it runs, shared by kv, kv_env and kv_factory.
_FACTORY = pytest.StashKey[KVFactory]()


def _factory(request: pytest.FixtureRequest) -> KVFactory:
    """The test's ``KVFactory``, made by whichever of ``kv``, ``kv_env`` and
    ``kv_factory`` is set up first. That fixture is torn down after the others (and
    after every fixture that uses one of them), so its finalizer runs strict teardown.
    Sharing one factory rather than having ``kv`` and ``kv_env`` request
    ``kv_factory`` saves a test pytest's setup and teardown of a second fixture,
    which cost more than everything the plugin itself does for ``kv``."""
    __tracebackhide__ = True
    stash = request.node.stash
    factory: KVFactory | None = stash.get(_FACTORY, None)
    if factory is not None:
        return factory
    options = test_options(request)
    eventual = eventual_defaults(request)
    if ini_alone(request):  # no marker: the same options, and verdict, as every such test
        verdict = request.config.stash.get(_INI_VERDICT, None)
        if verdict is None:
            verdict = request.config.stash[_INI_VERDICT] = _check(options, eventual)
    else:
        verdict = _check(options, eventual)
    problem, checked = verdict
    if problem:
        pytest.fail(f"pytest-kv options: {problem}", pytrace=False)
    test_clock = _TestClock(request)
    factory = KVFactory(options, test_clock, eventual_defaults=eventual)
    stash[NAMESPACES] = factory.namespaces
    wrappers = Wrappers(strict.test_files(request))
    if checked:
        factory.watch = wrappers.error

    def finish() -> None:
        __tracebackhide__ = True
        # A rerun of the test (pytest-rerunfailures) starts from a new factory.
        del stash[_FACTORY]
        wrappers.stop()
        test_clock.ended = True
        if checked:
            strict.check(request, factory.namespaces, wrappers)

    request.addfinalizer(finish)
    stash[_FACTORY] = factory
    return factory


@pytest.fixture
def kv_factory(request: pytest.FixtureRequest) -> KVFactory:
    """Makes namespaces: ``kv_factory(name="KV", **options)``; see ``KVFactory``.

    At teardown it fails the test if the code under test swallowed a KV validation
    error (turn off with ``strict=False``).
    """
    __tracebackhide__ = True
    return _factory(request)


@pytest.fixture
def kv(request: pytest.FixtureRequest) -> KVNamespace:
    """A fresh namespace named ``KV``, configured by the ``kv`` marker and ini options."""
    __tracebackhide__ = True
    with_env = "kv_env" in request.fixturenames
    if with_env:
        env: KVEnv = request.getfixturevalue("kv_env")
        shared: KVNamespace | None = env.namespaces.get("KV")
        if shared is not None:  # one binding named KV: kv is that namespace
            return shared
    namespace = _factory(request)("KV")
    if not test_options(request).get("seed_files"):
        return namespace  # the common case: nothing to seed
    files = seed_files_of(request)
    others = sorted(set(files) - {"KV"})
    if others and not with_env:
        pytest.fail(
            f"seed_files names binding(s) {', '.join(map(repr, others))}, but this test's "
            "only namespace is kv, whose binding is 'KV'; use kv_env for the bindings of "
            "the wrangler config, or name 'KV'",
            pytrace=False,
        )
    if "KV" in files:
        seed_from(request, namespace, files["KV"])
    return namespace


@pytest.fixture
def kv_env(request: pytest.FixtureRequest) -> KVEnv:
    """One namespace per KV binding of the project's wrangler config (or of the
    marker's ``bindings=[...]``), plus the config's ``vars``: a Worker's ``env``."""
    __tracebackhide__ = True
    options = test_options(request)
    explicit, section = options.get("wrangler_config"), options.get("wrangler_env")
    problem = config_option_problem(explicit, section)
    if problem:
        pytest.fail(f"kv_env: {problem}", pytrace=False)
    given = options.get("bindings")
    rootdir = Path(request.config.rootpath)
    config = None
    bindings: list[str] = []
    try:
        path = find_config(rootdir, explicit, Path(request.node.path).parent)
        config = None if path is None else load_config(path, section)
        if given is not None:
            bindings = binding_names(given)
        elif config is not None:
            bindings = list(config.kv_bindings)
        else:
            problem = no_config(rootdir)
    except (TypeError, ValueError) as error:
        problem = str(error)
    if problem:
        pytest.fail(f"kv_env: {problem}", pytrace=False)
    # With bindings= the config's vars still come from the config, if there is one.
    variables = {} if config is None else config.vars
    ids = {} if config is None or given is not None else config.kv_ids
    files = seed_files_of(request)
    unknown = sorted(set(files) - set(bindings))
    if unknown:
        pytest.fail(
            f"seed_files names binding(s) {', '.join(map(repr, unknown))} that kv_env does "
            f"not have; its bindings: {', '.join(bindings)}",
            pytrace=False,
        )
    kv_factory = _factory(request)
    namespaces = {name: kv_factory(name, id=ids.get(name)) for name in bindings}
    for name, paths in files.items():
        seed_from(request, namespaces[name], paths)
    return KVEnv(namespaces, variables)
