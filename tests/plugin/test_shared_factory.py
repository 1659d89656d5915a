"""kv, kv_env and kv_factory share one factory per test: whichever is set up first
makes it, and its teardown (after every fixture that uses one of them) runs strict
teardown. These pin that wiring, which is not visible from a single fixture."""

from __future__ import annotations

import pytest

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
APP = """
from pytest_kv import KVError

def remember(kv):
    try:
        kv.sync.put("s:1", "v", expirationTtl=30)  # below the 60 s floor
    except KVError:
        pass  # swallowed
"""


def test_kv_env_and_kv_factory_share_one_factory(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makefile(".toml", wrangler='kv_namespaces = [{ binding = "OTHER", id = "x" }]')
    pytester.makepyfile(
        """
        def test_kv_first(kv, kv_factory, kv_env):
            assert kv in kv_factory.namespaces
            assert kv_env.OTHER in kv_factory.namespaces
            assert len(kv_factory.namespaces) == 2

        def test_factory_first(kv_factory, kv):
            assert kv_factory.namespaces == [kv]

        def test_dynamic(request, kv):
            assert request.getfixturevalue("kv_factory").namespaces == [kv]

        def test_each_test_its_own(kv_factory):
            assert kv_factory.namespaces == []
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


@pytest.mark.parametrize(
    ("params", "namespace"),
    [
        ("kv", "kv"),
        ("kv, kv_factory", "kv"),
        ("kv_factory, kv", "kv"),
        ("kv_env", "kv_env.KV"),
        ("kv_env, kv", "kv"),
        ("kv_factory", 'kv_factory("OTHER")'),
    ],
)
def test_strict_teardown_runs_once_whichever_fixture_is_first(
    pytester: pytest.Pytester, params: str, namespace: str
) -> None:
    pytester.makeini(INI)
    pytester.makefile(".toml", wrangler='kv_namespaces = [{ binding = "KV", id = "x" }]')
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        f"""
        from app import remember

        def test_swallowed({params}):
            remember({namespace})
        """
    )
    # -rN: no short summary, which repeats the message in full where CI is set.
    result = pytester.runpytest("-p", "no:cacheprovider", "-rN")
    result.assert_outcomes(passed=1, errors=1)
    assert result.stdout.str().count("the code under test swallowed KV errors") == 1


def test_strict_teardown_sees_what_a_dependent_fixture_swallows_at_teardown(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INI)
    # The fixture's teardown runs before the shared factory's, so strict teardown
    # still sees the error it swallowed.
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        """
        import pytest
        from app import remember

        @pytest.fixture
        def session(kv):
            yield
            remember(kv)

        def test_uses_session(session, kv_factory):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_uses_session*", "*put(*"])


def test_a_rerun_test_gets_a_fresh_factory(pytester: pytest.Pytester) -> None:
    # pytest keeps an item's stash across reruns of the same item.
    pytester.makeini(INI)
    pytester.makeconftest(
        """
        import pytest
        from _pytest.runner import runtestprotocol

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_protocol(item, nextitem):
            item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
            for _ in range(2):
                for report in runtestprotocol(item, nextitem=nextitem, log=False):
                    item.ihook.pytest_runtest_logreport(report=report)
            item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
            return True
        """
    )
    pytester.makepyfile(
        """
        seen = []

        def test_twice(kv_factory, kv):
            assert kv_factory.namespaces == [kv]
            seen.append(kv_factory)
            assert len({id(factory) for factory in seen}) == len(seen)
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_finished_test_lets_go_of_its_namespaces(pytester: pytest.Pytester) -> None:
    # pytest keeps every item to the end of the session, and with it the item's
    # stash: a test's namespaces, error and REST calls must not stay there, or a suite
    # holds every namespace it ever made and the cyclic collector walks them all.
    pytester.makeini(INI)
    pytester.makefile(".toml", wrangler='kv_namespaces = [{ binding = "OTHER", id = "x" }]')
    pytester.makepyfile(
        """
        import gc

        import pytest

        from pytest_kv.kv.namespace import Namespace


        def alive():
            gc.collect()
            return sum(type(thing) is Namespace for thing in gc.get_objects())


        def test_uses_them(kv, kv_env, kv_factory):
            kv_factory("EVENTUAL", consistency="eventual", locations=["a", "b"])
            kv.sync.put("k", "v")
            assert alive() == 3


        @pytest.mark.xfail(strict=True)
        def test_fails_holding_one(kv):
            kv.sync.put("k", "v")
            raise AssertionError("its error's traceback holds the namespace")


        def test_after_them():
            assert alive() == 0
        """
    )
    # In a subprocess: in process, pytester's hook recorder keeps every call's error.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, xfailed=1)
