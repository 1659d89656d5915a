"""Every status, error code and message the fake REST API answers with, in one place.

Each entry says where it comes from (see the README's "Services that use the REST
API" for the sources): ``production`` (captured from Cloudflare's API), ``explorer``
(Miniflare's local explorer, Cloudflare's own look-alike), ``service`` (the KV
backend's own text, known from the binding) or ``invented`` (no source says; chosen
to be plausible and kept here so that it is cheap to correct).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pytest_kv.errors import KVError


@dataclass(frozen=True, slots=True)
class Code:
    """One kind of error answer: its HTTP status, its code and where they come from."""

    status: int
    code: int
    source: str  # of the status and code; messages say their own source below


# -- the gateway: credentials, routes, rate limits (production) ----------------------
MISSING_AUTH: Final = Code(400, 9106, "production")
MISSING_AUTH_TEXT: Final = "Missing X-Auth-Key, X-Auth-Email or Authorization headers"
BAD_HEADERS: Final = Code(400, 6003, "production")
BAD_HEADERS_TEXT: Final = "Invalid request headers"
BAD_AUTHORIZATION: Final = (6111, "Invalid format for Authorization header")
BAD_AUTH_KEY: Final = (6103, "Invalid format for X-Auth-Key header")
INVALID_TOKEN: Final = Code(403, 9109, "production")
INVALID_TOKEN_TEXT: Final = "Invalid access token"
AUTHENTICATION: Final = Code(403, 10000, "production")
AUTHENTICATION_TEXT: Final = "Authentication error"
NO_ROUTE: Final = Code(400, 7003, "production")
NO_ROUTE_CODE: Final = 7000
NO_ROUTE_TEXT: Final = "No route for that URI"
METHOD_NOT_ALLOWED: Final = Code(405, 10000, "production")
RATE_LIMITED: Final = Code(429, 971, "production")
RATE_LIMITED_TEXT: Final = "Please wait and consider throttling your request speed"

# -- KV (production where known) --------------------------------------------------
KEY_NOT_FOUND: Final = Code(404, 10009, "production")
KEY_NOT_FOUND_TEXT: Final = "get: 'key not found'"
NAMESPACE_NOT_FOUND: Final = Code(404, 10013, "production")
TITLE_EXISTS: Final = Code(400, 10014, "production")
TITLE_EXISTS_TEXT: Final = "a namespace with this account ID and title already exists"
# The explorer's operation prefixes for 10013; the namespace routes it lacks are ours.
NOT_FOUND_PREFIX: Final = {
    "keys.list": "list keys",  # explorer
    "values.get": "get",  # explorer
    "values.update": "put",  # explorer
    "values.delete": "remove key",  # explorer
    "bulk_get": "bulk get keys",  # explorer
    "metadata.get": "get metadata",  # invented
    "namespaces.get": "get namespace",  # invented
    "namespaces.update": "rename namespace",  # invented
    "namespaces.delete": "remove namespace",  # invented
    "bulk_update": "bulk write",  # invented
    "bulk_delete": "bulk remove",  # invented
}

# -- validation: the explorer's code and wording ("<field>: <zod message>") ---------
VALIDATION: Final = Code(400, 10001, "explorer")
MALFORMED_JSON_TEXT: Final = "Malformed JSON in request body"  # explorer (it answers 500)
MISSING_VALUE_TEXT: Final = "Missing value field"  # explorer
INVALID_METADATA_TEXT: Final = "Invalid metadata JSON"  # explorer

# -- limits: the service's own texts; codes invented -------------------------------
KEY_TOO_LONG: Final = Code(414, 10030, "invented code; status and text: service")
BAD_KEY: Final = Code(400, 10029, "invented code; status and text: service")
BAD_EXPIRATION: Final = Code(400, 10033, "invented code; status and text: service")
BAD_EXPIRATION_TTL: Final = Code(400, 10034, "invented code; status and text: service")
TOO_LARGE: Final = Code(413, 10024, "invented code; status and text: service")
BULK_WRITE_MAX_TEXT: Final = "You can write a maximum of 10000 key-value pairs per request"
BULK_DELETE_MAX_TEXT: Final = "You can delete a maximum of 10000 keys per request"
BODY_TOO_LARGE_TEXT: Final = "Request body too large"  # invented
MAX_NAMESPACES_TEXT: Final = "This account has reached its limit of 1000 namespaces"
MAX_NAMESPACES: Final = Code(400, 10018, "invented (wrangler 1 lists 10018 as a namespace error)")

# -- failures on purpose and opt-in limits -----------------------------------------
INJECTED: Final = Code(500, 10000, "explorer (its code for internal errors)")
KEY_RATE_LIMITED: Final = Code(429, 10429, "invented code; status and text: service")


class KVApiError(KVError):
    """An error answer of the fake REST API: ``status``, ``code``, ``message``.

    It is what the call log records for a failed REST call (``KVCall.error``);
    ``str(error)`` is ``<status> <message> [code: <code>]`` (wrangler prints
    ``<message> [code: <code>]``).
    ``errors`` is the answer's ``errors`` array.

    Example::

        [call] = kv_api.calls(method="values.update")
        assert isinstance(call.error, KVApiError) and call.error.code == 10034
    """

    code: int
    errors: list[dict[str, object]]
    headers: dict[str, str]

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        chain: tuple[tuple[int, str], ...] = (),
        more: tuple[tuple[int, str], ...] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message} [code: {code}]", status)
        self.code = code
        self._text = message
        first: dict[str, object] = {"code": code, "message": message}
        if chain:
            first["error_chain"] = [{"code": c, "message": m} for c, m in chain]
        self.errors = [first, *({"code": c, "message": m} for c, m in more)]
        self.headers = dict(headers or {})
        # True when no in-process client could see this answer (the loopback server
        # served it): strict teardown cannot tell whether the client handled it.
        self.handled = False

    @property
    def message(self) -> str:
        """The message, as the answer's ``errors[0].message`` words it."""
        return self._text


def error(code: Code, message: str, **kwargs: object) -> KVApiError:
    return KVApiError(code.status, code.code, message, **kwargs)  # type: ignore[arg-type]


def validation(message: str) -> KVApiError:
    return error(VALIDATION, message)


def namespace_not_found(method: str) -> KVApiError:
    prefix = NOT_FOUND_PREFIX.get(method, method)
    return error(NAMESPACE_NOT_FOUND, f"{prefix}: 'namespace not found'")


def from_service(failure: KVError) -> KVApiError:
    """The REST answer for an error the KV service raised (``KV PUT failed: 400 ...``):
    the service's status and text, with a code chosen by what failed."""
    if isinstance(failure, KVApiError):
        return failure
    text = failure.message
    status = failure.status or 500
    if text.startswith("KV ") and " failed: " in text:
        text = text.split(" failed: ", 1)[1]
        head, _, rest = text.partition(" ")
        if head.isdigit():
            text = rest
    if status == 414:
        return error(KEY_TOO_LONG, text)
    if status == 413:
        return error(TOO_LARGE, text)
    if status == 429:
        return error(KEY_RATE_LIMITED, text)
    if status == 400:
        if text.startswith("Invalid expiration_ttl"):
            return error(BAD_EXPIRATION_TTL, text)
        if text.startswith("Invalid expiration"):
            return error(BAD_EXPIRATION, text)
        if text.startswith(("Illegal key name", "Key names must", "Could not URL-decode")):
            return error(BAD_KEY, text)
        return error(VALIDATION, text)
    return KVApiError(status, INJECTED.code, text)
