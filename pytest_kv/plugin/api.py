"""``kv_api``: the Cloudflare REST API for KV over the test's namespaces, and
``KVApi``, the same outside pytest.

In a test, the official ``cloudflare`` SDK (sync and async), httpx and requests reach
the fake unchanged: their requests to the KV API on ``api.cloudflare.com`` are served
in-process, and every other request goes where it went before. ``kv_api.url`` is a
real server on 127.0.0.1 for any other client.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_kv.binding.namespace import KVNamespace
from pytest_kv.kv.calllog import KVCall, call_of, matches
from pytest_kv.kv.faults import Faults, Rule
from pytest_kv.kv.namespace import VALIDATION_STATUSES, MovableClock, Namespace
from pytest_kv.rest.app import OFF, RestApp
from pytest_kv.rest.codes import KVApiError
from pytest_kv.rest.context import KINDS as REST_KINDS
from pytest_kv.rest.envelope import Answer
from pytest_kv.rest.intercept import Interceptor
from pytest_kv.rest.ratelimit import DEFAULT_LIMIT, RateLimit
from pytest_kv.rest.server import LoopbackServer

from . import strict
from .factory import KVFactory
from .fixtures import _TestClock
from .hooks import API_CALLS
from .options import test_options

__all__ = ["KVApi"]

# What kv_api.fail() names: the REST API's methods, or an operation kind of them all.
FAULT_METHODS = (*REST_KINDS, "get", "put", "delete", "list")
DEFAULT_TOKEN = "pytest-kv-token"


def _rate_limit(given: object) -> RateLimit | None:
    if given is None or given is False:
        return None
    return RateLimit(DEFAULT_LIMIT if given is True else given)  # type: ignore[arg-type]


class KVApi:
    """The Cloudflare REST API for KV over ``factory``'s namespaces: the ``kv_api``
    fixture, and usable outside pytest.

    ``token`` makes it accept only ``Authorization: Bearer <token>``;
    ``rate_limits`` (``True``, or a number of requests per five minutes) turns on the
    API's account-wide limit; ``retries`` is ``"off"`` (the official SDK raises an
    error at once) or ``"sdk"`` (it retries as against production, without waiting).

    Example::

        api = KVApi()
        flags = api.factory("FLAGS")
        with api:                           # serve httpx and requests in-process
            client = Cloudflare(api_token="t")
            client.kv.namespaces.values.update(
                "beta", account_id=api.account_id, namespace_id=flags.id, value=b"on"
            )
        assert flags.sync.get("beta") == "on"
    """

    def __init__(
        self,
        factory: KVFactory | None = None,
        *,
        account_id: str | None = None,
        token: str | None = None,
        rate_limits: bool | int = False,
        retries: str = OFF,
        clock: Callable[[], float] | MovableClock | None = None,
    ) -> None:
        # Outside pytest the namespaces read the same clock as the API.
        self.factory = KVFactory({}, clock) if factory is None else factory  # type: ignore[arg-type]
        if account_id is not None:
            if type(account_id) is not str or not account_id:
                raise ValueError(f"api_account_id must be a non-empty string, got {account_id!r}")
            self.factory.account.id = account_id
        now: Callable[[], float]
        if clock is None:
            now = time.time
        elif callable(getattr(clock, "now", None)):
            now = clock.now  # type: ignore[union-attr]
        else:
            now = clock  # type: ignore[assignment]
        self.app = RestApp(
            self.factory.account,
            now,
            token=token,
            rate_limit=_rate_limit(rate_limits),
            retries=retries,
        )
        self._interceptor = Interceptor(self.app.handle)
        self._server: LoopbackServer | None = None
        self._own_server = False
        self._shared_server: Callable[[], LoopbackServer] | None = None

    # -- where clients find it ---------------------------------------------------------

    @property
    def account_id(self) -> str:
        """The account whose namespaces the API serves (32 hex digits)."""
        return self.factory.account.id

    @property
    def token(self) -> str:
        """A token the API accepts: ``api_token`` if one is set, else any will do."""
        return self.app.token or DEFAULT_TOKEN

    @property
    def url(self) -> str:
        """The base URL of a real HTTP server on 127.0.0.1 serving this API, started on
        first use (``http://127.0.0.1:PORT/client/v4``): for ``CLOUDFLARE_BASE_URL``,
        wrangler's ``CLOUDFLARE_API_BASE_URL``, curl or code in other languages."""
        if self._server is None:
            if self._shared_server is not None:
                self._server = self._shared_server()
            else:
                self._server, self._own_server = LoopbackServer(), True
        self._server.target = self.app.handle
        return self._server.url

    def transport(self) -> Any:
        """An httpx transport (sync and async) that serves every request in-process.

        Example: ``httpx.Client(transport=api.transport())``.
        """
        from pytest_kv.rest.httpx_transport import KVApiTransport

        return KVApiTransport(self.app.handle, self._interceptor.seen)

    def requests_adapter(self) -> Any:
        """A ``requests`` adapter that serves every request in-process.

        Example: ``session.mount("https://api.cloudflare.com/", api.requests_adapter())``.
        """
        from pytest_kv.rest.requests_adapter import KVApiAdapter

        return KVApiAdapter(self.app.handle, self._interceptor.seen)

    def start(self) -> None:
        """Serve httpx and requests calls to the KV API on api.cloudflare.com in-process."""
        self._interceptor.start()

    def stop(self) -> None:
        """Undo ``start()`` and detach from the loopback server."""
        self._interceptor.stop()
        if self._server is not None and self._server.target == self.app.handle:
            self._server.target = None
        if self._own_server and self._server is not None:
            self._server.close()
            self._server, self._own_server = None, False

    def __enter__(self) -> KVApi:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the test's side -------------------------------------------------------------

    def namespace(self, id_or_title: str) -> KVNamespace:
        """The binding to a namespace of the account, by id or title (one created over
        REST too): ``kv_api.namespace("FLAGS").sync.get("beta")``."""
        __tracebackhide__ = True
        account = self.factory.account
        shared = account.get(id_or_title) or account.titled(id_or_title)
        if shared is None:
            known = ", ".join(f"{ns.title!r} ({ns.id})" for ns in account) or "none"
            raise LookupError(
                f"kv_api.namespace({id_or_title!r}): no namespace with that id or title in "
                f"account {account.id}; its namespaces: {known}"
            )
        for namespace in self.factory.namespaces:
            if namespace._shared is shared:
                return namespace
        return KVNamespace.bound_to(shared)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
        json: Any = None,
    ) -> Answer:
        """Serve one request directly; ``path`` is below ``/client/v4`` or a full URL, and
        ``{account_id}`` in it is filled in. Sends ``Authorization: Bearer <token>``
        unless ``headers`` has credentials.

        Example: ``kv_api.request("GET", "/accounts/{account_id}/storage/kv/namespaces").json()``.
        """
        import json as json_module

        sent = {"authorization": f"Bearer {self.token}"}
        given = {name.lower(): value for name, value in (headers or {}).items()}
        if any(name in given for name in ("authorization", "x-auth-key", "x-auth-email")):
            sent = {}
        sent.update(given)
        data = body.encode("utf-8") if isinstance(body, str) else body
        if json is not None:
            data = json_module.dumps(json).encode("utf-8")
            sent.setdefault("content-type", "application/json")
        url = path.replace("{account_id}", self.account_id)
        if not url.startswith(("http://", "https://", "/client/v4")):
            url = "/client/v4" + (url if url.startswith("/") else "/" + url)
        return self.app.request(method, url, sent, data)

    def calls(
        self, method: str | None = None, key: str | None = None, namespace: str | None = None
    ) -> list[KVCall]:
        """Every REST call served, oldest first: by method (the SDK's name, such as
        ``"values.update"``), key (a glob) and namespace (id or title)."""
        records = list(self.app.calls)
        if namespace is not None:
            own = {id(record) for record in self._namespaces(namespace)[0].log}
            records = [record for record in records if id(record) in own]
        calls = [call_of(record) for record in records]
        return [call for call in calls if matches(call, method, key, None)]

    def fail(
        self,
        method: str,
        *,
        namespace: str | None = None,
        key: str | None = None,
        times: int = 1,
        error: BaseException | None = None,
        status: int = 500,
    ) -> None:
        """Make the next ``times`` REST calls of ``method`` fail (a REST method such as
        ``"values.update"``, or ``"get"``/``"put"``/``"delete"``/``"list"`` for every
        form), in ``namespace`` (id or title; default: every namespace), on keys that
        match the glob ``key``. The answer has ``status`` and the service's message.

        Example: ``kv_api.fail("values.get", status=503)``.
        """
        __tracebackhide__ = True
        targets = self._namespaces(namespace)
        for shared in targets:
            rule = Rule.make(method, key, times, error, status, methods=FAULT_METHODS)
            if shared.faults is None:
                shared.faults = Faults()
            shared.faults.add(rule)

    def fail_next(self, method: str, *, status: int = 500) -> None:
        """Make the next REST call of ``method`` fail in every namespace."""
        self.fail(method, status=status)

    def _namespaces(self, namespace: str | None) -> list[Namespace]:
        if namespace is None:
            return list(self.factory.account)
        return [self.namespace(namespace)._shared]

    def close(self) -> None:
        """Stop serving (in-process and, if this object started one, the server)."""
        self.stop()

    def __repr__(self) -> str:
        return f"<KVApi account {self.account_id}: {len(self.factory.account)} namespaces>"


