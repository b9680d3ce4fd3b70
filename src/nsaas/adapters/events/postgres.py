"""PostgreSQL LISTEN/NOTIFY bus: a NOTIFY from any process (API replica or worker) wakes all.

The LISTEN connection is supervised: when it drops (database restart, failover, network cut)
the bus says so (:meth:`PostgresBus.status`, ``nsaas_event_listener_connected``), wakes its
local subscribers so they catch up from the durable event rows, and reconnects with capped
backoff. Without that, cross-replica SSE and worker wake-ups would silently degrade to polling.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import structlog

from nsaas import metrics
from nsaas.adapters.events import memory

CHANNEL = "nsaas_events"
#: How often the listener proves its connection alive (a silent cut shows no error until used).
PROBE_SECONDS = 5.0
RECONNECT_MAX_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 5.0
log = structlog.get_logger("nsaas.events")


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """asyncpg wants a plain ``postgresql://`` DSN, not SQLAlchemy's ``postgresql+asyncpg://``."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class PostgresBus:
    """Publishes with NOTIFY; one supervised LISTEN connection per process feeds a local :class:`MemoryBus`."""

    def __init__(self, url: str, *, probe_seconds: float = PROBE_SECONDS) -> None:
        self._dsn = asyncpg_dsn(url)
        self._local = memory.MemoryBus()
        self._listener: asyncpg.Connection | None = None
        self._publisher: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._probe_seconds = probe_seconds
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._last_id = 0
        self._state: dict[str, Any] = {"listening": False, "reconnects": 0, "lastError": None}

    async def start(self) -> None:
        """Listen now if the database answers; otherwise keep trying in the background."""
        with contextlib.suppress(OSError, asyncpg.PostgresError, TimeoutError):
            await self._connect()
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._supervise(), name="nsaas-listen")

    def status(self) -> dict[str, Any]:
        """``listening`` (the LISTEN connection is up), ``reconnects`` so far, ``lastError``."""
        return dict(self._state)

    async def _connect(self) -> None:
        try:
            conn = await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT_SECONDS)
            await conn.add_listener(CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            self._mark(listening=False, error=f"{type(exc).__name__}")
            raise
        conn.add_termination_listener(lambda _conn: self._lost.set())
        self._listener = conn
        self._lost.clear()
        self._mark(listening=True, error=None)

    def _mark(self, *, listening: bool, error: str | None) -> None:
        self._state["listening"] = listening
        if error is not None:
            self._state["lastError"] = error
        metrics.EVENT_LISTENER_CONNECTED.set(1 if listening else 0)

    async def _supervise(self) -> None:
        delay = 0.1
        while True:
            if self._listener is not None and not self._listener.is_closed():
                await self._watch(self._listener)
                log.warning("event listener lost its connection; reconnecting", error=self._state["lastError"])
                self._mark(listening=False, error=self._state["lastError"] or "connection lost")
                await self._drop_listener()
                # NOTIFYs sent while disconnected are gone: wake everyone so they re-read the rows.
                await self._local.publish(self._last_id)
            try:
                await self._connect()
            except (OSError, asyncpg.PostgresError, TimeoutError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
                continue
            delay = 0.1
            self._state["reconnects"] += 1
            log.info("event listener reconnected", reconnects=self._state["reconnects"])
            await self._local.publish(self._last_id)

    async def _watch(self, conn: asyncpg.Connection) -> None:
        """Return when the connection is gone: closed by the server or failing a probe."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout=self._probe_seconds)
                return
            try:
                await asyncio.wait_for(conn.fetchval("SELECT 1"), timeout=self._probe_seconds)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                self._state["lastError"] = type(exc).__name__
                return

    async def _drop_listener(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None:
            conn.terminate()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        if payload.isdigit():
            self._last_id = max(self._last_id, int(payload))
            asyncio.get_running_loop().create_task(self._local.publish(int(payload)))

    async def publish(self, event_id: int) -> None:
        self._last_id = max(self._last_id, event_id)
        async with self._lock:
            try:
                if self._publisher is None or self._publisher.is_closed():
                    self._publisher = await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT_SECONDS)
                await self._publisher.execute("SELECT pg_notify($1, $2)", CHANNEL, str(event_id))
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                # Subscribers also catch up periodically, so a lost wake-up only delays them.
                log.warning("notify failed", error=type(exc).__name__)
                if self._publisher is not None:
                    self._publisher.terminate()
                    self._publisher = None
                await self._local.publish(event_id)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[int]]:
        async with self._local.subscribe() as queue:
            yield queue

    async def aclose(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        for conn in (self._listener, self._publisher):
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    await asyncio.wait_for(conn.close(), timeout=2)
        self._listener = self._publisher = None
        self._mark(listening=False, error=None)
        await self._local.aclose()


def for_url(url: str) -> memory.MemoryBus | PostgresBus:
    return PostgresBus(url) if url.startswith("postgresql") else memory.MemoryBus()
