"""The KV service that every front door shares: the store, edge locations and
propagation, limits, listing and cursors, the service's checks, its call log and
its failures on purpose.

It imports only ``errors`` and ``js`` from pytest-kv, never a front door
(``binding``, the REST API) or the pytest wiring.
"""
