from __future__ import annotations

import pytest
from testing_support import ManualClock, MovableClock, Snapshot, snapshot

from pytest_kv import KVNamespace


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs under asyncio and under trio."""
    return str(request.param)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ns(clock: ManualClock) -> KVNamespace:
    """A namespace on a hand-set clock at t=1000 s, like Miniflare's own tests."""
    return KVNamespace("NS", clock=clock)


@pytest.fixture
def state() -> Snapshot:
    return snapshot


@pytest.fixture
def edge_clock() -> MovableClock:
    return MovableClock()
