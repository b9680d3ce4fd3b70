"""PostgreSQL LISTEN/NOTIFY bus: a NOTIFY from any process (API replica or worker) wakes all."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import structlog

from nsaas.adapters.events import memory

CHANNEL = "nsaas_events"
log = structlog.get_logger("nsaas.events")


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """asyncpg wants a plain ``postgresql://`` DSN, not SQLAlchemy's ``postgresql+asyncpg://``."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class PostgresBus:
    """Publishes with NOTIFY; one LISTEN connection per process feeds a local :class:`MemoryBus`."""

    def __init__(self, url: str) -> None:
        self._dsn = asyncpg_dsn(url)
        self._local = memory.MemoryBus()
        self._listener: asyncpg.Connection | None = None
        self._publisher: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        self._listener = await asyncpg.connect(self._dsn)
        await self._listener.add_listener(CHANNEL, self._on_notify)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        if payload.isdigit():
            asyncio.get_running_loop().create_task(self._local.publish(int(payload)))

    async def publish(self, event_id: int) -> None:
        async with self._lock:
            try:
                if self._publisher is None or self._publisher.is_closed():
                    self._publisher = await asyncpg.connect(self._dsn)
                await self._publisher.execute("SELECT pg_notify($1, $2)", CHANNEL, str(event_id))
            except (OSError, asyncpg.PostgresError) as exc:
                # Subscribers also catch up periodically, so a lost wake-up only delays them.
                log.warning("notify failed", error=str(exc))
                await self._local.publish(event_id)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[int]]:
        async with self._local.subscribe() as queue:
            yield queue

    async def aclose(self) -> None:
        for conn in (self._listener, self._publisher):
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(OSError, asyncpg.PostgresError):
                    await conn.close()
        self._listener = self._publisher = None
        await self._local.aclose()


def for_url(url: str) -> memory.MemoryBus | PostgresBus:
    return PostgresBus(url) if url.startswith("postgresql") else memory.MemoryBus()
