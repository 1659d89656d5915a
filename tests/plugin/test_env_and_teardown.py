"""kv_env from wrangler configs, seed files, strict teardown and the failure timeline,
tested from the outside with pytester."""

from __future__ import annotations

import pytest

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)


TOML = """
# [[kv_namespaces]] tables work too; this file uses the inline form.
name = "flags"
main = "src/entry.py"
compatibility_flags = ["python_workers"]
kv_namespaces = [
  { binding = "FLAGS", id = "06779da6940b431db6e566b4846d64db" },
  { binding = "SESSIONS", id = "1111" },
]

[vars]
API_URL = "https://api.example.com"

[env.staging]
kv_namespaces = [{ binding = "STAGING_FLAGS", id = "2222" }]
vars = { API_URL = "https://staging.example.com" }
"""

JSONC = """{
  // Python Worker config, with comments
  "name": "flags",
  "kv_namespaces": [
    { "binding": "FLAGS", "id": "a" },  /* trailing commas too */
    { "binding": "CACHE", "id": "b", "preview_id": "c" },
  ],
  "vars": { "MODE": "test", },
}
"""


def test_kv_env_from_wrangler_toml(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", wrangler=TOML)
    pytester.makepyfile(
        """
        import pytest
        from pytest_kv import KVEnv, KVNamespace

        class Default:
            def __init__(self, env):
                self.env = env

            async def fetch(self, flag):
                await self.env.FLAGS.put(flag, "on")
                return await self.env.FLAGS.get(flag)

        @pytest.mark.anyio
        async def test_handler(kv_env):
            assert await Default(kv_env).fetch("beta") == "on"
            assert kv_env["FLAGS"] is kv_env.FLAGS
            assert isinstance(kv_env.SESSIONS, KVNamespace) and kv_env.SESSIONS.name == "SESSIONS"
            assert kv_env.API_URL == "https://api.example.com"
            assert list(kv_env) == ["API_URL", "FLAGS", "SESSIONS"]
            assert set(kv_env.namespaces) == {"FLAGS", "SESSIONS"}
            assert isinstance(kv_env, KVEnv)
            # the config's ids are the namespaces' ids, for the REST API
            assert kv_env.FLAGS.id == "06779da6940b431db6e566b4846d64db"
            assert kv_env.SESSIONS.id == "1111"

        def test_unknown_binding(kv_env):
            with pytest.raises(AttributeError, match="no binding 'CACHE'; its bindings: API_URL"):
                kv_env.CACHE

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_kv_env_from_wrangler_jsonc_and_json(pytester: pytest.Pytester) -> None:
    pytester.makefile(".jsonc", wrangler=JSONC)
    pytester.makepyfile(
        """
        def test_jsonc(kv_env):
            assert sorted(kv_env.namespaces) == ["CACHE", "FLAGS"]
            assert kv_env.MODE == "test"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    (pytester.path / "wrangler.jsonc").unlink()
    pytester.makefile(".json", wrangler='{"kv_namespaces": [{"binding": "ONLY"}]}')
    pytester.makepyfile("def test_json(kv_env):\n    assert list(kv_env) == ['ONLY']\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_bindings_of_one_namespace_id_share_the_namespace(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".json",
        wrangler='{"kv_namespaces": [{"binding": "A", "id": "ab"}, {"binding": "B", "id": "ab"}]}',
    )
    pytester.makepyfile(
        """
        def test_shared(kv_env):
            kv_env.A.sync.put("k", "v")
            assert kv_env.B.sync.get("k") == "v"
            assert kv_env.B is kv_env.A
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_env_sections_and_config_path_from_ini(pytester: pytest.Pytester) -> None:
    (pytester.path / "worker").mkdir()
    (pytester.path / "worker" / "wrangler.toml").write_text(TOML)
    pytester.makeini(INI + "kv_wrangler_config = worker/wrangler.toml\nkv_wrangler_env = staging\n")
    pytester.makepyfile(
        """
        import pytest

        def test_staging(kv_env):
            assert list(kv_env.namespaces) == ["STAGING_FLAGS"]
            assert kv_env.API_URL == "https://staging.example.com"

        @pytest.mark.kv(wrangler_env="")
        def test_top_level(kv_env):
            assert list(kv_env.namespaces) == ["FLAGS", "SESSIONS"]

        @pytest.mark.kv(wrangler_env="prod")
        def test_unknown_env(kv_env):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*no environment 'prod' (kv_wrangler_env); its environments: staging*"]
    )


def test_marker_bindings_need_no_config(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kv(bindings=["CACHE", "SESSIONS"], consistency="eventual")
        def test_x(kv_env):
            assert list(kv_env) == ["CACHE", "SESSIONS"]
            assert kv_env.CACHE.consistency == "eventual"

        def test_no_config(kv_env):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*kv_env: no wrangler.json, wrangler.jsonc or wrangler.toml in*"])


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("wrangler.toml", "kv_namespaces = [", "is not valid TOML"),
        ("wrangler.jsonc", '{"kv_namespaces": [}', "is not valid JSONC"),
        (
            "wrangler.toml",
            "kv_namespaces = [{ id = 'x' }]",
            "kv_namespaces[[]0[]] has no binding name",
        ),
        ("wrangler.json", '{"kv_namespaces": {"binding": "X"}}', "kv_namespaces must be a list"),
    ],
)
def test_a_broken_config_names_the_file_and_the_problem(
    pytester: pytest.Pytester, name: str, content: str, problem: str
) -> None:
    (pytester.path / name).write_text(content)
    pytester.makepyfile("def test_x(kv_env):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*kv_env: *{name}*{problem}*"])


