"""Request handlers of a small app on Workers KV: some race, some are safe.

Each handler is what one request does; in production two requests can run at the
same time, and every KV call is a point where the other one may go ahead.
"""

from __future__ import annotations

import json
from typing import Any

# -- racy: read, change, write back -------------------------------------------------------


async def count_visit(kv: Any) -> None:
    """A visit counter: two visits at once can both read 41 and both write 42."""
    visits = int(await kv.get("visits") or 0)
    await kv.put("visits", str(visits + 1))


async def sign_up(kv: Any, username: str, user_id: str) -> bool:
    """Claim a username if it is free (check, then set): two sign-ups at once can
    both see it free, and both think they got it."""
    if await kv.get(f"username:{username}") is not None:
        return False
    await kv.put(f"username:{username}", user_id)
    return True


async def add_to_cart(kv: Any, item: str) -> None:
    """Append to a cart kept as one JSON list: a second tab in another region reads
    the cart before the first tab's write has reached it, and writes it back."""
    cart = await kv.get("cart:ada", "json") or []
    await kv.put("cart:ada", json.dumps([*cart, item]))


# -- safe: one key per request, idempotent writes ----------------------------------------


async def record_visit(kv: Any, request_id: str) -> None:
    """One key per visit: nothing to overwrite. The total is counted when read."""
    await kv.put(f"visit:{request_id}", "1")


async def total_visits(kv: Any) -> int:
    total, cursor = 0, None
    while True:
        page = await kv.list(prefix="visit:", cursor=cursor)
        total += len(page["keys"])
        if page["list_complete"]:
            return total
        cursor = page["cursor"]


async def verify_email(kv: Any, user_id: str) -> None:
    """An idempotent write: whoever writes last writes the same thing."""
    if await kv.get(f"verified:{user_id}") is None:
        await kv.put(f"verified:{user_id}", "yes")
