"""pytest-kv: fake Cloudflare Workers KV namespaces that behave like production KV.

Example::

    async def test_counter(kv):
        await kv.put("hits", "1", expirationTtl=60)
        assert await kv.get("hits") == "1"
"""

from __future__ import annotations

from .assertions import (
    assert_expired,
    assert_expires,
    assert_keys,
    assert_live,
    assert_paginates,
    assert_pagination,
    expiration_of,
    list_all,
)
from .calls import KVCall
from .clock import KVClock
from .consistency import assert_consistent, assert_eventually
from .edge import KVEvent
from .env import KVEnv
from .errors import KVError, KVSyntaxError, KVTypeError
from .factory import KVFactory
from .godview import KVEntry
from .listing import PageShape
from .namespace import KVNamespace, SyncKVNamespace
from .propagation import AfterReads, Fixed, PerLocation, Propagation, RandomDelay
from .results import JsDict
from .values import KVStream

__all__ = [
    "AfterReads",
    "Fixed",
    "JsDict",
    "KVCall",
    "KVClock",
    "KVEntry",
    "KVEnv",
    "KVError",
    "KVEvent",
    "KVFactory",
    "KVNamespace",
    "KVStream",
    "KVSyntaxError",
    "KVTypeError",
    "PageShape",
    "PerLocation",
    "Propagation",
    "RandomDelay",
    "SyncKVNamespace",
    "assert_consistent",
    "assert_eventually",
    "assert_expired",
    "assert_expires",
    "assert_keys",
    "assert_live",
    "assert_paginates",
    "assert_pagination",
    "expiration_of",
    "list_all",
]

__version__ = "0.1.0"
