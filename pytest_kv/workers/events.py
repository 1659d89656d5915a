"""What workerd hands a Worker besides requests: the cron ``ScheduledController`` and
the queue ``MessageBatch``, and what the test learns back from them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pytest_kv.js.jsdict import JsDict

from .jsconvert import as_js_value
from .jsvalues import JsProxy

__all__ = ["MessageBatch", "QueueResult", "ScheduledController", "ScheduledEvent"]


@dataclass
class ScheduledEvent:
    """What ``kv_worker.scheduled(...)`` returns: the event the Worker got, and
    whether it called ``controller.noRetry()``."""

    cron: str
    scheduled_time: float  # milliseconds since the epoch, as JavaScript gives it
    no_retry: bool = False


class ScheduledController(JsProxy):
    """The ``controller`` of ``scheduled(self, controller, env, ctx)`` (a raw JsProxy)."""

    js_type = "ScheduledController"

    def __init__(self, event: ScheduledEvent) -> None:
        self._event = event
        self.cron = event.cron
        self.scheduledTime = event.scheduled_time

    def noRetry(self) -> None:
        """Do not retry this event if the handler fails."""
        self._event.no_retry = True


@dataclass
class QueueResult:
    """What ``kv_worker.queue(...)`` returns: the ids of the messages the batch ended
    up acknowledging, and of those to retry (with their delay in seconds, or None).

    As in production, a handler that returns normally acknowledges every message it
    did not explicitly retry."""

    acked: list[str] = field(default_factory=list)
    retried: dict[str, int | None] = field(default_factory=dict)


class Message:
    """One queue message: ``id``, ``timestamp``, ``body``, ``attempts``, ``ack()``,
    ``retry(delaySeconds=...)``."""

    def __init__(self, batch: MessageBatch, id: str, body: Any, timestamp: datetime, attempts: int):
        self._batch = batch
        self.id = id
        self.body = body
        self.timestamp = timestamp
        self.attempts = attempts

    def ack(self) -> None:
        """Acknowledge this message."""
        self._batch._decide(self.id, "ack", None)

    def retry(self, delaySeconds: int | None = None, **options: Any) -> None:
        """Retry this message, after ``delaySeconds``."""
        self._batch._decide(self.id, "retry", delaySeconds)

    def __repr__(self) -> str:
        return f"<Message {self.id!r}>"


def _body(value: Any, wrapped: bool, null: Any) -> Any:
    # Wrapped (the vendored SDK): python_from_rpc makes objects JsDicts. Raw: JsProxies.
    if not wrapped:
        return as_js_value(value, null)
    if isinstance(value, dict):
        return JsDict((k, _body(v, True, null)) for k, v in value.items())
    if isinstance(value, list):
        return [_body(v, True, null) for v in value]
    return value


class MessageBatch:
    """The ``batch`` of ``queue(self, batch, env, ctx)``: ``queue``, ``messages``,
    ``ackAll()``, ``retryAll(delaySeconds=...)``."""

    def __init__(
        self, queue: str, bodies: Iterable[Any], now_ms: float, wrapped: bool, null: Any
    ) -> None:
        self.queue = queue
        self._decisions: dict[str, tuple[str, int | None]] = {}
        self._all: tuple[str, int | None] | None = None
        timestamp = datetime.fromtimestamp(now_ms / 1000)
        self.messages = [
            Message(self, f"msg-{index}", _body(body, wrapped, null), timestamp, 1)
            for index, body in enumerate(bodies)
        ]

    def ackAll(self) -> None:
        """Acknowledge every message."""
        self._all = self._all or ("ack", None)

    def retryAll(self, delaySeconds: int | None = None, **options: Any) -> None:
        """Retry every message."""
        self._all = self._all or ("retry", delaySeconds)

    def _decide(self, message_id: str, what: str, delay: int | None) -> None:
        self._decisions.setdefault(message_id, (what, delay))  # the first call counts

    def result(self) -> QueueResult:
        """The outcome once the handler returned normally."""
        outcome = QueueResult()
        for message in self.messages:
            what, delay = self._decisions.get(message.id) or self._all or ("ack", None)
            if what == "ack":
                outcome.acked.append(message.id)
            else:
                outcome.retried[message.id] = delay
        return outcome
