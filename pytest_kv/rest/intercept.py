"""Serving the code under test without changing it: while started, requests that
httpx (sync and async) or requests send to the KV API on ``api.cloudflare.com`` are
served in-process; every other request goes where it went before (the network, or
pytest-httpx, respx or responses, if they are active).

It also watches the exceptions that clients raise from the fake's error answers
(``cloudflare.APIStatusError``, ``httpx.HTTPStatusError``, ``requests.HTTPError``),
so strict teardown can tell whether one of them reached the test's own code.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Final
from urllib.parse import urlsplit

from .envelope import Answer
from .request import API_PREFIX, ApiRequest
from .routes import kv_path

API_HOST: Final = "api.cloudflare.com"

Serve = Callable[[ApiRequest], Answer]

# (module, class, attribute): where each client sends requests.
_SENDERS: Final = (
    ("httpx", "HTTPTransport", "handle_request"),
    ("httpx", "AsyncHTTPTransport", "handle_async_request"),
    ("requests.adapters", "HTTPAdapter", "send"),
)
# (module, class): the exceptions raised from an error response, each with .response.
_RAISED: Final = (
    ("cloudflare", "APIStatusError"),
    ("httpx", "HTTPStatusError"),
    ("requests.exceptions", "RequestException"),
)


def ours(url: str) -> bool:
    """Whether ``url`` is one the fake serves in-process: the KV API on the API host."""
    parts = urlsplit(url)
    if parts.hostname != API_HOST or not parts.path.startswith(API_PREFIX + "/"):
        return False
    return kv_path(ApiRequest.of("GET", parts.path))


# Modules whose frames are the HTTP machinery between the code that sent a request and
# the fake that answers it.
_MACHINERY: Final = (
    "pytest_kv",
    "httpx",
    "httpcore",
    "requests",
    "urllib3",
    "cloudflare",
    "anyio",
    "sniffio",
    "asyncio",
    "trio",
    "contextlib",
    "functools",
)


def sender_file() -> str:
    """The file of the innermost frame outside the HTTP machinery: the code that sent
    the request being served (the test itself, or the code under test)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name.split(".", 1)[0] not in _MACHINERY:
            return frame.f_code.co_filename
        frame = frame.f_back
    return ""


def _load(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


class Interceptor:
    """Patches the clients' senders (and the exceptions' constructors) while started.

    Patches stay in place until ``stop()`` and then step aside even if another
    library patched on top of them meanwhile: a stopped interceptor passes every
    request on unchanged.
    """

    def __init__(self, serve: Serve) -> None:
        self._serve = serve
        self._active = False
        self._undo: list[tuple[type, str, Any]] = []
        self._lock = threading.RLock()
        self._watched: set[type] = set()
        # Error answers served in-process: each with the response made from it and
        # the file of the code that sent the request; and the exceptions raised from
        # those responses, by the response's id (the responses are kept alive here).
        self.answers: list[tuple[Answer, object, str]] = []
        self.raised: dict[int, list[BaseException]] = {}

    def seen(self, answer: Answer, response: object) -> None:
        sender = sender_file()
        with self._lock:
            self.answers.append((answer, response, sender))
            self.raised.setdefault(id(response), [])
            # The client that sent this request is imported by now, and raises (if it
            # does) only after this answer is returned: watch its exceptions from here.
            if self._active:
                self._watch()

    def _watch(self) -> None:
        for module, name in _RAISED:
            loaded = sys.modules.get(module)
            cls = getattr(loaded, name, None)
            if isinstance(cls, type) and cls not in self._watched and "__init__" in cls.__dict__:
                self._watched.add(cls)
                self._patch(cls, "__init__", self._watcher(cls.__dict__["__init__"]))

    def start(self) -> None:
        if self._active:
            return
        self._active = True
        for module, name, attribute in _SENDERS:
            cls = _load(module, name)
            if cls is not None and attribute in cls.__dict__:
                self._patch(cls, attribute, self._sender(module, getattr(cls, attribute)))

    def stop(self) -> None:
        self._active = False
        self._watched.clear()
        while self._undo:
            cls, attribute, original = self._undo.pop()
            setattr(cls, attribute, original)

    def _patch(self, cls: type, attribute: str, replacement: Any) -> None:
        self._undo.append((cls, attribute, cls.__dict__[attribute]))
        setattr(cls, attribute, replacement)

    def _sender(self, module: str, original: Any) -> Any:
        interceptor = self
        if module == "requests.adapters":
            from .requests_adapter import serve_prepared

            def send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
                if interceptor._active and ours(request.url or ""):
                    return serve_prepared(interceptor._serve, interceptor.seen, request)
                return original(adapter, request, *args, **kwargs)

            return send
        from .httpx_transport import KVApiTransport

        transport = KVApiTransport(self._serve, self.seen)
        if original.__name__ == "handle_async_request":

            async def handle_async(client_transport: Any, request: Any) -> Any:
                if interceptor._active and ours(str(request.url)):
                    return await transport.handle_async_request(request)
                return await original(client_transport, request)

            return handle_async

        def handle(client_transport: Any, request: Any) -> Any:
            if interceptor._active and ours(str(request.url)):
                return transport.handle_request(request)
            return original(client_transport, request)

        return handle

    def _watcher(self, original: Any) -> Any:
        interceptor = self

        def watched_init(exception: BaseException, *args: Any, **kwargs: Any) -> None:
            original(exception, *args, **kwargs)
            response = getattr(exception, "response", None)
            if interceptor._active and response is not None:
                with interceptor._lock:
                    raised = interceptor.raised.get(id(response))
                    if raised is not None:
                        raised.append(exception)

        return watched_init
