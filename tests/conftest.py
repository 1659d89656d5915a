from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_kv import KVNamespace


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs under asyncio and under trio."""
    return str(request.param)


class ManualClock:
    """A clock the test sets by hand, injected with ``KVNamespace(clock=...)``."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ns(clock: ManualClock) -> KVNamespace:
    """A namespace on a hand-set clock at t=1000 s, like Miniflare's own tests."""
    return KVNamespace("NS", clock=clock)


def snapshot(namespace: KVNamespace) -> list[tuple[str, object]]:
    """Everything the god view sees, to prove a rejected call changed nothing."""
    return [(key, namespace.peek(key)) for key in namespace.keys()]


Snapshot = Callable[[KVNamespace], list[tuple[str, object]]]


@pytest.fixture
def state() -> Snapshot:
    return snapshot


class MovableClock:
    """A hand-set clock that settle() and assert_eventually can move."""

    def __init__(self, now: float = 1_000.0) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        self._now += seconds
        return self._now


@pytest.fixture
def edge_clock() -> MovableClock:
    return MovableClock()
