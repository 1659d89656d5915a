"""Strict teardown: a KV validation error that the code under test swallowed fails
the test, since production fails the same call (in the manner of pytest-httpx)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.kv.calllog import KVCall

from .reports import describe_options, shown
from .wrapped import Wrappers, chain

# The test files of each test module, by plugin manager, worked out once: walking
# every plugin per test was most of what strict mode cost a passing test. Emptied
# whenever a plugin (a conftest) registers with any manager, since the conftests
# are then different (and a finished pytester run's manager id may be reused).
_TEST_FILES: dict[tuple[int, str], set[str]] = {}


def test_files(request: pytest.FixtureRequest) -> set[str]:
    """The files whose frames count as the test's own code: the module and conftests.

    The set is shared by the tests of a module: read it, never change it.
    """
    manager = request.config.pluginmanager
    module = str(request.node.path)
    key = (id(manager), module)
    files = _TEST_FILES.get(key)
    if files is None:
        files = {module}
        files.update(
            str(Path(getattr(plugin, "__file__", "")))
            for plugin in manager.get_plugins()
            if str(getattr(plugin, "__file__", "")).endswith("conftest.py")
        )
        _TEST_FILES[key] = files
    return files


def forget_test_files() -> None:
    """A plugin was registered: work the test files out again."""
    _TEST_FILES.clear()


def _through(error: BaseException, test_files: set[str]) -> bool:
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename in test_files:
            return True
        traceback = traceback.tb_next
    return False


def reached_the_test(
    call: KVCall,
    test_files: set[str],
    wrappers: Wrappers | None = None,
    failure: BaseException | None = None,
) -> bool:
    """Whether the error of ``call`` propagated into the test's own code: itself, or
    inside an exception the app raised from it (``raise AppError() from error``)."""
    error = call.error
    if error is None:
        return False
    # A REST answer is ``handled`` when the test's own code sent its request, or when
    # it was served over the loopback server, where the plugin cannot see the client.
    if getattr(error, "handled", False) or _through(error, test_files):
        return True
    if failure is not None and any(link is error for link in chain(failure)):
        return True
    carriers = [] if wrappers is None else wrappers.carriers(error)
    return any(_through(carrier, test_files) for carrier in carriers)


def swallowed_report(swallowed: list[tuple[KVNamespace, KVCall]]) -> str:
    lines = [
        "pytest-kv: the code under test swallowed KV errors that mean its request was "
        "wrong; production fails these calls too:"
    ]
    for namespace, call in swallowed:
        key = "" if call.key is None else shown(call.key)
        options = describe_options(call.options)
        where = f" at {call.location}" if len(namespace.locations) > 1 else ""
        lines.append(
            f"  {namespace.name}.{call.method}({key}{', ' if options else ''}{options}){where}"
        )
        lines.append(f"    -> {call.outcome}")
    lines.append(
        "Fix the call. If swallowing the error is deliberate, turn this check off with "
        "@pytest.mark.kv(strict=False) (or kv_strict = false in the ini file)."
    )
    return "\n".join(lines)


# The exception the test itself ended with, if it failed (set by the report hook).
TEST_ERROR = pytest.StashKey[BaseException]()


def check(
    request: pytest.FixtureRequest, namespaces: list[KVNamespace], wrappers: Wrappers
) -> None:
    """Fail the test if its code swallowed a validation error of one of ``namespaces``."""
    __tracebackhide__ = True
    if not any(namespace._shared.failures for namespace in namespaces):
        return  # the common case: no call failed, so nothing can have been swallowed
    files = test_files(request)
    failure = request.node.stash.get(TEST_ERROR, None)
    swallowed = [
        (namespace, call)
        for namespace in namespaces
        for call in namespace._shared.swallowable()
        if not reached_the_test(call, files, wrappers, failure)
    ]
    if swallowed:
        pytest.fail(swallowed_report(swallowed), pytrace=False)


def swallowed_rest_report(calls: list[KVCall]) -> str:
    """The report for REST calls that touched no namespace (a malformed create, say)."""
    lines = [
        "pytest-kv: the code under test swallowed REST API errors that mean its request "
        "was wrong; production fails these calls too:"
    ]
    for call in calls:
        options = describe_options(call.options)
        lines.append(f"  kv_api {call.method}({options})")
        lines.append(f"    -> {call.outcome}")
    lines.append(
        "Fix the request. If swallowing the error is deliberate, turn this check off with "
        "@pytest.mark.kv(strict=False) (or kv_strict = false in the ini file)."
    )
    return "\n".join(lines)
