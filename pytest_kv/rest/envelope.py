"""Answers: the v4 envelope (``success``, ``errors``, ``messages``, ``result``,
``result_info``) and raw value bodies, as one ``Answer`` every transport sends."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .codes import KVApiError

JSON_TYPE = "application/json"
OCTET_STREAM = "application/octet-stream"


@dataclass(slots=True)
class Answer:
    """One HTTP response: status, headers (in order) and body bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # The error this answer carries, for the call log and strict teardown.
    error: KVApiError | None = None

    def json(self) -> Any:
        """The body parsed as JSON (for tests and ``KVApi.request``)."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def _dump(document: dict[str, Any]) -> bytes:
    # Compact, as Cloudflare's API writes it; non-ASCII stays as it is.
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def success(result: Any, result_info: dict[str, Any] | None = None) -> Answer:
    document: dict[str, Any] = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        document["result_info"] = result_info
    return Answer(200, {"content-type": JSON_TYPE}, _dump(document))


def failure(error: KVApiError) -> Answer:
    document = {"success": False, "errors": error.errors, "messages": [], "result": None}
    headers = {"content-type": JSON_TYPE, **error.headers}
    return Answer(error.status or 500, headers, _dump(document), error)


def raw(body: bytes, expiration: int | None) -> Answer:
    """A value read: the bytes themselves, with the ``expiration`` header if it expires."""
    headers = {"content-type": OCTET_STREAM}
    if expiration is not None:
        headers["expiration"] = str(expiration)
    return Answer(200, headers, body)
