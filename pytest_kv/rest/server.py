"""The loopback server: the fake REST API as a real HTTP server on 127.0.0.1, for
clients that cannot be served in-process (wrangler, curl, other languages).

The standard library's ``ThreadingHTTPServer`` is enough: one thread per connection,
HTTP/1.1 keep-alive, no dependency to install or pin, and it serves a test's handful
of requests in well under a millisecond each. The server is started once and serves
whichever app is current (``target``), so a session pays for one socket while each
test keeps its own state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .codes import KVApiError
from .envelope import Answer, failure
from .request import API_PREFIX, ApiRequest

Serve = Callable[[ApiRequest], Answer]

NO_TEST = "pytest-kv: no test is using kv_api right now, so there is no account to serve"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._body()
        request = ApiRequest.of(self.command, self.path, self.headers.items(), body)
        target = self.server.target
        if target is None:
            answer = failure(KVApiError(503, 10000, NO_TEST))
        else:
            answer = target(request)
            if answer.error is not None:
                # No in-process client saw this answer: strict teardown cannot tell
                # what the client did with it, so it never reports it.
                answer.error.handled = True
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    # http.server's names for the methods it dispatches to.
    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the call log records every request."""


class LoopbackServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` on 127.0.0.1 (a free port), serving ``target``.

    Example::

        server = LoopbackServer()
        server.target = app.handle
        print(server.url)          # http://127.0.0.1:PORT/client/v4
        server.close()
    """

    daemon_threads = True
    target: Serve | None

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.target = None
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The API's base URL (``CLOUDFLARE_BASE_URL``, ``CLOUDFLARE_API_BASE_URL``)."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{API_PREFIX}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
