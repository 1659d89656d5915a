"""The Workers binding: ``KVNamespace`` (async, exactly the Python Workers SDK's
shape), its blocking twin ``ns.sync``, the call forms workerd accepts, value
encoding, result shapes, and ``KVEnv``, a Worker's ``env`` of bindings.

A front door of the KV service: it imports ``kv``, ``js`` and ``errors``.
"""
