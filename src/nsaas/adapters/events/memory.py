"""In-process event bus (SQLite / single process): wakes local subscribers on publish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from nsaas import metrics


class MemoryBus:
    """Fan-out of "something new happened up to id N" to every local subscriber."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[int]] = set()

    async def publish(self, event_id: int) -> None:
        for queue in list(self._subscribers):
            if queue.full():
                _ = queue.get_nowait()  # keep the newest: ids are monotonic, the reader catches up
            queue.put_nowait(event_id)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[int]]:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=64)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    async def start(self) -> None:
        # In-process delivery cannot be lost: the gauge says so, as its help promises for SQLite.
        metrics.EVENT_LISTENER_CONNECTED.set(1)

    def status(self) -> dict[str, object]:
        """Always listening: publisher and subscribers share this process."""
        return {"listening": True, "reconnects": 0, "lastError": None}

    async def aclose(self) -> None:
        self._subscribers.clear()
