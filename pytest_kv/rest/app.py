"""``RestApp``: the REST API's one entry point. A request in (method, URL, headers,
body), an answer out; every transport (httpx, requests, the loopback server, a test
calling it directly) goes through ``handle``."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from pytest_kv.errors import KVError
from pytest_kv.kv.account import Account
from pytest_kv.kv.namespace import DEFAULT_LOG_LIMIT, Namespace

from . import auth, bulk, keys, namespaces, values
from .codes import (
    INJECTED,
    METHOD_NOT_ALLOWED,
    NO_ROUTE,
    NO_ROUTE_CODE,
    NO_ROUTE_TEXT,
    KVApiError,
    error,
    from_service,
    namespace_not_found,
)
from .context import Call, InjectedError
from .envelope import Answer, failure
from .ratelimit import RateLimit
from .request import ApiRequest
from .routes import Route, match

OFF: Final = "off"
SDK: Final = "sdk"
RETRIES: Final = (OFF, SDK)
RETRIED: Final = frozenset({408, 409, 429})  # and every 5xx (the SDK's rule)

# Endpoints whose query or body the explorer validates before it looks the namespace up.
QUERY_FIRST: Final = frozenset({"keys.list", "bulk_get"})
Handler = Callable[[ApiRequest, Call, list[str]], Answer]
KEY_HANDLERS: Final[dict[str, Handler]] = {
    "keys.list": keys.list_keys,
    "values.get": values.read,
    "values.update": values.write,
    "values.delete": values.delete,
    "metadata.get": values.read_metadata,
    "bulk_update": bulk.write,
    "bulk_delete": bulk.delete,
    "bulk_get": bulk.read,
}


class RestApp:
    """The fake REST API over ``account``'s namespaces.

    ``token`` makes it accept only ``Authorization: Bearer <token>``; ``rate_limit``
    turns on the account-wide limit; ``retries`` is ``"off"`` (error answers carry
    ``x-should-retry: false``, so the official SDK raises at once) or ``"sdk"`` (the
    SDK retries as against production, told to wait a microsecond).
    """

    def __init__(
        self,
        account: Account,
        clock: Callable[[], float],
        *,
        token: str | None = None,
        rate_limit: RateLimit | None = None,
        retries: str = OFF,
    ) -> None:
        if retries not in RETRIES:
            raise ValueError(f"api_retries must be 'off' or 'sdk', got {retries!r}")
        if token is not None and (type(token) is not str or not token.strip()):
            raise ValueError(f"api_token must be a non-empty string, got {token!r}")
        self.account = account
        self.clock = clock
        self.token = token
        self.rate_limit = rate_limit
        self.retries = retries
        self.lock = threading.Lock()
        # Calls that touched no namespace (listing namespaces, unknown ids, refusals);
        # the others go to their namespace's log. ``calls`` has every one, in order.
        self.log: deque[tuple[Any, ...]] = deque(maxlen=DEFAULT_LOG_LIMIT)
        self.calls: deque[tuple[Any, ...]] = deque(maxlen=DEFAULT_LOG_LIMIT)

    def request(
        self, method: str, url: str, headers: Any = None, body: bytes | None = None
    ) -> Answer:
        """Serve one request given as parts (``url`` may be a full URL or a path)."""
        return self.handle(ApiRequest.of(method, url, headers, body))

    def handle(self, request: ApiRequest) -> Answer:
        now = self.clock()
        route = match(request)
        call = Call(route.method or f"{request.method} {request.path}", now)
        limit_headers: dict[str, str] = {}
        try:
            scheme = auth.check(request, self.token)
            if route.account_id is not None:
                auth.check_account(route.account_id, self.account.id)
            if self.rate_limit is not None:
                limit_headers = self.rate_limit.take(now)
            answer = self._serve(request, route, call, scheme)
            problem: BaseException | None = None
        except KVApiError as refused:
            answer, problem = failure(refused), refused
        except KVError as failed:
            converted = from_service(failed)
            answer, problem = failure(converted), converted
        except InjectedError as injected:  # an exception instance given to kv.fail(error=...)
            raised = injected.error
            text = str(raised) or type(raised).__name__
            answer, problem = failure(KVApiError(500, INJECTED.code, text)), raised
        answer.headers.update(limit_headers)
        if answer.error is not None:
            self._retry_headers(answer)
        if call.outcome == "miss":
            problem = None  # a missing key is a miss, as for the binding, not a failure
        record = call.record(problem)
        if call.namespace is None:
            self.log.append(record)
        elif problem is None:
            call.namespace.log.append(record)
        else:
            call.namespace.failed(record)
        self.calls.append(record)
        return answer

    def _serve(self, request: ApiRequest, route: Route, call: Call, scheme: str) -> Answer:
        if route.shape is None:
            where = request.path.rstrip("/") or "/"
            raise error(
                NO_ROUTE,
                f"Could not route to {where}, perhaps your object identifier is invalid?",
                more=((NO_ROUTE_CODE, NO_ROUTE_TEXT),),
            )
        method = route.method
        if method is None:
            raise error(
                METHOD_NOT_ALLOWED,
                f"{request.method} method not allowed for the {scheme} authentication scheme",
            )
        account = self.account
        if method == "accounts.list":
            return namespaces.accounts(account)
        if method == "memberships.list":
            return namespaces.memberships(account)
        if method == "user.tokens.verify":
            return namespaces.verify_token()
        if method == "namespaces.list":
            return namespaces.list_namespaces(account, request, call)
        if method == "namespaces.create":
            return namespaces.create(account, self.lock, request, call)
        namespace_id = route.namespace_id
        assert namespace_id is not None

        def lookup() -> Namespace:
            namespace = account.get(namespace_id)
            if namespace is None:
                raise namespace_not_found(method)
            return namespace

        call.lookup = lookup
        if method not in QUERY_FIRST:
            call.resolve()
        if method == "namespaces.get":
            return namespaces.get(request, call)
        if method == "namespaces.update":
            return namespaces.rename(account, self.lock, request, call)
        if method == "namespaces.delete":
            return namespaces.delete(account, self.lock, request, call)
        return KEY_HANDLERS[method](request, call, list(route.rest))

    def _retry_headers(self, answer: Answer) -> None:
        if self.retries == OFF:
            # Not a production header: the official SDK's own switch for retries.
            answer.headers["x-should-retry"] = "false"
        elif answer.status in RETRIED or answer.status >= 500:
            # The SDK honours retry-after-ms before production's retry-after: it
            # retries as often as against production, without waiting for real.
            answer.headers["retry-after-ms"] = "0.001"
