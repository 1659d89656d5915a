"""Outbound ``fetch``: a Worker's subrequests, sent through httpx so that pytest-httpx
or respx can answer them in tests."""

from __future__ import annotations

from typing import Any

from .jsvalues import JsException
from .request import HTTPMethod, JsRequest, Request
from .response import JsResponse, Response

__all__ = ["AbortError", "fetch", "js_fetch"]

_NO_HTTPX = (
    "the Worker made an outbound fetch({url!r}), and pytest-kv sends those through "
    "httpx, which is not installed. Install httpx (pip install httpx) and mock the "
    "call with pytest-httpx or respx, or mock workers.fetch in the test"
)


class AbortError(OSError):
    """An outbound fetch failed before a response arrived (``pyodide.http.AbortError``)."""


async def js_fetch(resource: Any, init: Any = None, **options: Any) -> JsResponse:
    """JavaScript's ``fetch(resource, init)``: a ``JsResponse``, or a ``JsException``
    (``TypeError``) when no response arrives."""
    __tracebackhide__ = True
    if isinstance(resource, Request):
        resource = resource.js_object
    fetcher = options.pop("fetcher", None)
    request = JsRequest(resource, init, **options)
    if fetcher is not None:
        return await fetcher(request)  # type: ignore[no-any-return]
    try:
        import httpx
    except ImportError:
        raise RuntimeError(_NO_HTTPX.format(url=request.url)) from None
    body = await request._body.read() if not request._body.is_null else None
    try:
        async with httpx.AsyncClient(follow_redirects=request.redirect == "follow") as client:
            answer = await client.request(
                request.method, request.url, headers=request.headers.pairs(), content=body
            )
            content = await answer.aread()
    except httpx.HTTPError as error:
        raise JsException("TypeError", f"fetch to {request.url} failed: {error}") from error
    # httpx has already decoded the content, so the encoding header no longer applies.
    headers = [
        (name, value)
        for name, value in answer.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    status = answer.status_code
    return JsResponse(
        None if status in (101, 204, 205, 304) else content,
        status=status,
        statusText=answer.reason_phrase or None,
        headers=headers,
        url=str(answer.url),
        redirected=bool(answer.history),
    )


async def fetch(resource: str | Request | JsRequest, **other_options: Any) -> Response:
    """``workers.fetch``: send a request from the Worker; returns a ``Response``.

    Options are the SDK's: ``method``, ``headers``, ``body``, ``redirect``
    (``"follow"`` or ``"manual"``), ``cf`` (ignored here) and ``fetcher``.

    Example::

        response = await fetch("https://api.example.com/rates", headers={"accept": "text/csv"})
        rates = await response.json()
    """
    __tracebackhide__ = True
    if isinstance(other_options.get("method"), HTTPMethod):
        other_options["method"] = other_options["method"].value
    other_options.pop("cf", None)
    try:
        answer = await js_fetch(resource, **other_options)
    except JsException as error:
        raise AbortError(error.message) from error.__cause__
    return Response(answer)
