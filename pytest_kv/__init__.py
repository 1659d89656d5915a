"""pytest-kv: fake Cloudflare Workers KV namespaces that behave like production KV.

Example::

    async def test_counter(kv):
        await kv.put("hits", "1", expirationTtl=60)
        assert await kv.get("hits") == "1"
"""

from __future__ import annotations

from .binding.env import KVEnv
from .binding.namespace import KVNamespace
from .binding.sync import SyncKVNamespace
from .binding.values import KVStream
from .errors import KVError, KVSyntaxError, KVTypeError
from .js.jsdict import JsDict
from .kv.calllog import KVCall
from .kv.godview import KVEntry
from .kv.history import KVEvent
from .kv.listing import PageShape
from .kv.propagation import AfterReads, Fixed, PerLocation, Propagation, RandomDelay
from .plugin.api import KVApi
from .plugin.clock import KVClock
from .plugin.factory import KVFactory
from .rest.codes import KVApiError
from .testing.consistency import assert_consistent, assert_eventually
from .testing.expiry import assert_expired, assert_expires, assert_live, expiration_of
from .testing.listing import assert_keys, assert_paginates, assert_pagination, list_all
from .testing.races import RaceFailure, RaceOutcome, RaceResult, assert_race_free, explore_races
from .workers.context import NotProvidedError, WaitUntilError
from .workers.worker import KVWorker

__all__ = [
    "AfterReads",
    "Fixed",
    "JsDict",
    "KVApi",
    "KVApiError",
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
    "KVWorker",
    "NotProvidedError",
    "PageShape",
    "PerLocation",
    "Propagation",
    "RaceFailure",
    "RaceOutcome",
    "RaceResult",
    "RandomDelay",
    "SyncKVNamespace",
    "WaitUntilError",
    "assert_consistent",
    "assert_eventually",
    "assert_expired",
    "assert_expires",
    "assert_keys",
    "assert_live",
    "assert_paginates",
    "assert_pagination",
    "assert_race_free",
    "expiration_of",
    "explore_races",
    "list_all",
]

__version__ = "0.1.0"