def test_seed_files_per_binding_shared_by_a_module(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".json",
        flags='[{"key": "flag:beta", "value": "on"}, {"key": "flag:dark", "value": "off"}]',
    )
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.kv(bindings=["FLAGS", "OTHER"], seed_files={"FLAGS": "flags.json"})

        def test_changes_the_seed(kv_env):
            assert kv_env.FLAGS.keys() == ["flag:beta", "flag:dark"]
            kv_env.FLAGS.sync.delete("flag:beta")
            kv_env.FLAGS.sync.put("flag:new", "on")
            assert kv_env.OTHER.keys() == []

        def test_starts_from_the_seed_again(kv_env):
            assert kv_env.FLAGS.keys() == ["flag:beta", "flag:dark"]

        @pytest.mark.kv(seed_files={"KV": ["flags.json"]})
        def test_kv_fixture(kv):
            assert kv.sync.get("flag:dark") == "off"

        @pytest.mark.kv(seed_files={"NOPE": "flags.json"})
        def test_unknown_binding(kv_env):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*seed_files names binding(s) 'NOPE'*"])


def test_strict_teardown_catches_swallowed_validation_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        app="""
        from pytest_kv import KVError

        def remember(kv, session):
            try:
                kv.sync.put(session, "v", expirationTtl=30)  # a bug: below the 60 s floor
            except KVError:
                pass  # ...and a second bug: the error is swallowed

        def reread(kv):
            try:
                kv.sync.get("k", cacheTtl=5)
            except KVError:
                raise RuntimeError("cache failed")
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from app import remember, reread
        from pytest_kv import KVError

        def test_swallowed(kv):
            remember(kv, "s:1")

        def test_raised_to_the_test(kv):
            with pytest.raises(KVError):
                kv.sync.put("", "v")

        def test_converted_by_the_app_and_caught_by_the_test(kv):
            with pytest.raises(RuntimeError):  # raised while handling the KV error
                reread(kv)

        @pytest.mark.kv(strict=False)
        def test_opted_out(kv):
            remember(kv, "s:1")

        def test_infrastructure_errors_are_not_validation(kv):
            kv.fail_next("put")
            remember(kv, "s:1")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_swallowed*",
            "*the code under test swallowed KV errors*",
            "*KV.put('s:1', {expirationTtl=30})",
            "*-> KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least*",
            "*@pytest.mark.kv(strict=False)*",
        ]
    )
    assert "test_converted_by_the_app" not in result.stdout.str()


def test_failure_report_has_a_kv_operations_timeline(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"], clock_start=1_000_000)
        def test_x(kv, kv_clock):
            kv.sync.put("cart:1", "3 items", expirationTtl=3600)
            kv_clock.advance(2)
            assert kv.at("syd").sync.get("cart:1") == "3 items"
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- KV operations: KV -*",
            "namespace 'KV': 2 calls, starting 1970-01-12T13:46:40+00:00 (t=0)",
            "  t+0.000     lhr  put             'cart:1' {expirationTtl=3600}  -> ok",
            "  t+2.000     syd  get             'cart:1'  -> miss [MISS]",
        ]
    )


def test_passing_tests_get_no_timeline(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(kv):\n    kv.sync.put('k', 'v')\n")
    result = pytester.runpytest("-rA")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*KV operations*")
