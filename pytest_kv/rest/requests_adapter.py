"""A ``requests`` transport adapter that serves requests with the fake REST API
in-process: ``session.mount("https://api.cloudflare.com/", adapter)``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .envelope import Answer
from .request import ApiRequest

Serve = Callable[[ApiRequest], Answer]
Seen = Callable[[Answer, object], None]


def body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):  # a file
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in body)


def to_requests(answer: Answer, request: requests.PreparedRequest) -> requests.Response:
    response = requests.Response()
    response.status_code = answer.status
    response.headers = CaseInsensitiveDict(answer.headers)
    response._content = answer.body
    response.encoding = None if "json" not in answer.headers.get("content-type", "") else "utf-8"
    response.url = request.url or ""
    response.request = request
    try:
        response.reason = HTTPStatus(answer.status).phrase
    except ValueError:
        response.reason = ""
    return response


class KVApiAdapter(BaseAdapter):
    """Serves every request sent through it with ``serve``.

    Example::

        session = requests.Session()
        session.mount("https://api.cloudflare.com/", api.requests_adapter())
    """

    def __init__(self, serve: Serve, seen: Seen | None = None) -> None:
        super().__init__()
        self._serve = serve
        self._seen = seen

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        return serve_prepared(self._serve, self._seen, request)

    def close(self) -> None:
        """Nothing to close: no connections are made."""


def serve_prepared(
    serve: Serve, seen: Seen | None, request: requests.PreparedRequest
) -> requests.Response:
    headers = dict(request.headers or {})
    answer = serve(
        ApiRequest.of(request.method or "GET", request.path_url, headers, body_bytes(request.body))
    )
    response = to_requests(answer, request)
    if answer.error is not None and seen is not None:
        seen(answer, response)
    return response
