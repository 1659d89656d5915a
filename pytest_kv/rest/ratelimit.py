"""The API's account-wide rate limit (opt-in): 1,200 requests per five minutes.

Production counts every API request of a user against it and answers 429 with code
971 past it, with ``Ratelimit`` and ``Ratelimit-Policy`` headers on every answer and
``retry-after`` on the 429 (developers.cloudflare.com/fundamentals/api/reference/limits).
The window runs on the test's clock, so a test reaches the limit without waiting.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Final

from .codes import RATE_LIMITED, RATE_LIMITED_TEXT, KVApiError, error

WINDOW: Final = 300.0
DEFAULT_LIMIT: Final = 1200


class RateLimit:
    """A sliding window of request times; ``limit`` requests per ``WINDOW`` seconds."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if type(limit) is not int or limit < 1:
            raise ValueError(f"api_rate_limits must be true or a whole number >= 1, got {limit!r}")
        self.limit = limit
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self, now: float) -> dict[str, str]:
        """Count one request at ``now``; return the headers for its answer, or raise
        the 429 (which does not count)."""
        with self._lock:
            times = self._times
            while times and times[0] <= now - WINDOW:
                times.popleft()
            reset = math.ceil(times[0] + WINDOW - now) if times else int(WINDOW)
            policy = f'"default";q={self.limit};w={int(WINDOW)}'
            if len(times) >= self.limit:
                raise self._refusal(reset, policy)
            times.append(now)
            remaining = self.limit - len(times)
        return {"ratelimit": f'"default";r={remaining};t={reset}', "ratelimit-policy": policy}

    @staticmethod
    def _refusal(reset: int, policy: str) -> KVApiError:
        headers = {
            "ratelimit": f'"default";r=0;t={reset}',
            "ratelimit-policy": policy,
            "retry-after": str(max(reset, 1)),
        }
        return error(RATE_LIMITED, RATE_LIMITED_TEXT, headers=headers)
