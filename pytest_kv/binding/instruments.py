"""What every namespace offers the test besides the binding: the god view (seed,
peek, keys), page shapes, settling and planting for eventual consistency, history,
the call log and failures on purpose."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pytest_kv.errors import shown
from pytest_kv.kv import godview
from pytest_kv.kv.bulk import load_bulk_file
from pytest_kv.kv.calllog import KVCall, matches
from pytest_kv.kv.faults import Faults, Rule, invocation
from pytest_kv.kv.godview import KVEntry
from pytest_kv.kv.history import KVEvent
from pytest_kv.kv.listing import PageShape
from pytest_kv.kv.namespace import Namespace
from pytest_kv.kv.store import Entry


class Instruments:
    """The test-side methods of ``KVNamespace`` (see its docstring for the binding)."""

    __slots__ = ()

    _shared: Namespace
    _now: Callable[[], float]
    location: str

    @contextmanager
    def page_shape(
        self, page_size: int | None = None, empty_pages: Iterable[str] = ()
    ) -> Iterator[PageShape | None]:
        """Give ``list()`` production-legal shapes while the block runs: at most
        ``page_size`` keys a page, and empty pages with ``list_complete: false`` at the
        ``"start"``, in the ``"middle"``, at the ``"end"`` or between ``"every"`` page.
        Code that follows the cursor until ``list_complete`` still gets every key.

        Example::

            with kv.page_shape(page_size=1, empty_pages=["start"]):
                assert await list_users(kv) == ["ada", "bob"]
        """
        with self._shared.shaped(PageShape.of(page_size, empty_pages)) as shape:
            yield shape

    def seed(
        self,
        data: Mapping[str, Any] | Iterable[Mapping[str, Any]],
        *,
        expiration: float | None = None,
        expirationTtl: float | None = None,
        metadata: Any = None,
    ) -> None:
        """Write keys directly, visible everywhere at once, bypassing the 60-second floor.

        ``data`` is a mapping of key to value (``str``, ``bytes``, or anything JSON),
        or wrangler bulk-put entries (``key``, ``value``, ``base64``, ``expiration``,
        ``expiration_ttl``, ``metadata``). A TTL of 0 or less seeds an expired key.
        Nothing is written if any item is invalid.

        Example: ``kv.seed({"flag:beta": "on"}, expirationTtl=5)``.
        """
        shared, now = self._shared, self._now()
        entries = godview.prepare(now, data, expiration, expirationTtl, metadata)
        with shared.store.lock:
            for key, entry in entries:
                shared.store.put(key, entry)
                if shared.edge is not None:
                    shared.edge.seed(key, entry, now)

    def peek(self, key: str) -> KVEntry | None:
        """The live entry for ``key`` (the truth, not a location's view), or ``None``."""
        return godview.peek(self._shared.store, key, self._now())

    def keys(self, prefix: str | None = None) -> builtins.list[str]:
        """Every live key (under ``prefix``), in production's list order: the truth."""
        return godview.keys(self._shared.store, prefix, self._now())

    # -- eventual consistency ------------------------------------------------------

    def settle(self) -> float:
        """Advance the clock until every location, and every ``list()``, agrees with
        the truth; return how many seconds that took (0 when they already agree).

        Example::

            await kv.put("flag", "on")
            kv.settle()
            assert await kv.at("syd").get("flag") == "on"
        """
        edge = self._shared.edge
        if edge is None:
            return 0.0
        start = now = self._now()
        for _ in range(3):  # a clock that keeps microseconds may land just short
            with self._shared.store.lock:
                target = edge.settle_time(now)
            if target <= now:
                break
            self._shared.advance(max(target - now, 1e-6))
            now = self._now()
        with self._shared.store.lock:
            edge.tick(now)  # let go of what has settled
        return now - start

    def plant_stale(
        self,
        key: str,
        value: Any,
        *,
        seconds: float = 60,
        metadata: Any = None,
        expiration: int | None = None,
    ) -> None:
        """Make this location serve ``value`` for ``key`` for ``seconds``, whatever
        the truth, as a stale cached copy would.

        Example: ``kv.at("syd").plant_stale("config", '{"v": 1}', seconds=30)``.
        """
        encoded, entry = godview.planted(key, value, metadata, expiration)
        self._plant(encoded, key, entry, seconds)

    def plant_miss(self, key: str, *, seconds: float = 60) -> None:
        """Make this location answer "no such key" for ``key`` for ``seconds``, as a
        cached miss (a negative lookup) would.

        Example: ``kv.at("lhr").plant_miss("user:1", seconds=60)``.
        """
        encoded, _ = godview.planted(key, "", None, None)
        self._plant(encoded, key, None, seconds)

    def _plant(self, encoded: bytes, name: str, entry: Entry | None, seconds: object) -> None:
        edge = self._shared.edge
        if edge is None:
            raise RuntimeError(
                "planting stale reads needs consistency='eventual': a strongly "
                "consistent namespace has no read caches"
            )
        lasting = godview.plant_seconds(seconds)
        now = self._now()  # a user's clock is user code: never under the lock
        with self._shared.store.lock:
            edge.plant(encoded, entry, self.location, now, lasting)

    def history(self, key: str) -> builtins.list[KVEvent]:
        """What happened to ``key`` at every location: writes, reads (with cache
        ``HIT``/``MISS``), seeds and planted values, oldest first. Eventual mode only.
        """
        encoded = godview.god_key(key)
        edge = self._shared.edge
        if edge is None:
            return []
        with self._shared.store.lock:
            return edge.events.of(encoded)

    # -- the call log ---------------------------------------------------------------

    @property
    def calls(self) -> builtins.list[KVCall]:
        """Every binding call this namespace served, at every location, oldest first."""
        return self._shared.calls()

    def get_calls(
        self, method: str | None = None, key: str | None = None, location: str | None = None
    ) -> builtins.list[KVCall]:
        """The calls of one method, on one key (a glob pattern) and at one location.

        Example: ``assert len(kv.get_calls(method="put", key="session:*")) == 1``.
        """
        for what, value in (("method", method), ("key", key), ("location", location)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"get_calls(): {what} must be a str or None, got {shown(value)}")
        return [call for call in self._shared.calls() if matches(call, method, key, location)]

    # -- failures on purpose ---------------------------------------------------------

    def fail_next(
        self, method: str, error: BaseException | None = None, *, status: int = 500
    ) -> None:
        """Make the next ``method`` call fail, by default with production's message for
        ``status`` (``KV GET failed: 500 Internal Server Error``).

        Example: ``kv.fail_next("put", status=503)``.
        """
        self.fail(method, times=1, error=error, status=status)

    def fail(
        self,
        method: str,
        *,
        key: str | None = None,
        times: int = 1,
        error: BaseException | None = None,
        status: int = 500,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (on keys matching the glob
        ``key``; for ``list``, the prefix) fail with ``error`` or production's message.

        Example: ``kv.fail("get", key="user:*", times=3)``.
        """
        rule = Rule.make(method, key, times, error, status)
        shared = self._shared
        with shared.store.lock:  # two threads' first rules must not make two Faults
            if shared.faults is None:
                shared.faults = Faults()
            faults = shared.faults
        faults.add(rule)

    @staticmethod
    def invocation(limit: int = 1000) -> Any:
        """A block that counts KV operations as one Worker invocation: the
        ``limit + 1``-th fails with production's message. Shared by every namespace.

        Example::

            with kv.invocation():
                await handler.fetch(request)   # at most 1,000 KV operations
        """
        return invocation(limit)

    def seed_file(self, path: str | os.PathLike[str]) -> int:
        """Seed from a wrangler bulk-put JSON file (``wrangler kv bulk put``'s format);
        returns how many keys it wrote. A malformed entry is reported with its index.

        Example: ``kv.seed_file("tests/data/flags.json")``.
        """
        entries = load_bulk_file(path)
        self.seed(entries)
        return len(entries)


def god_key(key: object) -> bytes:
    """The stored bytes of a key a test helper names (a ``str``)."""
    return godview.god_key(key)
