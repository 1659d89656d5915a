"""The ``kv_worker`` fixture: the project's Worker, imported fresh for each test and
served with ``kv_env``'s fake bindings."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_kv.binding.env import KVEnv
from pytest_kv.workers import context
from pytest_kv.workers.compat import runtime_of
from pytest_kv.workers.loader import WorkerLoadError, main_path
from pytest_kv.workers.worker import KVWorker

from .options import test_options
from .wrangler import project_config


def _reason(error: BaseException) -> str:
    """The error, with the traceback of what failed inside the Worker's own code."""
    message = str(error)
    cause = error.__cause__
    if cause is None:
        return message
    frames = [
        frame
        for frame in traceback.extract_tb(cause.__traceback__)
        if "importlib" not in frame.filename and "pytest_kv" not in frame.filename
    ]
    if not frames:
        return message
    lines = traceback.format_list(frames) + traceback.format_exception_only(cause)
    return f"{message}\n{''.join(lines).rstrip()}"


@pytest.fixture
def kv_worker(request: pytest.FixtureRequest, kv_env: KVEnv) -> Iterator[KVWorker]:
    """The Worker of the wrangler config's ``main``, with ``kv_env``'s bindings.

    ``await kv_worker.fetch("/path")`` returns the Worker's ``Response``;
    ``kv_worker.at("syd")`` serves it from another location; ``kv_worker.sync``
    has the same calls for sync tests. See ``KVWorker``.
    """
    __tracebackhide__ = True
    options = test_options(request)
    for marker in request.node.iter_markers("kv"):
        if "workers_stand_ins" in marker.kwargs:
            pytest.fail(
                "workers_stand_ins is an ini option only (kv_workers_stand_ins = false): "
                "the stand-ins are installed once, before any conftest.py is imported",
                pytrace=False,
            )
    config, problem = project_config(
        Path(request.config.rootpath),
        options.get("wrangler_config"),
        options.get("wrangler_env"),
        Path(request.node.path).parent,
    )
    if config is None:
        pytest.fail(f"kv_worker: {problem}", pytrace=False)
    flags = options.get("compatibility_flags")
    try:
        runtime = runtime_of(
            options.get("compatibility_date") or config.compatibility_date,
            config.compatibility_flags if flags is None else flags,
            options.get("workers_sdk"),
        )
        worker = KVWorker(main_path(config.path, config.main), runtime, kv_env)
    except (ValueError, WorkerLoadError) as error:
        pytest.fail(f"kv_worker: {error}", pytrace=False)
    try:
        worker.entrypoint  # noqa: B018 - import now, so a broken Worker fails at setup
    except WorkerLoadError as error:
        worker.close()
        pytest.fail(f"kv_worker: {_reason(error)}", pytrace=False)
    try:
        yield worker
    finally:
        worker.close()
        context.activate(None)


@pytest.fixture(autouse=True)
def _kv_workers_env(request: pytest.FixtureRequest) -> Iterator[None]:
    """Lets ``from workers import env`` reach the test's ``kv_env`` outside ``kv_worker``
    (made only if Worker code asks for it)."""

    def test_env() -> Any:
        return request.getfixturevalue("kv_env")

    context.set_test_env(test_env)
    try:
        yield
    finally:
        context.set_test_env(None)
