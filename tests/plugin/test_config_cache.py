"""The wrangler config is read and checked once per session, yet an edited config,
several configs, and a broken one behave as if each test read its own."""

from __future__ import annotations

import pytest

from pytest_kv.plugin import wrangler

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

BINDINGS_TEST = """
import pytest

@pytest.mark.parametrize("run", range(3))
def test_bindings(kv_env, run):
    assert sorted(kv_env.namespaces) == {expected!r}
"""


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)


def test_config_is_parsed_once_for_many_tests(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    parse = wrangler._parse

    def counting(path: object) -> object:
        parsed.append(str(path))
        return parse(path)  # type: ignore[arg-type]

    monkeypatch.setattr(wrangler, "_parse", counting)
    pytester.makefile(".toml", wrangler='kv_namespaces = [{ binding = "ONCE" }]\n')
    pytester.makepyfile(BINDINGS_TEST.format(expected=["ONCE"]))
    pytester.runpytest().assert_outcomes(passed=3)
    assert len(parsed) == 1


def test_an_edited_config_is_read_again(pytester: pytest.Pytester) -> None:
    config = pytester.makefile(".toml", wrangler='kv_namespaces = [{ binding = "A" }]\n')
    pytester.makepyfile(BINDINGS_TEST.format(expected=["A"]))
    pytester.runpytest().assert_outcomes(passed=3)
    config.write_text(
        'kv_namespaces = [{ binding = "B" }, { binding = "C" }]\n[vars]\nX = "1"\n',
        encoding="utf-8",
    )
    pytester.makepyfile(BINDINGS_TEST.format(expected=["B", "C"]))
    pytester.runpytest().assert_outcomes(passed=3)


def test_two_configs_in_one_session(pytester: pytest.Pytester) -> None:
    for name, bindings in (("users", ["USERS"]), ("orders", ["ORDERS", "QUEUE"])):
        directory = pytester.mkpydir(name)
        listed = ", ".join(f'{{ binding = "{binding}" }}' for binding in bindings)
        (directory / "wrangler.toml").write_text(f"kv_namespaces = [{listed}]\n", "utf-8")
        (directory / f"test_{name}.py").write_text(BINDINGS_TEST.format(expected=bindings))
    pytester.runpytest().assert_outcomes(passed=6)


def test_a_broken_config_errors_in_every_test_naming_the_file(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".toml", wrangler="kv_namespaces = [\n")
    pytester.makepyfile(BINDINGS_TEST.format(expected=[]))
    result = pytester.runpytest()
    result.assert_outcomes(errors=3)
    path = str(pytester.path / "wrangler.toml")
    failures = [line for line in result.outlines if "is not valid TOML" in line]
    assert len(failures) >= 3
    assert all(path in line for line in failures)


def test_a_config_broken_later_errors_and_fixed_again_works(pytester: pytest.Pytester) -> None:
    config = pytester.makefile(".toml", wrangler='kv_namespaces = [{ binding = "A" }]\n')
    pytester.makepyfile(BINDINGS_TEST.format(expected=["A"]))
    pytester.runpytest().assert_outcomes(passed=3)
    config.write_text('kv_namespaces = [{ binding = "A" }, { binding = "A" }]\n', "utf-8")
    result = pytester.runpytest()
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*A assigned to multiple KV Namespace bindings*"])
    config.write_text('kv_namespaces = [{ binding = "A" }]  # fixed\n', "utf-8")
    pytester.runpytest().assert_outcomes(passed=3)


def test_each_test_gets_its_own_vars(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml", wrangler='kv_namespaces = [{ binding = "KV" }]\n[vars]\nTAGS = ["a"]\n'
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("run", range(3))
        def test_vars(kv_env, run):
            assert kv_env.TAGS == ["a"]
            kv_env.TAGS.append("changed by a test")
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)
