"""The account's namespaces: list, create, get, rename, delete; and the account
routes that wrangler asks for when it is not given an account id."""

from __future__ import annotations

import threading
from typing import Any, Final

from pytest_kv.kv.account import Account
from pytest_kv.kv.namespace import Namespace

from .codes import (
    MAX_NAMESPACES,
    MAX_NAMESPACES_TEXT,
    TITLE_EXISTS,
    TITLE_EXISTS_TEXT,
    error,
    validation,
)
from .context import Call
from .envelope import Answer, success
from .request import (
    MISSING,
    ApiRequest,
    all_issues,
    expect,
    query_enum,
    query_number,
    zod_type,
)

MAX_TITLE: Final = 512
MAX_PER_PAGE: Final = 1000
DEFAULT_PER_PAGE: Final = 20
ACCOUNT_LIMIT: Final = 1000
JURISDICTIONS: Final = ("eu", "us", "fedramp")


def describe(namespace: Namespace) -> dict[str, Any]:
    return {"id": namespace.id, "title": namespace.title, "supports_url_encoding": True}


def list_namespaces(account: Account, request: ApiRequest, call: Call) -> Answer:
    """``page`` (from 1), ``per_page`` (1 to 1000, default 20), ``order`` (``id`` or
    ``title``), ``direction``; a page past the end is empty, which is where the SDK's
    and wrangler's pagination stop."""
    page = query_number(request, "page", 1)
    per_page = query_number(request, "per_page", 1, MAX_PER_PAGE)
    all_issues(
        lambda: query_enum(request, "order", ("id", "title"), "id"),
        lambda: query_enum(request, "direction", ("asc", "desc"), "asc"),
    )
    order = query_enum(request, "order", ("id", "title"), "id")
    direction = query_enum(request, "direction", ("asc", "desc"), "asc")
    call.options = dict(request.query) or None
    size = DEFAULT_PER_PAGE if per_page is None else int(per_page)
    number = 1 if page is None else int(page)
    every = sorted(
        account,
        key=lambda ns: ns.id if order == "id" else ns.title,
        reverse=direction == "desc",
    )
    shown = every[(number - 1) * size : number * size]
    info = {"count": len(shown), "page": number, "per_page": size, "total_count": len(every)}
    return success([describe(ns) for ns in shown], info)


def _title(request: ApiRequest) -> str:
    body = request.json()
    if not isinstance(body, dict):
        raise validation(f"Expected object, received {zod_type(body)}")
    title = body.get("title", MISSING)
    expect(title, "string", "title")
    if title == "":
        raise validation("title: String must contain at least 1 character(s)")
    if len(title) > MAX_TITLE:
        raise validation(f"title: String must contain at most {MAX_TITLE} character(s)")
    jurisdiction = body.get("jurisdiction")
    if jurisdiction is not None and jurisdiction not in JURISDICTIONS:
        expected = " | ".join(f"'{name}'" for name in JURISDICTIONS)
        raise validation(
            f"jurisdiction: Invalid enum value. Expected {expected}, received '{jurisdiction}'"
        )
    return str(title)


def create(account: Account, lock: threading.Lock, request: ApiRequest, call: Call) -> Answer:
    """``POST`` ``{"title": ...}``: a new, empty namespace with the test's options."""
    title = _title(request)
    call.options = {"title": title}
    with lock:
        existing = account.titled(title)
        if existing is not None:
            call.namespace = existing
            raise error(TITLE_EXISTS, TITLE_EXISTS_TEXT)
        if len(account) >= ACCOUNT_LIMIT:
            raise error(MAX_NAMESPACES, MAX_NAMESPACES_TEXT)
        namespace = account.create(title)
    call.namespace = namespace
    return success(describe(namespace))


def get(request: ApiRequest, call: Call) -> Answer:
    assert call.namespace is not None
    return success(describe(call.namespace))


def rename(account: Account, lock: threading.Lock, request: ApiRequest, call: Call) -> Answer:
    """``PUT /{id}`` ``{"title": ...}``: the renamed namespace (wrangler prints its title)."""
    namespace = call.namespace
    assert namespace is not None
    title = _title(request)
    call.options = {"title": title}
    with lock:
        existing = account.titled(title)
        if existing is not None and existing is not namespace:
            raise error(TITLE_EXISTS, TITLE_EXISTS_TEXT)
        namespace.title = title
    return success(describe(namespace))


def delete(account: Account, lock: threading.Lock, request: ApiRequest, call: Call) -> Answer:
    """``DELETE /{id}``: the namespace leaves the account (``result`` is ``null``)."""
    namespace = call.namespace
    assert namespace is not None
    with lock:
        account.remove(namespace.id)
    return success(None)


# -- the account routes wrangler uses without CLOUDFLARE_ACCOUNT_ID ---------------------

ACCOUNT_NAME: Final = "pytest-kv"


def accounts(account: Account) -> Answer:
    info = {"page": 1, "per_page": 20, "count": 1, "total_count": 1}
    return success([{"id": account.id, "name": ACCOUNT_NAME}], info)


def memberships(account: Account) -> Answer:
    info = {"page": 1, "per_page": 20, "count": 1, "total_count": 1}
    member = {
        "id": account.id,
        "status": "accepted",
        "account": {"id": account.id, "name": ACCOUNT_NAME},
    }
    return success([member], info)


def verify_token() -> Answer:
    answer = success({"id": "0" * 32, "status": "active"})
    answer.body = answer.body.replace(
        b'"messages":[]',
        b'"messages":[{"code":10000,"message":"This API Token is valid and active","type":null}]',
    )
    return answer
