"""The plugin's promises under odd input, tried as a user would: typos are errors with
hints, broken files name themselves, reports never break, strict teardown is right."""

from __future__ import annotations

import pytest

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)


def test_a_misspelled_ini_key_stops_the_run_with_a_hint(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "kv_consistancy = eventual\n")
    pytester.makepyfile("def test_x(kv):\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*unknown ini option 'kv_consistancy'; did you mean 'kv_consistency'?*"]
    )


def test_bad_ini_values_stop_the_run_once_naming_the_key(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "kv_page_size = 0\n")
    pytester.makepyfile("def test_x(kv):\n    pass\n\ndef test_y(kv):\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*kv_page_size*page_size must be a whole number >= 1, got 0*"])


def test_ini_eventual_settings_are_defaults_for_eventual_namespaces(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INI + "kv_cache_ttl = 90\nkv_list_lag = 5\n")
    pytester.makepyfile(
        """
        import pytest

        def test_strong_namespaces_ignore_them(kv):
            assert kv.consistency == "strong"

        @pytest.mark.kv(consistency="eventual", locations=["a", "b"])
        def test_eventual_namespaces_take_them(kv):
            assert kv._shared.settings.cache_ttl == 90
            assert kv._shared.settings.list_lag == 5
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_marker_mistakes_are_reported_once_even_without_a_kv_fixture(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On CI pytest's short summary repeats each message in full: count outside CI.
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kv(consistancy="eventual")
        def test_no_fixture():
            pass

        @pytest.mark.kv(consistancy="eventual")
        def test_with_fixture(kv):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    text = result.stdout.str()
    assert text.count("unknown option 'consistancy'; did you mean 'consistency'?") == 2
    assert "During handling" not in text


def test_yes_and_no_options_from_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_kv import KVError

        @pytest.mark.kv(read_only="false", rate_limits="no", strict="false")
        def test_off(kv):
            kv.sync.put("k", "v")
            kv.sync.put("k", "again")
            try:
                kv.sync.put("k", "v", expirationTtl=5)   # swallowed: strict is off
            except KVError:
                pass

        @pytest.mark.kv(read_only="yes")
        def test_on(kv):
            with pytest.raises(KVError, match="405"):
                kv.sync.put("k", "v")

        @pytest.mark.kv(read_only="maybe")
        def test_bad(kv):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*read_only must be true or false, got 'maybe'*"])


def test_clock_starts_are_checked_and_z_means_utc(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kv(clock_start="2026-01-01T00:00:00Z")
        def test_z(kv_clock):
            assert kv_clock.now() == 1767225600.0

        @pytest.mark.kv(clock_start=float("nan"))
        def test_nan(kv_clock):
            pass

        @pytest.mark.kv(clock_start=1e20)
        def test_huge(kv_clock):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(["*clock_start=nan*not an instant a clock can show*"])
    assert "OverflowError" not in result.stdout.str()


def test_reports_survive_odd_options_and_cut_huge_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        class Odd:
            def __repr__(self):
                raise RuntimeError("repr exploded")

        def test_fails(kv):
            try:
                kv.sync.get("k", {"cacheTtl": Odd()})
            except Exception:
                pass
            kv.sync.put("x" * 400, "v")
            assert False
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "INTERNALERROR" not in text
    assert "its repr() raised RuntimeError" in text
    assert "x" * 200 not in text
    assert "characters>" in text


def test_strict_teardown_knows_what_reached_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        app="""
        from pytest_kv import KVError

        class AppError(Exception):
            pass

        def save_wrapped(kv):
            try:
                kv.sync.put("k", "v", expirationTtl=30)
            except KVError as error:
                raise AppError("could not save") from error

        def save_quietly(kv):
            try:
                save_wrapped(kv)
            except AppError:
                return None

        def read_with_fallback(kv):
            try:
                return kv.sync.get("k")
            except KVError:
                return "fallback"
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from app import AppError, read_with_fallback, save_quietly, save_wrapped

        def test_wrapped_error_caught_by_the_test(kv):
            with pytest.raises(AppError):
                save_wrapped(kv)

        def test_wrapped_error_swallowed_by_the_app(kv):
            save_quietly(kv)

        def test_an_injected_failure_the_app_handles(kv):
            kv.fail_next("get", status=400)
            assert read_with_fallback(kv) == "fallback"
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_wrapped_error_swallowed_by_the_app*", "*KV.put('k'*"]
    )


def test_strict_teardown_follows_exception_groups(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        app="""
        import asyncio

        async def handler(kv):
            async with asyncio.TaskGroup() as group:
                group.create_task(kv.put("k", "v", expirationTtl=30))
        """
    )
    pytester.makepyfile(
        """
        import asyncio
        import sys
        import pytest
        from pytest_kv import KVError
        from app import handler

        @pytest.mark.skipif(sys.version_info < (3, 11), reason="TaskGroup is 3.11+")
        def test_caught_in_a_group(kv):
            with pytest.raises(ExceptionGroup) as info:
                asyncio.run(handler(kv))
            assert info.group_contains(KVError)
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.OK
    assert "swallowed" not in result.stdout.str()


def test_fixtures_kept_past_their_test_say_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        kept = []

        @pytest.mark.kv(consistency="eventual", locations=["a", "b"])
        def test_keep(kv, kv_clock):
            kept.extend([kv, kv_clock])

        def test_use_later():
            namespace, clock = kept
            with pytest.raises(RuntimeError, match="has ended"):
                namespace.settle() if namespace.sync.put("k", "v") is None else None
            with pytest.raises(RuntimeError, match="belongs to a test that has ended"):
                clock.advance(60)

        @pytest.fixture
        def settled(kv_factory):
            ns = kv_factory(consistency="eventual", locations=["a", "b"])
            yield ns
            ns.sync.put("k", "v")
            ns.settle()

        def test_settle_in_a_fixture_teardown(settled):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*request kv_clock in the fixture or test that calls them*"])


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("wrangler.toml", "[env]\nstaging = 5\n", "[env.staging] must be a table, got int"),
        ("wrangler.toml", b"name = '\xff'\n", "is not UTF-8 text (byte 8 is 0xff)"),
        ("wrangler.json", "[" * 100_000 + "]" * 100_000, "it is nested too deeply"),
        ("wrangler.jsonc", '{"kv_namespaces": [] /* no end', "Unexpected end of comment"),
    ],
)
def test_broken_configs_name_the_file(
    pytester: pytest.Pytester, name: str, content: str | bytes, problem: str
) -> None:
    path = pytester.path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    env = "@pytest.mark.kv(wrangler_env='staging')\n" if "env.staging" in problem else ""
    pytester.makepyfile(f"import pytest\n\n{env}def test_x(kv_env):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{name}*"])
    assert problem in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_config_paths_and_formats(pytester: pytest.Pytester) -> None:
    (pytester.path / "worker").mkdir()
    (pytester.path / "wrangler.yaml").write_text("kv_namespaces: []\n")
    (pytester.path / "wrangler.json").write_text('{"kv_namespaces": [{"binding": "FROM_JSON"}]}')
    (pytester.path / "wrangler.toml").write_text('kv_namespaces = [{ binding = "FROM_TOML" }]')
    (pytester.path / "bom.jsonc").write_bytes(
        '\ufeff{"kv_namespaces": [{"binding": "BOM"}], // a comment\n}'.encode()
    )
    pytester.makepyfile(
        """
        import pytest

        def test_json_before_toml_as_wrangler_reads_them(kv_env):
            assert list(kv_env.namespaces) == ["FROM_JSON"]

        @pytest.mark.kv(wrangler_config="bom.jsonc")
        def test_a_byte_order_mark(kv_env):
            assert list(kv_env.namespaces) == ["BOM"]

        @pytest.mark.kv(wrangler_config="wrangler.yaml")
        def test_yaml(kv_env):
            pass

        @pytest.mark.kv(wrangler_config="worker")
        def test_a_directory(kv_env):
            pass

        @pytest.mark.kv(wrangler_env=["prod"])
        def test_an_env_that_is_no_name(kv_env):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=3)
    text = result.stdout.str()
    assert "wrangler reads only .toml, .json and .jsonc configs" in text
    assert "is a directory; name the wrangler.toml" in text
    assert "wrangler_env must be the name of an [env.<name>] section, got ['prod']" in text


def test_bindings_and_vars(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml",
        wrangler='kv_namespaces = [{ binding = "at" }, { binding = "KV" }]\n'
        '[vars]\nMODE = "test"\n',
    )
    pytester.makepyfile(
        """
        import pytest
        from pytest_kv import KVEnv, KVNamespace

        def test_a_binding_named_like_a_helper_wins(kv_env):
            assert isinstance(kv_env.at, KVNamespace) and kv_env["at"] is kv_env.at
            assert KVEnv.at(kv_env, "local").MODE == "test"

        def test_kv_is_the_binding_named_kv(kv, kv_env):
            assert kv is kv_env.KV

        @pytest.mark.kv(bindings=["CACHE"])
        def test_vars_still_come_from_the_config(kv_env):
            assert list(kv_env.namespaces) == ["CACHE"] and kv_env.MODE == "test"

        @pytest.mark.kv(bindings=[1, 2])
        def test_bindings_that_are_not_names(kv_env):
            pass

        @pytest.mark.kv(bindings=["A", "A"])
        def test_a_binding_twice(kv_env):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        ["*bindings must be non-empty names (str), got 1*", "*bindings names A more than once*"]
    )


def test_a_var_with_a_bindings_name_is_refused_as_wrangler_refuses_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(
        ".toml", wrangler='kv_namespaces = [{ binding = "CACHE" }]\n[vars]\nCACHE = "x"\n'
    )
    pytester.makepyfile("def test_x(kv_env):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*CACHE assigned to Environment Variable and KV Namespace bindings. Bindings must have*"]
    )


def test_seed_files_are_checked_and_name_the_entry(pytester: pytest.Pytester) -> None:
    (pytester.path / "long_key.json").write_text('[{"key": "' + "k" * 600 + '", "value": "v"}]')
    (pytester.path / "meta.json").write_text(
        '[{"key": "a", "value": "v"}, {"key": "b", "value": "v", "metadata": "' + "m" * 2000 + '"}]'
    )
    (pytester.path / "nan.json").write_text('[{"key": "a", "value": "v", "expiration": NaN}]')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kv(seed_files={"KV": "long_key.json"})
        def test_long_key(kv):
            pass

        @pytest.mark.kv(seed_files={"KV": ["meta.json"]})
        def test_big_metadata(kv):
            pass

        @pytest.mark.kv(seed_files={"KV": "nan.json"})
        def test_nan(kv):
            pass

        @pytest.mark.kv(seed_files={"KV": 5})
        def test_not_a_path(kv):
            pass

        @pytest.mark.kv(seed_files={"FLAGS": "meta.json"})
        def test_a_binding_kv_does_not_have(kv):
            pass

        def test_seed_file_of_a_file_descriptor(kv):
            with pytest.raises(TypeError, match="a seed file is a path"):
                kv.seed_file(1)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=5)
    text = result.stdout.str()
    assert "long_key.json: entry 0 (key 'kkkk" in text
    assert "414 UTF-8 encoded length of 600" in text
    assert "meta.json: entry 1 (key 'b'): KV PUT failed: 413 Metadata length of 2002" in text
    assert "nan.json' is not JSON: NaN is not JSON" in text
    assert "takes {binding: path or [paths]}; got 'KV': 5" in text
    assert "names binding(s) 'FLAGS', but this test's only namespace is kv" in text
    assert "k" * 200 not in text


def test_kv_factory_refuses_options_of_the_whole_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_kv import KVFactory

        def test_factory(kv_factory):
            with pytest.raises(TypeError, match="strict applies to the whole test"):
                kv_factory("X", strict=False)
            with pytest.raises(TypeError, match="unknown option 'read_onyl'"):
                KVFactory({"read_onyl": True})
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_missing_oracle_is_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    # Under CI=true a missing oracle is an error by design; this is the local run.
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)

    conformance = Path(__file__).parent.parent / "conformance" / "conftest.py"
    folder = pytester.path / "conformance"
    folder.mkdir()
    (folder / "conftest.py").write_text(conformance.read_text())
    (folder / "test_many.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('n', range(30))\n"
        "def test_n(oracle, n):\n    pass\n"
    )
    result = pytester.runpytest("-ra", "conformance")
    text = result.stdout.str()
    assert text.count("Miniflare oracle not installed") == 1
    assert "conformance: 30 tests not run" in text
