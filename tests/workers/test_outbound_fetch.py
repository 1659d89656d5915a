"""A Worker's outbound fetch: sent through httpx, so pytest-httpx answers it here."""

from __future__ import annotations

import sys

import httpx
import js
import pytest
from pyodide.http import AbortError, pyfetch
from pytest_httpx import HTTPXMock
from workers import Request, Response, fetch

asyncio = pytest.mark.asyncio


@asyncio
async def test_fetch_goes_through_httpx(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url="https://api.example.com/rates?base=EUR",
        method="POST",
        json={"usd": 1.1},
        headers={"x-cache": "HIT"},
        status_code=201,
    )
    response = await fetch(
        "https://api.example.com/rates?base=EUR",
        method="POST",
        headers={"Authorization": "Bearer t"},
        body='{"q": 1}',
    )
    assert isinstance(response, Response)
    assert response.status == 201
    assert response.status_text == "Created"
    assert response.headers["X-Cache"] == "HIT"
    assert response.url == "https://api.example.com/rates?base=EUR"
    assert await response.json() == {"usd": 1.1}
    sent = httpx_mock.get_request()
    assert sent is not None
    assert sent.headers["authorization"] == "Bearer t"
    assert sent.content == b'{"q": 1}'


@asyncio
async def test_fetch_of_a_request_and_the_javascript_spellings(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="https://a.example/", text="plain", is_reusable=True)
    assert await (await fetch(Request("https://a.example"))).text() == "plain"
    js_response = await js.fetch("https://a.example/")
    assert js_response.status == 200
    assert await js_response.text() == "plain"
    assert await (await pyfetch("https://a.example/")).text() == "plain"


@asyncio
async def test_redirects_follow_unless_manual(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url="https://a.example/old", status_code=301, headers={"location": "https://a.example/new"}
    )
    httpx_mock.add_response(url="https://a.example/new", text="moved")
    followed = await fetch("https://a.example/old")
    assert followed.redirected
    assert await followed.text() == "moved"
    httpx_mock.add_response(
        url="https://a.example/old", status_code=301, headers={"location": "https://a.example/new"}
    )
    manual = await fetch("https://a.example/old", redirect="manual")
    assert manual.status == 301
    assert not manual.redirected


@asyncio
async def test_a_failed_fetch_is_an_abort_error(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("connection refused"))
    with pytest.raises(AbortError, match="connection refused") as info:
        await fetch("https://down.example/")
    assert isinstance(info.value, OSError)


@asyncio
async def test_without_httpx_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(RuntimeError, match=r"fetch\('https://a.example/'\).*pip install httpx"):
        await fetch("https://a.example/")
