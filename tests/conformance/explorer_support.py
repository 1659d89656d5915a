"""The REST oracle: Miniflare's local explorer (``oracle/explorer.mjs``), a
Cloudflare-written look-alike of the KV REST API, next to pytest-kv's ``KVApi``.

``RestBoth.call(method, path, ...)`` sends one request to each and returns both
answers in one normalized form, ready to compare with ``==``. The explorer has no
``/accounts/{id}`` segment; paths here start at ``/storage/kv/namespaces``.

What the comparison leaves out, because the explorer is a partial look-alike (see
the README's "Services that use the REST API"): the namespace list's ``page``,
``per_page`` and ``total_count`` and the namespace objects' ``supports_url_encoding``
(the explorer has neither); the values GET's headers (it sends no content type and
no ``expiration``); and cursor texts, which differ by design.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import IO, Any, Final

from conftest import ORACLE_DIR

from pytest_kv import KVApi

NAMESPACES: Final = {
    "TEST_KV": "test-kv-id",
    "ANOTHER_KV": "another-kv-id",
    "ZEBRA_KV": "zebra-kv-id",
}
CURSOR: Final = "<cursor>"
START: Final = 1_000_000.0


class Explorer:
    """``node explorer.mjs``: Miniflare with its local explorer, on a free port."""

    def __init__(self, log: IO[bytes]) -> None:
        node = shutil.which("node")
        assert node is not None
        self._process = subprocess.Popen(
            [node, "explorer.mjs"],
            cwd=ORACLE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self.close()
            raise RuntimeError(f"the explorer oracle did not start (see {log.name})")
        started = json.loads(line)
        self.url: str = started["url"]
        self.versions = {"miniflare": started["miniflare"], "workerd": started["workerd"]}

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return (
                    answer.status,
                    _lower(answer.headers.items()),
                    answer.read(),
                )
        except urllib.error.HTTPError as error:
            return error.code, _lower(error.headers.items()), error.read()

    def wipe(self) -> None:
        """Delete every key of every namespace (through the explorer itself)."""
        for namespace_id in NAMESPACES.values():
            while True:
                _, _, body = self.send(
                    "GET", f"/storage/kv/namespaces/{namespace_id}/keys", {}, None
                )
                keys = json.loads(body)["result"]
                if not keys:
                    break
                for key in keys:
                    name = urllib.request.quote(key["name"], safe="")
                    self.send(
                        "DELETE", f"/storage/kv/namespaces/{namespace_id}/values/{name}", {}, None
                    )

    def close(self) -> None:
        process = self._process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _lower(items: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in items}


@dataclass(frozen=True)
class Answer:
    """One side's answer, normalized: status, ``"json"`` or ``"raw"``, and the body."""

    status: int
    kind: str
    body: Any


def _normalize(status: int, headers: dict[str, str], body: bytes) -> Answer:
    if "application/json" not in headers.get("content-type", ""):
        return Answer(status, "raw", body)
    document = json.loads(body)
    if isinstance(document, dict):
        result = document.get("result")
        if isinstance(result, list):
            document["result"] = [
                {k: v for k, v in item.items() if k != "supports_url_encoding"}
                if isinstance(item, dict)
                else item
                for item in result
            ]
        info = document.get("result_info")
        if isinstance(info, dict):
            document["result_info"] = {
                k: (CURSOR if k == "cursor" and v else v)
                for k, v in info.items()
                if k in ("count", "cursor")
            }
    return Answer(status, "json", document)


class RestBoth:
    """pytest-kv's REST API and Miniflare's explorer side by side, both emptied."""

    def __init__(self, explorer: Explorer) -> None:
        self.explorer = explorer
        explorer.wipe()
        self.api = KVApi(clock=lambda: START)
        for title, namespace_id in NAMESPACES.items():
            self.api.factory(title, id=namespace_id)

    def call(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[Answer, Answer]:
        """``(pytest-kv, explorer)`` for one request; ``path`` starts at ``/storage``."""
        sent = {"authorization": "Bearer t", **(headers or {})}
        fake = self.api.app.request(
            method, f"/client/v4/accounts/{self.api.account_id}{path}", sent, body
        )
        real = self.explorer.send(method, path, sent, body)
        return _normalize(fake.status, fake.headers, fake.body), _normalize(*real)

    def check(self, method: str, path: str, **kwargs: Any) -> Answer:
        """``call``, then assert both answers are equal; returns the explorer's."""
        __tracebackhide__ = True
        fake, real = self.call(method, path, **kwargs)
        assert fake == real, (
            f"pytest-kv diverges from the explorer: {method} {path} {kwargs}\n"
            f"  pytest-kv: {fake!r}\n  explorer:  {real!r}"
        )
        return real
