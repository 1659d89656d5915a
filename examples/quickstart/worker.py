"""A small Python Worker: a page-view counter and a session store on Workers KV.

In production this module would import ``WorkerEntrypoint`` and ``Response`` from
``workers``; the handler itself only needs ``self.env.KV``, so tests run it on
CPython with a fake namespace.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Response:
    body: str
    status: int = 200


class Default:
    def __init__(self, env: Any) -> None:
        self.env = env

    async def fetch(self, path: str) -> Response:
        if path.startswith("/hits/"):
            page = path.removeprefix("/hits/")
            hits = int(await self.env.KV.get(f"hits:{page}") or 0) + 1
            await self.env.KV.put(f"hits:{page}", str(hits))
            return Response(json.dumps({"page": page, "hits": hits}))
        return Response("not found", 404)


async def start_session(kv: Any, user: str, ttl: int = 3600) -> str:
    """A plain async function: stores a session that expires after ``ttl`` seconds."""
    session_id = f"session:{user}"
    await kv.put(session_id, json.dumps({"user": user}), expirationTtl=ttl, metadata={"v": 1})
    return session_id