# -- the fixtures -----------------------------------------------------------------------


class _SharedServer:
    """The session's one loopback server, started the first time a test asks for it."""

    def __init__(self) -> None:
        self.server: LoopbackServer | None = None

    def __call__(self) -> LoopbackServer:
        if self.server is None:
            self.server = LoopbackServer()
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


@pytest.fixture(scope="session")
def _kv_api_server() -> Iterator[_SharedServer]:
    shared = _SharedServer()
    yield shared
    shared.close()


@pytest.fixture
def kv_api(
    request: pytest.FixtureRequest, kv_factory: KVFactory, _kv_api_server: _SharedServer
) -> Iterator[KVApi]:
    """The Cloudflare REST API for KV over the test's namespaces (``kv``, ``kv_env``,
    ``kv_factory``): the official SDK, httpx and requests reach it unchanged;
    ``kv_api.url`` serves any other client. See ``KVApi``."""
    __tracebackhide__ = True
    options = test_options(request)
    try:
        api = KVApi(
            kv_factory,
            account_id=options.get("api_account_id"),
            token=options.get("api_token"),
            rate_limits=options.get("api_rate_limits", False),
            retries=options.get("api_retries", OFF),
            clock=_TestClock(request).now,
        )
    except (TypeError, ValueError) as error:
        pytest.fail(f"pytest-kv options: {error}", pytrace=False)
    api._shared_server = _kv_api_server
    request.node.stash[API_CALLS] = api.app.log
    api.start()
    try:
        yield api
    finally:
        api.stop()
    _resolve_strict(request, api)
    if options.get("strict", True):
        _check_account_calls(request, api)


