"""pytest-kv: fake Cloudflare Workers KV namespaces that behave like production KV.

Example::

    async def test_counter(kv):
        await kv.put("hits", "1", expirationTtl=60)
        assert await kv.get("hits") == "1"
"""

from __future__ import annotations

from .clock import KVClock
from .errors import KVError, KVSyntaxError, KVTypeError
from .factory import KVFactory
from .godview import KVEntry
from .namespace import KVNamespace, SyncKVNamespace
from .results import JsDict
from .values import KVStream

__all__ = [
    "JsDict",
    "KVClock",
    "KVEntry",
    "KVError",
    "KVFactory",
    "KVNamespace",
    "KVStream",
    "KVSyntaxError",
    "KVTypeError",
    "SyncKVNamespace",
]

__version__ = "0.1.0"
