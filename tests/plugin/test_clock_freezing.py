"""kv_clock with freezegun driving: the patch sites found once per process (freezing.py)
must freeze and unfreeze exactly the places freezegun's own start() and stop() do,
checked from the outside with pytester."""

from __future__ import annotations

import sys
import time
import types

import pytest
from freezegun import api

from pytest_kv.plugin import freezing
from pytest_kv.plugin.clock import FreezegunDriver

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"

# The application: names bound at import time, as real code binds them.
APP = """
import warnings
from datetime import date, datetime, timezone
from time import gmtime, localtime, strftime, time, time_ns
import datetime as datetime_module
import time as time_module


def seen():
    with warnings.catch_warnings():
        # Deprecated from Python 3.12: the real one warns where freezegun's fake does not.
        warnings.simplefilter("ignore", DeprecationWarning)
        utcnow = datetime.utcnow()
    return {
        "time": time(),
        "time_ns": time_ns(),
        "module time": time_module.time(),
        "now": datetime.now(timezone.utc),
        "utcnow": utcnow,
        "module now": datetime_module.datetime.now(timezone.utc),
        "today": date.today(),
        "gmtime": tuple(gmtime())[:6],
        "localtime year": localtime().tm_year,
        "strftime": strftime("%Y"),
    }
"""

# Checks shared by the inner tests: what a frozen test sees, and that a plain test
# sees real objects everywhere, including modules first imported while frozen.
CONFTEST = """
import sys
from datetime import date, datetime, timezone

from freezegun import api

REAL = {
    "date": api.real_date, "datetime": api.real_datetime, "gmtime": api.real_gmtime,
    "localtime": api.real_localtime, "strftime": api.real_strftime,
    "time": api.real_time, "time_ns": api.real_time_ns,
}


def expect_frozen(module, epoch):
    when = api.real_datetime.fromtimestamp(epoch, timezone.utc)
    seen = module.seen()
    assert seen["time"] == seen["module time"] == epoch
    assert seen["time_ns"] == epoch * 10**9
    assert seen["now"] == seen["module now"] == when
    assert seen["utcnow"] == when.replace(tzinfo=None)
    assert seen["today"] == when.date()
    assert seen["gmtime"] == tuple(when.timetuple())[:6]
    assert seen["localtime year"] == when.year
    assert seen["strftime"] == str(when.year)
    assert module.datetime is api.FakeDatetime
    assert module.time is api.fake_time


def expect_real(*names):
    import datetime as datetime_module
    import time as time_module

    assert not api.freeze_factories
    assert datetime_module.datetime is api.real_datetime
    assert datetime_module.date is api.real_date
    for attribute in ("time", "time_ns", "gmtime", "localtime", "strftime"):
        assert getattr(time_module, attribute) is REAL[attribute], attribute
    for name in names:
        module = sys.modules[name]
        for attribute, real in REAL.items():
            assert getattr(module, attribute) is real, (name, attribute)
        assert module.datetime_module.datetime is api.real_datetime
"""


