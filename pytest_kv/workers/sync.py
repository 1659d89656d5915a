"""``kv_worker.sync``: the Worker's calls for synchronous tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .events import QueueResult, ScheduledEvent
    from .response import Response
    from .worker import KVWorker

__all__ = ["SyncKVWorker"]


class SyncKVWorker:
    """``kv_worker.sync``: the same calls for synchronous tests, each run to the end
    on the worker's own event loop.

    Example: ``assert kv_worker.sync.fetch("/").status == 200``.
    """

    def __init__(self, worker: KVWorker) -> None:
        self._worker = worker

    def _run(self, coroutine: Any) -> Any:
        __tracebackhide__ = True
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._worker._event_loop().run_until_complete(coroutine)
        coroutine.close()
        raise RuntimeError(
            "kv_worker.sync was called while an event loop runs in this thread (an async "
            "test): await kv_worker.fetch(...) instead"
        )

    def fetch(self, path_or_url: str = "/", **options: Any) -> Response:
        """Blocking ``fetch``."""
        __tracebackhide__ = True
        return self._run(self._worker.fetch(path_or_url, **options))  # type: ignore[no-any-return]

    def scheduled(self, cron: str = "* * * * *", **options: Any) -> ScheduledEvent:
        """Blocking ``scheduled``."""
        __tracebackhide__ = True
        return self._run(self._worker.scheduled(cron, **options))  # type: ignore[no-any-return]

    def queue(self, messages: Iterable[Any], **options: Any) -> QueueResult:
        """Blocking ``queue``."""
        __tracebackhide__ = True
        return self._run(self._worker.queue(messages, **options))  # type: ignore[no-any-return]
