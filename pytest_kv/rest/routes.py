"""Which endpoint a request names: its path and method, as the API gateway routes
them, with the SDK's method name for the call log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .request import ApiRequest, decode_text

KV_PREFIX: Final = ("storage", "kv", "namespaces")

# (shape of the path below /namespaces, HTTP method) -> the SDK's method name.
# "{ns}" is a namespace id; "{key}" is the rest of the path, a key.
ENDPOINTS: Final = {
    "": {"GET": "namespaces.list", "POST": "namespaces.create"},
    "{ns}": {"GET": "namespaces.get", "PUT": "namespaces.update", "DELETE": "namespaces.delete"},
    "{ns}/keys": {"GET": "keys.list"},
    "{ns}/values/{key}": {"GET": "values.get", "PUT": "values.update", "DELETE": "values.delete"},
    "{ns}/metadata/{key}": {"GET": "metadata.get"},
    "{ns}/bulk": {"PUT": "bulk_update", "DELETE": "bulk_delete"},
    "{ns}/bulk/delete": {"POST": "bulk_delete"},
    "{ns}/bulk/get": {"POST": "bulk_get"},
}
ACCOUNT_ENDPOINTS: Final = {
    "accounts": {"GET": "accounts.list"},
    "memberships": {"GET": "memberships.list"},
    "user/tokens/verify": {"GET": "user.tokens.verify"},
}


@dataclass(frozen=True, slots=True)
class Route:
    """What a request names. ``method`` is ``None`` when the path exists but not
    with this HTTP method; ``shape`` is ``None`` when no route has this path."""

    shape: str | None
    method: str | None
    account_id: str | None = None
    namespace_id: str | None = None
    rest: tuple[str, ...] = ()  # the key's path segments, still percent-encoded


def kv_path(request: ApiRequest) -> bool:
    """Whether the request is for the KV API (what in-process transports serve)."""
    parts = request.path.lstrip("/").split("/")
    return len(parts) >= 5 and parts[0] == "accounts" and tuple(parts[2:5]) == KV_PREFIX


def match(request: ApiRequest) -> Route:
    parts = request.path.lstrip("/").split("/")
    account_shape = "/".join(parts).rstrip("/")
    if account_shape in ACCOUNT_ENDPOINTS:
        return Route(account_shape, ACCOUNT_ENDPOINTS[account_shape].get(request.method))
    if not kv_path(request):
        return Route(None, None)
    account_id = decode_text(parts[1])
    rest = parts[5:]
    if rest == [""]:
        rest = []
    key: tuple[str, ...] = ()
    if not rest:
        shape, namespace_id = "", None
    else:
        namespace_id = decode_text(rest[0])
        tail = rest[1:]
        if tail[:1] in (["values"], ["metadata"]) and len(tail) >= 2:
            shape, key = f"{{ns}}/{tail[0]}/{{key}}", tuple(tail[1:])
        else:
            shape = "/".join(["{ns}", *tail])
    if shape not in ENDPOINTS:
        return Route(None, None)
    return Route(shape, ENDPOINTS[shape].get(request.method), account_id, namespace_id, key)
