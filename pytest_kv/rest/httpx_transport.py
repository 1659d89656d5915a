"""An httpx transport, sync and async, that serves requests with the fake REST API
in-process: ``httpx.Client(transport=...)`` or ``httpx.AsyncClient(transport=...)``."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from pytest_kv.suspension import suspend

from .envelope import Answer
from .request import ApiRequest

Serve = Callable[[ApiRequest], Answer]
Seen = Callable[[Answer, object], None]


def to_api(request: httpx.Request, body: bytes) -> ApiRequest:
    path = request.url.raw_path.decode("ascii")  # still percent-encoded, query included
    return ApiRequest.of(request.method, path, request.headers.multi_items(), body)


def to_httpx(answer: Answer, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        answer.status, headers=list(answer.headers.items()), content=answer.body, request=request
    )


class KVApiTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serves every request it is given with ``serve``; ``seen`` hears of each error
    answer with the response made from it (for strict teardown).

    Example::

        client = Cloudflare(api_token="t", http_client=httpx.Client(transport=api.transport()))
    """

    def __init__(self, serve: Serve, seen: Seen | None = None) -> None:
        self._serve = serve
        self._seen = seen

    def _respond(self, request: httpx.Request, body: bytes) -> httpx.Response:
        answer = self._serve(to_api(request, body))
        response = to_httpx(answer, request)
        if answer.error is not None and self._seen is not None:
            self._seen(answer, response)
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._respond(request, request.read())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # A REST call is I/O: other tasks run first, and the answer (read after the
        # body is complete) is the state when the call completes.
        await suspend("rest", request.method, request.url.path, (), {})
        return self._respond(request, await request.aread())
