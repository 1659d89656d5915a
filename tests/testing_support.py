"""Helpers the test modules share (imported by name, so they live outside conftest)."""

from __future__ import annotations

from collections.abc import Callable

from pytest_kv import KVNamespace


class ManualClock:
    """A clock the test sets by hand, injected with ``KVNamespace(clock=...)``."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MovableClock:
    """A hand-set clock that settle() and assert_eventually can move."""

    def __init__(self, now: float = 1_000.0) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        self._now += seconds
        return self._now


def snapshot(namespace: KVNamespace) -> list[tuple[str, object]]:
    """Everything the god view sees, to prove a rejected call changed nothing."""
    return [(key, namespace.peek(key)) for key in namespace.keys()]


Snapshot = Callable[[KVNamespace], list[tuple[str, object]]]
