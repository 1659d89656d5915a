"""workers.Request, workers.Response and their headers, against what the SDK
(workers-runtime-sdk 1.9.5 on workerd) does."""

from __future__ import annotations

import json
from http import HTTPStatus

import js
import pytest
import workers
from hypothesis import given
from hypothesis import strategies as st
from workers import Request, Response

asyncio = pytest.mark.asyncio


def test_headers_is_the_sdks_type_alias_not_a_class() -> None:
    assert workers.Headers == "dict[str, str] | list[tuple[str, str]] | js.Headers"
    with pytest.raises(TypeError, match="'str' object is not callable"):
        workers.Headers({"a": "b"})  # type: ignore[operator]


# -- Request --------------------------------------------------------------------


def test_request_method_is_an_http_method_and_the_url_is_normalised() -> None:
    request = Request("HTTPS://Test.COM", method="post")
    assert request.method == "POST"
    assert type(request.method).__name__ == "HTTPMethod"
    assert request.url == "https://test.com/"
    assert repr(request) == "Request(method='POST', url='https://test.com/')"


def test_a_non_standard_method_is_a_key_error_as_in_the_sdk() -> None:
    request = Request("https://test.com/", method="propfind")
    assert request.js_object.method == "PROPFIND"
    with pytest.raises(KeyError):
        request.method  # noqa: B018


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"method": "GET", "body": "x"}, "TypeError", "GET or HEAD method cannot have a body"),
        ({"method": "BREW"}, "TypeError", "Invalid HTTP method string: BREW"),
        ({"redirect": "error"}, "TypeError", "Invalid redirect value"),
        ({"headers": {"bad name": "x"}}, "TypeError", "Invalid header name"),
    ],
)
def test_invalid_requests_fail_as_javascript_does(
    options: dict[str, str], error: str, message: str
) -> None:
    with pytest.raises(Exception, match=message) as info:
        Request("https://test.com/", **options)
    assert getattr(info.value, "name", type(info.value).__name__) == error


def test_a_relative_url_is_invalid() -> None:
    with pytest.raises(Exception, match="Invalid URL: /path"):
        Request("/path")


def test_request_headers_are_a_fresh_case_insensitive_mapping() -> None:
    request = Request(
        "https://test.com/",
        headers=[("Accept-Encoding", "gzip"), ("accept-encoding", "br"), ("X-A", " 1 ")],
    )
    headers = request.headers
    assert headers["ACCEPT-ENCODING"] == "gzip, br"  # JavaScript joins repeats
    assert headers["x-missing"] is None
    assert headers.get("x-a") == "1"
    assert headers.keys() == ["accept-encoding", "x-a"]  # sorted and lowercase
    headers["x-b"] = "2"
    assert request.headers["x-b"] is None  # a copy: the request is unchanged
    with pytest.raises(TypeError, match="unexpected type for headers"):
        Request("https://test.com/", headers=(("a", "b"),))


@asyncio
async def test_request_bodies_are_read_once() -> None:
    request = Request("https://test.com/", method="POST", body='{"a": [1, 2]}')
    copy = request.clone()
    assert request.headers["content-type"] == "text/plain;charset=UTF-8"
    assert await request.json() == {"a": [1, 2]}
    with pytest.raises(OSError, match="Body already used"):
        await request.text()
    with pytest.raises(OSError, match="Body already used"):
        request.clone()
    assert await copy.bytes() == b'{"a": [1, 2]}'


def test_a_request_from_a_js_request_takes_no_options() -> None:
    js_request = js.Request.new("https://test.com/a", method="PUT")
    assert Request(js_request).method == "PUT"
    with pytest.raises(ValueError, match="Expected no options when constructing Request"):
        Request(js_request, method="GET")


# -- Response -------------------------------------------------------------------


