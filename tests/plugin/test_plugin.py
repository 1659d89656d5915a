"""The plugin's wiring, tested from the outside with pytester."""

from __future__ import annotations

import pytest

# An ini file whose suite-wide kv_clock start is 2020-01-01 (1577836800).
CLOCK_START_2020 = """
[pytest]
asyncio_default_fixture_loop_scope = function
kv_clock_start = 2020-01-01T00:00:00Z
"""


@pytest.fixture(autouse=True)
def _quiet_pytest_asyncio(pytester: pytest.Pytester) -> None:
    """Inner runs get an ini file, so pytest-asyncio does not warn about its defaults."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def test_entry_point_registers_the_plugin(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures")
    listed = result.stdout.str()
    assert "fixtures defined from pytest_kv.plugin" in listed
    for fixture in ("kv", "kv_clock", "kv_factory"):
        assert f"\n{fixture} -- " in listed
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.kv(**options): *clock_start*"])


def test_fixtures_in_a_users_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_kv import KVNamespace

        @pytest.fixture(params=["asyncio", "trio"])
        def anyio_backend(request):
            return request.param

        @pytest.mark.anyio
        async def test_async(kv):
            assert isinstance(kv, KVNamespace) and kv.name == "KV"
            await kv.put("k", "v")
            assert await kv.get("k") == "v"

        def test_fresh_namespace_per_test(kv):
            assert kv.keys() == []
            kv.seed({"k": "v"})

        def test_factory_makes_independent_namespaces(kv_factory):
            users, sessions = kv_factory("USERS"), kv_factory()
            users.sync.put("u", "1")
            assert sessions.sync.get("u") is None
            assert (users.name, sessions.name) == ("USERS", "KV")
            assert kv_factory.namespaces == [users, sessions]
        """
    )
    pytester.runpytest().assert_outcomes(passed=4)


def test_closest_marker_wins(pytester: pytest.Pytester) -> None:
    pytester.makeini(CLOCK_START_2020)
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.kv(clock_start=1_000)

        def test_ini_loses_to_module(kv_clock):
            assert kv_clock.now() == 1_000

        @pytest.mark.kv(clock_start=2_000)
        class TestClass:
            def test_class_wins(self, kv_clock):
                assert kv_clock.now() == 2_000

            @pytest.mark.kv(clock_start=3_000)
            def test_function_wins(self, kv_clock):
                assert kv_clock.now() == 3_000
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_added_markers_count_and_unmarked_tests_keep_the_ini_options(
    pytester: pytest.Pytester,
) -> None:
    # Markers added to an item (here by a conftest) are the item's own markers; the
    # tests without one share the ini options, which a marked test must not change.
    pytester.makeini(CLOCK_START_2020)
    pytester.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if item.name == "test_added":
                    item.add_marker(pytest.mark.kv(clock_start=5_000))
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_before(kv_clock):
            assert kv_clock.now() == 1577836800

        def test_added(kv_clock):
            assert kv_clock.now() == 5_000

        @pytest.mark.kv(clock_start=6_000, consistency="eventual")
        def test_marked(kv_clock, kv):
            assert kv_clock.now() == 6_000 and kv.consistency == "eventual"

        def test_after(kv_clock, kv):
            assert kv_clock.now() == 1577836800 and kv.consistency == "strong"
        """
    )
    pytester.runpytest().assert_outcomes(passed=4)


def test_ini_option_sets_the_suite_default(pytester: pytest.Pytester) -> None:
    pytester.makeini(CLOCK_START_2020)
    pytester.makepyfile(
        """
        def test_ini(kv_clock):
            assert kv_clock.now() == 1577836800
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_bad_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        kv_clock_start = whenever
        """
    )
    pytester.makepyfile("def test_x(kv_clock): pass")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines(["*ini option kv_clock_start = 'whenever': not an ISO 8601*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_misspelled_marker_option_errors_with_a_hint(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kv(clockstart=5)
        def test_x(kv):
            pass

        @pytest.mark.kv(5)
        def test_positional(kv):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.kv: unknown option 'clockstart'; did you mean 'clock_start'?*",
            "*@pytest.mark.kv takes options by name only*",
        ]
    )
    result.stdout.no_fnmatch_line("*pytest_kv/plugin.py*")


def test_a_misspelled_factory_option_errors_with_a_hint(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_x(kv_factory):
            kv_factory("KV", clock_strat=5)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*kv_factory(): unknown option 'clock_strat'; did you mean*"])


def test_seeding_fixtures_see_the_frozen_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.fixture
        def seeded(kv):
            kv.seed({"k": "v"}, expirationTtl=60)
            return time.time()

        @pytest.mark.kv(clock_start=1_000_000)
        def test_x(seeded, kv, kv_clock):
            assert seeded == 1_000_000
            assert kv.peek("k").expiration == 1_000_060
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_failures_show_the_users_call_not_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_x(kv):
            kv.sync.put("k", "v", expirationTtl=30)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            '*kv.sync.put("k", "v", expirationTtl=30)',
            "E*KVError: KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must "
            "be at least 60.",
        ]
    )
    result.stdout.no_fnmatch_line("*pytest_kv/*")


def test_time_is_restored_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time

        def test_frozen(kv_clock):
            kv_clock.move_to(0)
            assert time.time() == 0

        def test_after():
            assert time.time() > 1_700_000_000
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_works_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_x(kv, kv_clock, n):
            kv.sync.put(f"k{n}", "v", expirationTtl=60)
            assert kv.keys() == [f"k{n}"]
            kv_clock.advance(60)
            assert kv.keys() == []
        """
    )
    pytester.runpytest_subprocess("-n", "2").assert_outcomes(passed=8)


