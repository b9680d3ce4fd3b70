"""The live feed of request events (SSE): what is new after a Last-Event-ID, and when to look again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from nsaas.domain import records
from nsaas.services import ports


class Timeline:
    def __init__(self, *, repo: ports.EventLog, bus: ports.EventBus) -> None:
        self.repo = repo
        self.bus = bus

    async def after(
        self, after_id: int, *, request_id: str | None = None, teams: Sequence[str] | None = None, limit: int = 500
    ) -> list[records.EventRecord]:
        """Events newer than ``after_id``, oldest first; ``teams`` None means every team."""
        return await self.repo.events_after(after_id=after_id, request_id=request_id, teams=teams, limit=limit)

    async def latest_id(self) -> int:
        """Where a fresh stream starts."""
        return await self.repo.latest_event_id()

    def wakeups(self) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[int]]:
        """Event ids as they are committed (here or on another replica)."""
        return self.bus.subscribe()