def _resolve_strict(request: pytest.FixtureRequest, api: KVApi) -> None:
    """Tell strict teardown which REST error answers the test saw: those whose request
    the test's own code sent, and those from which an exception reached it."""
    files = strict.test_files(request)
    interceptor = api._interceptor
    for answer, response, sender in interceptor.answers:
        error = answer.error
        if error is None:
            continue
        if sender in files:
            error.handled = True
            continue
        for raised in interceptor.raised.get(id(response), []):
            if _reaches(raised, files):
                error.with_traceback(raised.__traceback__)
                break


def _reaches(raised: BaseException, files: set[str]) -> bool:
    traceback = raised.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename in files:
            return True
        traceback = traceback.tb_next
    return False


def _check_account_calls(request: pytest.FixtureRequest, api: KVApi) -> None:
    """Strict teardown for REST calls that touched no namespace (a malformed create)."""
    __tracebackhide__ = True
    files = strict.test_files(request)
    swallowed = [
        call
        for call in (call_of(record) for record in api.app.log)
        if isinstance(call.error, KVApiError)
        and call.error.status in VALIDATION_STATUSES
        and not strict.reached_the_test(call, files)
    ]
    if swallowed:
        pytest.fail(strict.swallowed_rest_report(swallowed), pytrace=False)