def test_eventual_options_from_ini_and_markers(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        kv_consistency = eventual
        kv_locations = lhr, syd
        kv_propagation = syd=5 *=60
        kv_cache_ttl = 30
        kv_list_lag = 10
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from pytest_kv import assert_eventually

        def test_ini(kv, kv_clock):
            assert (kv.consistency, kv.locations) == ("eventual", ("lhr", "syd"))
            assert kv.location == "lhr"
            kv.sync.put("k", "v")
            assert assert_eventually(kv, "k", "v", within=10) == 5
            kv_clock.advance(5)
            assert kv.sync.list()["keys"] == [{"name": "k"}]

        @pytest.mark.kv(consistency="strong")
        def test_strong_marker_drops_ini_eventual_options(kv):
            assert kv.consistency == "strong" and kv.locations == ("lhr", "syd")
            kv.sync.put("k", "v")
            assert kv.at("syd").sync.get("k") == "v"

        @pytest.mark.kv(locations=["a"], propagation=1)
        def test_marker_overrides(kv_factory):
            kv = kv_factory("OTHER", list_lag=0)
            assert kv.locations == ("a",) and kv.name == "OTHER"
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_eventual_only_options_need_eventual_consistency(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kv(propagation=5)
        def test_x(kv):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*pytest-kv options: propagation need consistency='eventual'*"])


def test_settle_sets_up_the_clock_on_first_use(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"])
        @pytest.mark.anyio
        async def test_x(kv):
            await kv.put("flag", "on")  # real time: kv_clock is not set up yet
            assert kv.settle() == pytest.approx(60, abs=1)
            assert time.time() == time.time()  # frozen from now on
            assert await kv.at("syd").get("flag") == "on"

        @pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"])
        def test_exact_with_kv_clock(kv, kv_clock):
            kv.sync.put("flag", "on")
            assert kv.settle() == 60
            assert kv.at("syd").sync.get("flag") == "on"

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_page_shape_options(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        kv_page_size = 2
        kv_empty_pages = start, end
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from pytest_kv import list_all

        def test_ini(kv):
            kv.seed(dict.fromkeys("abc", ""))
            first = kv.sync.list()
            assert first["keys"] == [] and first["list_complete"] is False
            assert list_all(kv) == ["a", "b", "c"]

        @pytest.mark.kv(page_size=1, empty_pages=[])
        def test_marker(kv):
            kv.seed(dict.fromkeys("abc", ""))
            assert [k["name"] for k in kv.sync.list()["keys"]] == ["a"]

        @pytest.mark.kv(empty_pages=["somewhere"])
        def test_bad(kv):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*empty_pages: unknown place(s) 'somewhere'*"])


def test_helper_failures_hide_the_plugins_frames(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_kv import assert_expires, assert_keys, assert_paginates

        def test_keys(kv):
            kv.seed({"a": ""})
            assert_keys(kv, ["b"])

        def test_ttl(kv):
            kv.sync.put("s", "v", expirationTtl=59 + 1)
            assert_expires(kv, "s", ttl=61)

        def test_paginates(kv):
            kv.seed({"a": "", "b": ""})
            assert_paginates(lambda ns: ns.sync.list()["keys"][:1], kv)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            '*assert_keys(kv, [[]"b"[]])',
            "E*missing (1): [[]'b'[]]",
            '*assert_expires(kv, "s", ttl=61)',
            "E*expires in 60 s*not in 61 s (-1 s)*",
            "E*fails under 5 of 5 page shapes*",
        ]
    )
    result.stdout.no_fnmatch_line("*pytest_kv/assertions.py*")
