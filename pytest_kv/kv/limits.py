"""Production's limits, and the checks that enforce them with production's messages.

Client-side checks (workerd, before any request) raise ``KVTypeError``; server-side
checks (the KV service, mirrored from Miniflare's validator) raise ``KVError`` with
an HTTP status. Each check takes already-converted values: see ``arguments.py`` for
how call arguments become those values.
"""

from __future__ import annotations

from typing import Final

from pytest_kv.errors import (
    GET_BULK,
    PUT,
    KVError,
    KVTypeError,
    http_error,
    invalid_cache_ttl,
    key_too_long,
)

MAX_KEY_BYTES: Final = 512
MAX_VALUE_BYTES: Final = 25 * 1024 * 1024  # 26,214,400
MAX_METADATA_BYTES: Final = 1024
MIN_EXPIRATION_TTL: Final = 60
MIN_CACHE_TTL: Final = 30
DEFAULT_CACHE_TTL: Final = 60
MAX_LIST_LIMIT: Final = 1000
MAX_BULK_KEYS: Final = 100
MAX_BULK_BYTES: Final = 25 * 1024 * 1024


def check_key(op: str, name: str, encoded: bytes) -> None:
    """workerd's client-side key check, in its order, for single-key calls."""
    if len(encoded) > 2:
        if len(encoded) > MAX_KEY_BYTES:
            raise key_too_long(op, len(encoded))
        return
    if name == "":
        raise KVTypeError("Key name cannot be empty.")
    if name == ".":
        raise KVTypeError('"." is not allowed as a key name.')
    if name == "..":
        raise KVTypeError('".." is not allowed as a key name.')


def check_bulk_key(name: str, encoded: bytes) -> None:
    """The KV service's own key check, which is all that guards bulk reads."""
    if name == "":
        raise http_error(GET_BULK, 400, "Key names must not be empty")
    if name in (".", ".."):
        raise http_error(GET_BULK, 400, f'Illegal key name "{name}". Please use a different name.')
    if len(encoded) > MAX_KEY_BYTES:
        raise key_too_long(GET_BULK, len(encoded))


def check_cache_ttl(op: str, cache_ttl: int | None) -> None:
    if cache_ttl is not None and cache_ttl < MIN_CACHE_TTL:
        raise invalid_cache_ttl(op, cache_ttl)


def check_prefix(op: str, encoded: bytes) -> None:
    if len(encoded) > MAX_KEY_BYTES:
        raise key_too_long(op, len(encoded))


def resolve_expiration(
    now_seconds: int, expiration: int | None, expiration_ttl: int | None
) -> int | None:
    """The absolute expiration a put stores, validated as the KV service does.

    ``expirationTtl`` wins whenever it is given: ``expiration`` is then ignored
    entirely, even if it is invalid.
    """
    if expiration_ttl is not None:
        if expiration_ttl <= 0:
            raise http_error(
                PUT,
                400,
                f"Invalid expiration_ttl of {expiration_ttl}. "
                "Please specify integer greater than 0.",
            )
        if expiration_ttl < MIN_EXPIRATION_TTL:
            raise http_error(
                PUT,
                400,
                f"Invalid expiration_ttl of {expiration_ttl}. Expiration TTL must be at least 60.",
            )
        return now_seconds + expiration_ttl
    if expiration is not None:
        if expiration <= now_seconds:
            raise http_error(
                PUT,
                400,
                f"Invalid expiration of {expiration}. Please specify integer greater "
                "than the current number of seconds since the UNIX epoch.",
            )
        if expiration < now_seconds + MIN_EXPIRATION_TTL:
            raise http_error(
                PUT,
                400,
                f"Invalid expiration of {expiration}. "
                "Expiration times must be at least 60 seconds in the future.",
            )
        return expiration
    return None


def check_metadata_size(metadata_json: str | None) -> None:
    # No text this short is over the limit: no character is more than four bytes.
    if metadata_json is None or len(metadata_json) <= MAX_METADATA_BYTES // 4:
        return
    size = len(metadata_json.encode("utf-8", "surrogatepass"))
    if size > MAX_METADATA_BYTES:
        raise http_error(PUT, 413, f"Metadata length of {size} exceeds limit of 1024.")


def value_too_large(size: int) -> KVError:
    return http_error(PUT, 413, f"Value length of {size} exceeds limit of 26214400.")


def check_value_size(size: int) -> None:
    if size > MAX_VALUE_BYTES:
        raise value_too_large(size)


def check_list_limit(op: str, limit: int) -> int:
    """The page size a list uses: workerd sends ``limit`` only when it is above 0."""
    if limit <= 0:
        return MAX_LIST_LIMIT
    if limit > MAX_LIST_LIMIT:
        raise http_error(
            op,
            400,
            f"Invalid key_count_limit of {limit}. Please specify an integer less than 1000.",
        )
    return limit