@pytest.fixture(autouse=True)
def _project(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.mkpydir("clockapp")
    for name in ("early", "late", "later"):
        pytester.path.joinpath("clockapp", f"{name}.py").write_text(APP)
    pytester.syspathinsert()


def test_app_code_sees_frozen_time_and_plain_tests_real_time(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import importlib
        import time
        from datetime import datetime

        import pytest
        from freezegun import api

        from clockapp import early
        from conftest import expect_frozen, expect_real


        def test_plain_before():
            expect_real("clockapp.early")


        @pytest.mark.kv(clock_start="2030-01-02T03:04:05Z")
        def test_frozen(kv_clock):
            expect_frozen(early, 1893553445)
            late = importlib.import_module("clockapp.late")  # first imported now
            expect_frozen(late, 1893553445)
            assert kv_clock.advance(10) == 1893553455
            expect_frozen(early, 1893553455)
            expect_frozen(late, 1893553455)
            # This test module's own names are frozen too.
            assert datetime is api.FakeDatetime
            assert time.time() == 1893553455
            # A name an existing module gains during the test holds a fake...
            early.grabbed = time.time


        def test_plain_after():
            expect_real("clockapp.early", "clockapp.late")
            assert datetime is api.real_datetime
            # ... and is real again afterwards.
            assert early.grabbed is api.real_time
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_many_tests_each_frozen_at_their_own_instant(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import importlib

        import pytest

        from clockapp import early
        from conftest import expect_frozen, expect_real

        INSTANTS = {
            "2030-01-02T03:04:05Z": 1893553445,
            "2031-06-07T08:09:10Z": 1938586150,
            "2032-12-31T23:59:59Z": 1988150399,
        }


        # Frozen tests at three instants, three times over, each followed by a plain
        # test: pytest runs them in this order.
        @pytest.mark.parametrize(
            "epoch",
            [
                param
                for start, epoch in list(INSTANTS.items()) * 3
                for param in (pytest.param(epoch, marks=pytest.mark.kv(clock_start=start)), None)
            ],
        )
        def test_frozen_then_plain(request, epoch):
            if epoch is None:
                expect_real("clockapp.early", "clockapp.late")
                return
            kv_clock = request.getfixturevalue("kv_clock")
            assert kv_clock.now() == epoch
            expect_frozen(early, epoch)
            # Imported by the first of these tests, then found patchable by the rest.
            expect_frozen(importlib.import_module("clockapp.late"), epoch)


        def test_time_machine_then_freezegun_again(kv_clock, time_machine):
            assert kv_clock.driver == "time-machine"
            kv_clock.move_to(1893553445)
            assert early.time() == 1893553445


        @pytest.mark.kv(clock_start=1938586150)
        def test_freezegun_after_time_machine(kv_clock):
            assert kv_clock.driver == "freezegun"
            expect_frozen(early, 1938586150)
            expect_frozen(importlib.import_module("clockapp.later"), 1938586150)


        def test_plain_at_the_end():
            expect_real("clockapp.early", "clockapp.late", "clockapp.later")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=21)


def test_a_nested_freeze_time_inside_kv_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time

        import pytest
        from freezegun import api, freeze_time

        from clockapp import early
        from conftest import expect_frozen, expect_real


        @pytest.mark.kv(clock_start=1893553445)
        def test_nested(kv, kv_clock):
            with freeze_time("2035-01-01T00:00:00") as inner:
                assert kv_clock.now() == time.time() == 2051222400
                expect_frozen(early, 2051222400)
                kv.sync.put("k", "v", expiration=2051222460)
                inner.tick(60)
                assert kv.sync.get("k") is None  # the fake reads the inner freeze
            assert len(api.freeze_factories) == 1
            assert kv_clock.now() == 1893553445
            expect_frozen(early, 1893553445)


        @freeze_time("2035-01-01T00:00:00")
        @pytest.mark.kv(clock_start=1893553445)
        def test_decorated(kv_clock):
            assert kv_clock.now() == 2051222400
            expect_frozen(early, 2051222400)


        def test_plain_after():
            expect_real("clockapp.early")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_freezeguns_ignore_list_is_respected(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("skipped")
    pytester.path.joinpath("skipped", "early.py").write_text(APP)
    pytester.path.joinpath("skipped", "late.py").write_text(APP)
    pytester.makeconftest(
        CONFTEST
        + """
import freezegun
from freezegun import config

_saved = config.settings.default_ignore_list


def pytest_configure():
    freezegun.configure(extend_ignore_list=["skipped"])


def pytest_unconfigure():
    config.settings.default_ignore_list = _saved
"""
    )
    pytester.makepyfile(
        """
        import importlib

        from freezegun import api

        from clockapp import early
        from conftest import expect_frozen, expect_real
        from skipped import early as skipped_early


        def test_frozen(kv_clock):
            epoch = kv_clock.move_to(1893553445)
            expect_frozen(early, epoch)
            # Not patched, and freezegun's fakes give real time to its callers.
            assert skipped_early.time is api.real_time
            assert skipped_early.datetime is api.real_datetime
            assert skipped_early.seen()["module time"] != epoch
            late = importlib.import_module("skipped.late")
            assert late.datetime is api.FakeDatetime  # took it from datetime: patched
            assert late.seen()["module time"] != epoch


        def test_plain_after():
            expect_real("clockapp.early", "skipped.early", "skipped.late")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_without_freezeguns_internals_it_falls_back_to_freezeguns_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(freezing, "_api_found", False)
    assert freezing.patch_sites() is None
    driver = FreezegunDriver(1893553445.0)
    try:
        assert driver.now() == time.time() == 1893553445.0
        assert time.monotonic is api.real_monotonic  # kept real on this path too
    finally:
        driver.stop()
    assert time.time is api.real_time
    assert not api.freeze_factories


def _sites_in(sites: freezing.PatchSites, name: str) -> set[str]:
    module = sys.modules.get(name)
    return {attribute for found, attribute, _, _ in sites.sites(()) if found is module}


def test_refresh_finds_every_kind_of_change_since_the_last_look(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The quick comparison skips the walk only when nothing changed: each change
    # below must still be read, and one that is read must be read once.
    sites = freezing.PatchSites(api)
    sites.refresh()
    assert _sites_in(sites, "pytest_kv_probe") == set()

    first = types.ModuleType("pytest_kv_probe")
    first.clock = api.real_time  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pytest_kv_probe", first)
    sites.refresh()  # a new module
    assert _sites_in(sites, "pytest_kv_probe") == {"clock"}

    first.when = api.real_datetime  # type: ignore[attr-defined]
    sites.refresh()  # a module that gained an attribute
    assert _sites_in(sites, "pytest_kv_probe") == {"clock", "when"}

    second = types.ModuleType("pytest_kv_probe")
    second.today = api.real_date  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pytest_kv_probe", second)
    sites.refresh()  # the same name, another module
    assert _sites_in(sites, "pytest_kv_probe") == {"today"}

    read: list[str] = []
    real_read = sites._read
    monkeypatch.setattr(
        sites, "_read", lambda name, *rest: read.append(name) or real_read(name, *rest)
    )
    sites.refresh()  # nothing changed: nothing read again
    assert read == []

    monkeypatch.undo()  # sys.modules as it was
    sites.refresh()  # gone from sys.modules: forgotten
    assert "pytest_kv_probe" not in sys.modules
    assert not any(name == "pytest_kv_probe" for name in sites._with_sites)


def test_refresh_with_restore_puts_reals_back_in_a_module_imported_while_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sites = freezing.PatchSites(api)
    sites.refresh()
    late = types.ModuleType("pytest_kv_late")
    late.clock = api.fake_time  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pytest_kv_late", late)
    sites.refresh(restore=True)
    assert late.clock is api.real_time  # type: ignore[attr-defined]
    assert _sites_in(sites, "pytest_kv_late") == {"clock"}
