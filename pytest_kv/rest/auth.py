"""Credentials, refused as the API gateway refuses them.

By default any credential is accepted: ``Authorization: Bearer <token>`` with a
non-empty token, or ``X-Auth-Email`` with ``X-Auth-Key``. With a token set, only
``Bearer <that token>`` is.
"""

from __future__ import annotations

from .codes import (
    AUTHENTICATION,
    AUTHENTICATION_TEXT,
    BAD_AUTH_KEY,
    BAD_AUTHORIZATION,
    BAD_HEADERS,
    BAD_HEADERS_TEXT,
    INVALID_TOKEN,
    INVALID_TOKEN_TEXT,
    MISSING_AUTH,
    MISSING_AUTH_TEXT,
    error,
)
from .request import ApiRequest

API_TOKEN = "api_token"
API_KEY = "api_key"


def check(request: ApiRequest, token: str | None) -> str:
    """Refuse the request unless its credentials are accepted; return the scheme
    (``api_token`` or ``api_key``, as the gateway names them in its messages)."""
    headers = request.headers
    authorization = headers.get("authorization")
    key, email = headers.get("x-auth-key"), headers.get("x-auth-email")
    if authorization is None and not (key and email):
        raise error(MISSING_AUTH, MISSING_AUTH_TEXT)
    if authorization is None:
        if token is not None:
            # An account that only this token may use: a global key is not it.
            raise error(BAD_HEADERS, BAD_HEADERS_TEXT, chain=(BAD_AUTH_KEY,))
        return API_KEY
    scheme, _, given = authorization.partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given or any(ch.isspace() for ch in given):
        raise error(BAD_HEADERS, BAD_HEADERS_TEXT, chain=(BAD_AUTHORIZATION,))
    if token is not None and given != token:
        raise error(INVALID_TOKEN, INVALID_TOKEN_TEXT)
    return API_TOKEN


def check_account(account_id: str, wanted: str) -> None:
    """A valid credential asking for another account's KV: production's 403."""
    if account_id != wanted:
        raise error(AUTHENTICATION, AUTHENTICATION_TEXT)