@asyncio
@pytest.mark.parametrize(
    ("body", "text", "content_type"),
    [
        ("hi", "hi", "text/plain;charset=UTF-8"),
        (b"\x00bytes", "\x00bytes", None),
        (None, "", None),
    ],
)
async def test_response_bodies(body: object, text: str, content_type: str | None) -> None:
    response = Response(body)
    assert response.status == 200
    assert response.ok
    assert response.status_text == "OK"
    assert response.headers["content-type"] == content_type
    assert await response.text() == text


def test_response_repr_is_the_sdks() -> None:
    assert (
        repr(Response.json([1, 2, 3]))
        == "Response(status=200, status_text='OK', content_type='application/json')"
    )
    assert repr(Response(b"x", status=404)) == "Response(status=404, status_text='Not Found')"
    assert repr(Response("x", status=299)) == (
        "Response(status=299, status_text='Successful', content_type='text/plain;charset=UTF-8')"
    )


@asyncio
async def test_response_json_uses_pythons_json_dumps() -> None:
    response = Response.json({"field": 42}, status=HTTPStatus.CREATED)
    assert response.status == 201
    assert response.status_text == "Created"
    assert await response.text() == '{"field": 42}'
    custom = Response.json([1], headers={"Content-Type": "42"})
    assert custom.headers["content-type"] == "42"
    assert await custom.json() == [1]  # on an instance, json() parses the body


def test_response_json_fails_at_construction_for_what_json_cannot_encode() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        Response.json({1, 2})


@pytest.mark.parametrize(
    ("body", "name"), [({"a": 1}, "dict"), (1, "int"), (js.Headers.new(), "Headers")]
)
def test_unsupported_bodies_are_type_errors(body: object, name: str) -> None:
    with pytest.raises(TypeError, match=f"^Unsupported type in Response: {name}$"):
        Response(body)


def test_status_rules_are_workerds() -> None:
    assert Response("x", status=0).status == 200  # falsy statuses are left out
    with pytest.raises(ValueError, match="range 200 to 599, inclusive"):
        Response("x", status=700)
    with pytest.raises(TypeError, match=r"null body status \(101, 204, 205, or 304\)"):
        Response("x", status=204)
    assert Response(None, status=204).body is None
    assert Response(b"", status=304).body is None


@asyncio
async def test_redirect_returns_a_javascript_response() -> None:
    redirect = Response.redirect("https://example.com/new")
    assert not isinstance(redirect, Response)
    assert redirect.status == 302
    assert redirect.headers.get("location") == "https://example.com/new"
    wrapped = Response(redirect)
    assert wrapped.status_text == "Found"
    assert wrapped.headers["Location"].endswith("/new")
    with pytest.raises(ValueError, match="502 is not a redirect status code"):
        Response.redirect("https://example.com/", HTTPStatus.BAD_GATEWAY)
    with pytest.raises(TypeError, match="Unable to parse URL"):
        Response.redirect("", 301)
    with pytest.raises(ValueError, match="Expected no options when constructing Response"):
        Response(redirect, status=200)


@asyncio
async def test_a_response_body_is_read_once() -> None:
    response = Response("once")
    copy = response.clone()
    assert await response.bytes() == b"once"
    with pytest.raises(OSError, match="Response body is already used"):
        await response.text()
    assert await copy.text() == "once"
    assert await response.replace_body("again").text() == "again"


def test_raise_for_status() -> None:
    Response("fine").raise_for_status()
    with pytest.raises(OSError, match="404 Client Error: Not Found for url: "):
        Response("x", status=404).raise_for_status()


@given(st.integers(200, 599))
def test_every_status_has_workerds_status_text(status: int) -> None:
    if status in (204, 205, 304):
        response = Response(None, status=status)
    else:
        response = Response("x", status=status)
    assert response.status_text
    assert f"status_text={response.status_text!r}" in repr(response)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_response_json_round_trips_every_json_value(value: object) -> None:
    import asyncio as aio

    response = Response.json(value)
    assert aio.run(response.text()) == json.dumps(value)
