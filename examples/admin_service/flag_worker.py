"""A Python Worker that reads the flags the admin service writes, through its FLAGS
binding. In production ``Default`` subclasses ``workers.WorkerEntrypoint``."""

from __future__ import annotations

import json
from typing import Any


class Default:
    def __init__(self, env: Any) -> None:
        self.env = env

    async def fetch(self, path: str) -> tuple[int, str]:
        name = path.removeprefix("/flags/")
        # Read on every request, so the edge may cache a flag for a minute.
        flag = await self.env.FLAGS.get(f"flag:{name}", {"type": "json", "cacheTtl": 60})
        if flag is None:
            return 200, json.dumps({"enabled": False})
        return 200, json.dumps(flag)
