"""The pytest wiring: hooks, fixtures, options, clock drivers, the wrangler config,
seed files, strict teardown and reports. Registered through the ``pytest11`` entry
point as ``pytest_kv.plugin``; pytest finds the hooks and fixtures imported here.

The top layer: it may import every other layer, and none imports it.
"""

from __future__ import annotations

from .api import _kv_api_server, kv_api
from .fixtures import kv, kv_clock, kv_env, kv_factory
from .hooks import (
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_load_initial_conftests,
    pytest_runtest_makereport,
    pytest_runtest_setup,
    pytest_runtest_teardown,
    pytest_unconfigure,
)
from .worker import _kv_workers_env, kv_worker

__all__ = [
    "_kv_api_server",
    "_kv_workers_env",
    "kv",
    "kv_api",
    "kv_clock",
    "kv_env",
    "kv_factory",
    "kv_worker",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_load_initial_conftests",
    "pytest_runtest_makereport",
    "pytest_runtest_setup",
    "pytest_runtest_teardown",
    "pytest_unconfigure",
]
