"""Per-user rate limiting, applied after authentication.

A sliding-window counter per (user, scope) in process memory: cheap on the hot path and good
enough for the general limit, which only protects the service. The strict namespace-creation
limit (10 per 15 minutes per user) is *not* enforced here but from the database, so it holds
across API replicas and restarts; see ``RequestService.submit``.
"""

from __future__ import annotations

import math
import time
from collections import deque

from nsaas import metrics
from nsaas.domain import errors


class SlidingWindow:
    def __init__(self, *, limit: int, window_seconds: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, *, scope: str = "global", now: float | None = None) -> None:
        """Count one request for ``key``; raise RateLimited with Retry-After when over the limit."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._evict(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            retry_after = max(1, math.ceil(hits[0] + self.window - now))
            metrics.RATE_LIMITED.labels(scope).inc()
            raise errors.RateLimited(
                f"rate limit of {self.limit} requests per {int(self.window)}s exceeded", retry_after=retry_after
            )
        hits.append(now)

    def _evict(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]


class StreamSlots:
    """Caps open event streams per user and in total; a slot is held while a stream is open."""

    def __init__(self, *, per_user: int, total: int) -> None:
        self.per_user = per_user
        self.total = total
        self._open: dict[str, int] = {}

    def acquire(self, key: str) -> None:
        """Take a slot for ``key`` or raise RateLimited (429 with Retry-After)."""
        mine = self._open.get(key, 0)
        if mine >= self.per_user or sum(self._open.values()) >= self.total:
            scope = "streams_per_user" if mine >= self.per_user else "streams_total"
            metrics.RATE_LIMITED.labels(scope).inc()
            limit = f"{self.per_user} per user" if mine >= self.per_user else f"{self.total} in total"
            raise errors.RateLimited(f"too many open event streams (at most {limit}); close one first", retry_after=5)
        self._open[key] = mine + 1

    def release(self, key: str) -> None:
        left = self._open.get(key, 0) - 1
        if left > 0:
            self._open[key] = left
        else:
            self._open.pop(key, None)

    def open_count(self) -> int:
        return sum(self._open.values())
