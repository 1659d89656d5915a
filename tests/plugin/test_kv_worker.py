"""kv_worker and the Workers SDK stand-ins, wired into pytest: tested from the outside
with pytester, as a project would use them."""

from __future__ import annotations

import textwrap

import pytest

INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
asyncio_mode = auto
"""

TOML = """
name = "demo"
main = "src/entry.py"
compatibility_date = "2025-11-02"
compatibility_flags = ["python_workers"]
kv_namespaces = [{ binding = "KV", id = "0f2ac74b498b48028cb68387c421e279" }]

[vars]
GREETING = "hello"
"""

ENTRY = """
from workers import Response, WorkerEntrypoint, env

HITS = []  # module-level state: one isolate's, so one test's


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        HITS.append(request.url)
        count = int(await self.env.KV.get("count") or 0) + 1
        await env.KV.put("count", str(count))          # the module-level env: this test's
        return Response.json({"count": count, "hits": len(HITS), "greeting": env.GREETING})
"""


def project(pytester: pytest.Pytester, entry: str = ENTRY, toml: str = TOML) -> None:
    pytester.makeini(INI)
    pytester.makefile(".toml", wrangler=textwrap.dedent(toml))
    (pytester.path / "src").mkdir(exist_ok=True)
    (pytester.path / "src" / "entry.py").write_text(textwrap.dedent(entry))


def test_each_test_imports_the_worker_afresh(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        """
        async def test_first(kv_worker, kv_env):
            await kv_worker.fetch("/a")
            response = await kv_worker.fetch("/b")
            assert await response.json() == {"count": 2, "hits": 2, "greeting": "hello"}
            assert kv_env.KV.sync.get("count") == "2"

        async def test_second(kv_worker, kv_env):
            # A fresh module (HITS is empty) and a fresh namespace, bound to this test.
            response = await kv_worker.fetch("/c")
            assert await response.json() == {"count": 1, "hits": 1, "greeting": "hello"}
            assert kv_env.KV.keys() == ["count"]
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_fetch_builds_requests_and_returns_the_workers_response(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        entry="""
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                body = await request.text()
                return Response(
                    f"{request.method} {request.url} {request.headers['x-user']} {body} "
                    f"{request.cf.colo}",
                    status=201,
                    headers={"x-seen": "yes"},
                )
        """,
    )
    pytester.makepyfile(
        """
        import pytest
        from workers import Response

        async def test_post(kv_worker):
            response = await kv_worker.fetch(
                "/items?x=1", method="POST", headers={"X-User": "ada"}, json={"a": 1}
            )
            assert isinstance(response, Response)
            assert response.status == 201 and response.status_text == "Created"
            assert response.ok and response.headers["X-Seen"] == "yes"
            assert await response.text() == (
                'POST http://localhost:8787/items?x=1 ada {"a": 1} LOCAL'
            )

        async def test_full_url_and_bad_requests(kv_worker):
            response = await kv_worker.fetch("https://example.com", headers=[("x-user", "b")])
            assert (await response.text()).startswith("GET https://example.com/ b")
            with pytest.raises(TypeError, match="GET or HEAD method cannot have a body"):
                await kv_worker.fetch("/", body="x")
            with pytest.raises(ValueError, match="body= or json=, not both"):
                await kv_worker.fetch("/", method="POST", body="x", json={})

        def test_sync(kv_worker):
            assert kv_worker.sync.fetch("/", headers={"x-user": "c"}).status == 201
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("toml", "entry", "message"),
    [
        (TOML.replace('main = "src/entry.py"', ""), ENTRY, "the wrangler config has no `main`"),
        (
            TOML.replace("src/entry.py", "src/missing.py"),
            ENTRY,
            "main = 'src/missing.py': there is no file",
        ),
        (TOML.replace("src/entry.py", "src/entry.js"), ENTRY, "needs to end with a .py"),
        (TOML, "x = 1\n", "there is no 'Default' class defined in the Python Worker's main"),
        (TOML, "class Default:\n    pass\n", "Default is not a subclass of workers.Worker"),
        (
            TOML,
            "from workers import WorkerEntrypoint\n__all__ = []\n"
            "class Default(WorkerEntrypoint):\n    pass\n",
            "class Default is not in the module's __all__",
        ),
        (TOML, "import missing_module\n", "No module named 'missing_module'"),
        (TOML, "async def on_fetch(request, env):\n    pass\n", "from 2025-08-14"),
        (
            TOML.replace("2025-11-02", "2026-05-01"),
            ENTRY,
            None,  # frozen SDK with the external-SDK date: covered below
        ),
    ],
    ids=[
        "no-main",
        "missing-file",
        "not-python",
        "no-default",
        "not-an-entrypoint",
        "not-exported",
        "import-error",
        "global-handler-too-new",
        "ok",
    ],
)
def test_a_worker_that_cannot_be_found_or_built_fails_at_setup(
    pytester: pytest.Pytester, toml: str, entry: str, message: str | None
) -> None:
    project(pytester, entry=entry, toml=toml)
    pytester.makepyfile("def test_it(kv_worker):\n    pass\n")
    result = pytester.runpytest()
    if message is None:
        result.assert_outcomes(passed=1)
        return
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*kv_worker:*{message}*"])
    assert "src" in result.stdout.str()  # names the file


def test_building_the_entrypoint_fails_with_the_class_named(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        entry="""
        from workers import WorkerEntrypoint

        class Default(WorkerEntrypoint):
            def __init__(self, env):  # workerd passes ctx and env
                super().__init__(None, env)

            async def fetch(self, request):
                pass
        """,
    )
    pytester.makepyfile(
        """
        import pytest

        async def test_it(kv_worker):
            with pytest.raises(Exception, match=r"building the entrypoint as Default\\(ctx"):
                await kv_worker.fetch("/")
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_old_style_modules_work_with_their_compatibility_date(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        toml=TOML.replace("2025-11-02", "2024-03-29"),
        entry="""
        from js import Response
        from workers import handler, Response as PyResponse

        async def on_fetch(request, env):
            # No @handler: raw JavaScript objects, as workerd hands them over.
            if request.url.endswith("/wrapped"):
                return await wrapped(request, env)
            page = await env.KV.list()
            names = [key.name for key in page.keys]        # works on a raw JsProxy
            missing = await env.KV.get("missing")
            return Response.new(f"{request.method} {names} {missing!r}")

        @handler
        async def wrapped(request, env):
            page = await env.KV.list()
            return PyResponse(f"{request.method.value} {[k['name'] for k in page['keys']]}")
        """,
    )
    pytester.makepyfile(
        """
        async def test_raw(kv_worker, kv_env):
            kv_env.KV.seed({"a": "1", "b": "2"})
            response = await kv_worker.fetch("/")
            # Pyodide 0.26 (before 2025-09-29) turns JavaScript null into None.
            assert await response.text() == "GET ['a', 'b'] None"

        async def test_handler_wraps(kv_worker, kv_env):
            kv_env.KV.seed({"a": "1"})
            assert await (await kv_worker.fetch("/wrapped")).text() == "GET ['a']"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_legacy_dates_call_on_fetch_on_the_class(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        toml=TOML.replace("2025-11-02", "2025-03-01"),
        entry="""
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response("fetch")
        """,
    )
    pytester.makepyfile(
        """
        import pytest

        async def test_it(kv_worker):
            with pytest.raises(TypeError, match="Method on_fetch does not exist; .* 2025-08-14"):
                await kv_worker.fetch("/")

        @pytest.mark.kv(compatibility_flags=["python_workers", "python_no_global_handlers"])
        async def test_flag(kv_worker):
            assert await (await kv_worker.fetch("/")).text() == "fetch"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


WAIT_UNTIL = """
import workers
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        self.ctx.waitUntil(self.record(request.url))
        workers.wait_until(self.count())
        if request.url.endswith("/fail"):
            self.ctx.waitUntil(self.explode())
        return Response("ok")

    async def record(self, url):
        await self.env.KV.put("last", url)

    async def count(self):
        await self.env.KV.put("counted", "yes")

    async def explode(self):
        raise KeyError("boom")
"""


def test_wait_until_tasks_finish_before_fetch_returns(pytester: pytest.Pytester) -> None:
    project(pytester, entry=WAIT_UNTIL)
    pytester.makepyfile(
        """
        import pytest
        from pytest_kv import WaitUntilError

        async def test_done(kv_worker, kv_env):
            assert (await kv_worker.fetch("/page")).ok
            assert kv_env.KV.keys() == ["counted", "last"]

        async def test_failure_names_the_task(kv_worker, kv_env):
            with pytest.raises(WaitUntilError) as info:
                await kv_worker.fetch("/fail")
            assert "Default.explode of Default.fetch raised KeyError: 'boom'" in str(info.value)
            assert isinstance(info.value.__cause__, KeyError)
            assert kv_env.KV.keys() == ["counted", "last"]   # the other tasks still ran

        async def test_unhandled_failure_fails_the_test(kv_worker):
            await kv_worker.fetch("/fail")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*WaitUntilError: the ctx.waitUntil() task Default.explode*"])


def test_other_locations_and_extra_bindings(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        entry="""
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                if request.method == "PUT":
                    await self.env.KV.put("flag", await request.text())
                    return Response("stored")
                return Response(f"{await self.env.KV.get('flag')} {request.cf.colo}")
        """,
    )
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.kv(consistency="eventual", locations=["lhr", "syd"])

        async def test_hop(kv_worker, kv_env):
            await kv_worker.fetch("/", method="PUT", body="on")
            sydney = kv_worker.at("syd")
            assert sydney is kv_worker.at("syd")
            assert await (await sydney.fetch("/")).text() == "None SYD"
            assert await (await kv_worker.at("syd").fetch("/")).text() == "None SYD"  # cached miss
            kv_env.KV.settle()
            assert await (await sydney.fetch("/")).text() == "on SYD"
            assert await (await kv_worker.fetch("/")).text() == "on LHR"

        def test_unknown_location(kv_worker):
            with pytest.raises(ValueError, match="unknown location 'nrt'"):
                kv_worker.at("nrt")
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_bind_adds_secrets_and_fakes(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        entry="""
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(f"{self.env.API_TOKEN} {self.env.GREETING}")
        """,
    )
    pytester.makepyfile(
        """
        import pytest

        async def test_secret(kv_worker):
            with pytest.raises(AttributeError, match=r"no binding 'API_TOKEN'.*kv_worker.bind"):
                await kv_worker.fetch("/")
            worker = kv_worker.bind(API_TOKEN="t0ken")
            assert await (await worker.fetch("/")).text() == "t0ken hello"
            assert worker.env.API_TOKEN == "t0ken" and worker.env.KV is kv_worker.env.KV
            assert await (await worker.bind(GREETING="hi").fetch("/")).text() == "t0ken hi"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_scheduled_and_queue_where_the_class_defines_them(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        entry="""
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self):          # relaxed: workerd drops the arguments
                return Response("up")

            async def scheduled(self, controller, env, ctx):
                # The positional env holds raw bindings: for-in over .keys works.
                page = await env.KV.list()
                await self.env.KV.put("cron", f"{controller.cron} {[k.name for k in page.keys]}")
                controller.noRetry()

            async def queue(self, batch, env, ctx):
                for message in batch.messages:
                    if message.body["retry"]:
                        message.retry(delaySeconds=30)
                    await self.env.KV.put(message.id, batch.queue)
        """,
    )
    pytester.makepyfile(
        """
        async def test_cron(kv_worker, kv_env):
            kv_env.KV.seed({"a": "1"})
            event = await kv_worker.scheduled("0 * * * *")
            assert event.no_retry and event.cron == "0 * * * *"
            assert kv_env.KV.peek("cron").text == "0 * * * * ['a']"
            assert (await kv_worker.fetch()).ok

        async def test_queue(kv_worker, kv_env):
            result = await kv_worker.queue([{"retry": False}, {"retry": True}], queue="jobs")
            assert result.acked == ["msg-0"] and result.retried == {"msg-1": 30}
            assert kv_env.KV.peek("msg-0").text == "jobs"

        def test_sync(kv_worker):
            assert kv_worker.sync.queue([]).acked == []
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_missing_handlers_are_clear_errors(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        """
        import pytest

        async def test_it(kv_worker):
            with pytest.raises(TypeError, match="Method scheduled does not exist"):
                await kv_worker.scheduled()
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_conftest_can_import_the_worker(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makeini(INI + "pythonpath = src\n")
    pytester.makeconftest(
        """
        import entry   # imports workers at collection time, before any test
        from workers import WorkerEntrypoint

        assert issubclass(entry.Default, WorkerEntrypoint)
        """
    )
    pytester.makepyfile(
        """
        from entry import Default

        async def test_it(kv_worker):
            assert kv_worker.entrypoint.cls is not Default   # imported afresh for the test
            assert (await kv_worker.fetch("/")).ok

        def test_the_projects_pythonpath_is_left_alone():
            import sys
            import entry

            assert any(path.endswith("src") for path in sys.path)
            assert entry.Default
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_module_level_env_outside_kv_worker_is_the_tests_kv_env(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makeini(INI + "pythonpath = src\n")
    pytester.makepyfile(
        """
        import pytest
        from entry import Default
        from workers import env

        async def test_by_hand(kv_env):
            assert Default(None, kv_env).env.KV.name == "KV"    # self.env wraps kv_env
            await env.KV.put("count", "41")
            assert kv_env.KV.sync.get("count") == "41"
            assert env.GREETING == "hello"
            with pytest.raises(TypeError, match="not subscriptable"):
                env["KV"]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_stand_ins_are_left_out_when_a_working_workers_module_exists(
    pytester: pytest.Pytester,
) -> None:
    project(pytester)
    pytester.makeini(INI + "pythonpath = fakes\n")
    (pytester.path / "fakes").mkdir()
    (pytester.path / "fakes" / "workers.py").write_text("MINE = True\n")
    pytester.makepyfile(
        """
        import sys
        import workers

        def test_it():
            assert workers.MINE
            assert "js" not in sys.modules
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_stand_ins_shadow_an_sdk_that_cannot_import(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makeini(INI + "pythonpath = site\n")
    sdk = pytester.path / "site" / "workers"
    sdk.mkdir(parents=True)
    # What workers-runtime-sdk does under CPython: its first import needs `js`.
    (sdk / "__init__.py").write_text("from .blob import Blob\n")
    (sdk / "blob.py").write_text("import js\nimport _pyodide_entrypoint_helper\nBlob = 1\n")
    (pytester.path / "site" / "asgi.py").write_text("raise ImportError('the real asgi')\n")
    pytester.makepyfile(
        """
        import asgi
        import workers

        def test_it():
            assert workers.Headers == "dict[str, str] | list[tuple[str, str]] | js.Headers"
            assert asgi is workers.asgi

        async def test_worker(kv_worker):
            assert (await kv_worker.fetch("/")).ok
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_an_ini_option_turns_the_stand_ins_off(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makeini(INI + "kv_workers_stand_ins = false\n")
    pytester.makepyfile(
        """
        import pytest

        def test_it():
            import sys
            assert "js" not in sys.modules and "pyodide" not in sys.modules
            assert not hasattr(sys.modules.get("workers"), "__pytest_kv_stand_in__")

        def test_kv_worker_says_why(kv_worker):
            pass

        @pytest.mark.kv(workers_stand_ins=True)
        def test_not_a_marker_option(kv_worker):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*kv_worker: importing the Worker's main module*src*entry.py' failed*",
            "*workers_stand_ins is an ini option only*",
        ]
    )


def test_a_bad_ini_value_for_the_stand_ins_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "kv_workers_stand_ins = maybe\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*kv_workers_stand_ins = 'maybe': expected true or false*"])


def test_the_sdk_and_the_compatibility_date_from_options(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        entry="""
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                missing = await self.env.KV.get("missing")
                page = await self.env.KV.list()
                try:
                    keys = [key.name for key in page.keys]
                except TypeError as error:
                    keys = str(error)
                return Response(f"{missing!r} {keys}")
        """,
    )
    pytester.makepyfile(
        """
        import pytest

        async def test_vendored(kv_worker, kv_env):
            kv_env.KV.seed({"a": "1"})
            text = await (await kv_worker.fetch("/")).text()
            assert text == "None 'builtin_function_or_method' object is not iterable"

        @pytest.mark.kv(workers_sdk="frozen")
        async def test_frozen(kv_worker, kv_env):
            kv_env.KV.seed({"a": "1"})
            assert await (await kv_worker.fetch("/")).text() == "jsnull ['a']"

        @pytest.mark.kv(workers_sdk="frozen", compatibility_date="2025-09-01")
        async def test_frozen_old_pyodide(kv_worker, kv_env):
            kv_env.KV.seed({"a": "1"})
            assert await (await kv_worker.fetch("/")).text() == "None ['a']"

        @pytest.mark.kv(workers_sdk="frozen", compatibility_date="2026-05-01")
        def test_frozen_is_gone(kv_worker):
            pass

        @pytest.mark.kv(workers_sdk="bundled")
        def test_typo(kv_worker):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*kv_worker: workers_sdk='frozen' cannot run with compatibility_date 2026-05-01*",
            "*kv_worker: workers_sdk must be 'vendored' or 'frozen', got 'bundled'*",
        ]
    )


def test_kv_worker_needs_asyncio(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "trio"

        @pytest.mark.anyio
        async def test_trio(kv_worker):
            with pytest.raises(RuntimeError, match="runs the Worker on asyncio"):
                await kv_worker.fetch("/")
        """
    )
    result = pytester.runpytest("-p", "no:asyncio")
    result.assert_outcomes(passed=1)


def test_the_config_next_to_the_tests_is_found_from_the_rootdir(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    worker = pytester.path / "services" / "api"
    (worker / "src").mkdir(parents=True)
    (worker / "tests").mkdir()
    (worker / "wrangler.toml").write_text(textwrap.dedent(TOML))
    (worker / "src" / "entry.py").write_text(textwrap.dedent(ENTRY))
    (worker / "tests" / "test_api.py").write_text(
        "async def test_it(kv_worker, kv_env):\n"
        "    assert (await kv_worker.fetch('/')).ok\n"
        "    assert kv_env.GREETING == 'hello'\n"
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_strict_teardown_sees_errors_the_worker_swallowed(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        entry="""
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                try:
                    await self.env.KV.put("s", "v", expirationTtl=30)
                except Exception:
                    pass
                return Response("ok")
        """,
    )
    pytester.makepyfile(
        """
        async def test_it(kv_worker):
            assert (await kv_worker.fetch("/")).ok
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*KV.put('s', {expirationTtl=30})*"])


def test_a_worker_imported_under_kv_clock_sees_the_frozen_time(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        entry="""
        import time
        from datetime import date, datetime, timezone

        from workers import Response, WorkerEntrypoint

        from dates import Day  # subclasses date at import time, as pydantic does


        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(f"{time.time()} {datetime.now(timezone.utc).timestamp()} {Day.x}")
        """,
    )
    (pytester.path / "src" / "dates.py").write_text(
        "from datetime import date\n\nclass Day(date):\n    x = 'day'\n"
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kv(clock_start="2030-01-01T00:00:00+00:00")
        async def test_it(kv_clock, kv_worker):
            kv_clock.advance(60)
            text = await (await kv_worker.fetch("/")).text()
            assert text == f"{kv_clock.now()} {kv_clock.now()} day"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_folder_called_workers_is_not_a_workers_module(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makeini(INI + "pythonpath = tests\n")
    (pytester.path / "tests" / "workers").mkdir(parents=True)  # no __init__.py
    (pytester.path / "tests" / "workers" / "test_in_folder.py").write_text(
        "from workers import WorkerEntrypoint\n\n"
        "async def test_it(kv_worker):\n"
        "    assert issubclass(kv_worker.entrypoint.cls, WorkerEntrypoint)\n"
    )
    pytester.runpytest("tests").assert_outcomes(passed=1)


def test_stand_ins_when_the_plugin_comes_from_pytest_plugins(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makeconftest('pytest_plugins = ["pytest_kv.plugin"]\n')
    pytester.makepyfile(
        """
        import workers

        async def test_it(kv_worker):
            assert workers.WorkerEntrypoint
            assert (await kv_worker.fetch("/")).ok
        """
    )
    pytester.runpytest_subprocess("-p", "no:kv").assert_outcomes(passed=1)
