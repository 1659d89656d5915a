"""A feature-flag and config service as a Python Worker, on two KV namespaces.

FLAGS holds ``flag:<name>`` JSON documents; SESSIONS holds admin sessions that expire.
In production ``Default`` subclasses ``workers.WorkerEntrypoint`` and ``fetch`` takes
a ``workers.Request``; the logic only needs ``self.env``, so it runs under CPython too.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass
class Response:
    body: str
    status: int = 200

    def json(self) -> Any:
        return json.loads(self.body)


async def list_flags(flags: Any) -> list[dict[str, Any]]:
    """Every flag, page by page: the admin listing. Follows cursors to the end."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await flags.list(prefix="flag:", cursor=cursor)
        found.extend(page["keys"])
        if page["list_complete"]:
            return found
        cursor = page["cursor"]


class Default:
    def __init__(self, env: Any) -> None:
        self.env = env

    async def fetch(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and parts[0] == "flags" and len(parts) == 2:
            return await self.read_flag(parts[1])
        if request.method == "POST" and parts == ["login"]:
            return await self.login(request.body)
        if parts[0] == "admin":
            user = await self.session_user(request)
            if user is None:
                return Response("unauthorized", 401)
            if request.method == "GET" and parts == ["admin", "flags"]:
                flags = await list_flags(self.env.FLAGS)
                return Response(json.dumps([flag["name"].removeprefix("flag:") for flag in flags]))
            if request.method == "PUT" and len(parts) == 3 and parts[1] == "flags":
                return await self.write_flag(parts[2], request.body, user)
        return Response("not found", 404)

    async def read_flag(self, name: str) -> Response:
        # Flags are read on every request, so let the edge cache them for 5 minutes.
        flag = await self.env.FLAGS.get(f"flag:{name}", {"type": "json", "cacheTtl": 300})
        if flag is None:
            return Response(json.dumps({"enabled": False}), 200)
        return Response(json.dumps(flag))

    async def write_flag(self, name: str, body: str, user: str) -> Response:
        flag = json.loads(body)
        await self.env.FLAGS.put(f"flag:{name}", json.dumps(flag), metadata={"owner": user})
        return Response("", 204)

    async def login(self, user: str) -> Response:
        token = secrets.token_hex(8)
        ttl = int(self.env.SESSION_TTL)
        await self.env.SESSIONS.put(f"session:{token}", user, expirationTtl=ttl)
        return Response(json.dumps({"token": token}))

    async def session_user(self, request: Request) -> str | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not token:
            return None
        user: str | None = await self.env.SESSIONS.get(f"session:{token}")
        return user
