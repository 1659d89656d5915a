"""The Cloudflare REST API for KV (``/client/v4/accounts/{id}/storage/kv/namespaces``),
over the same namespaces as the binding: routing, envelopes and error codes, request
parsing, the in-process transports for httpx and requests, and the loopback server.

A front door beside ``binding/``: it imports ``errors``, ``js`` and ``kv`` only.
"""
