"""The notification outbox in the database: channels, queued deliveries and the event cursor.

Queueing and moving the cursor happen in one transaction, so an event is queued exactly once
per channel even with several workers (the cursor moves with a compare-and-set; a worker that
lost the race rolls back) and survives any crash. Deliveries are leased like reconciler work,
so two workers never send the same row at the same time; a row is marked delivered only after
the receiver said 2xx, which makes delivery at-least-once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import database, rows, tables
from nsaas.domain import errors, notifications, records

C = tables.notification_channels
O = tables.notification_outbox  # noqa: E741 - the table's initial, like E, A and R elsewhere
K = tables.notification_cursor
E = tables.status_events
CURSOR = "notifier"


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    dedup_key: str
    channel_id: str
    event_type: str
    payload: Mapping[str, Any]
    attempts: int


Channel = notifications.Channel
Queued = notifications.Queued
#: Turns new events and the channels of their teams into deliveries (pure; the notifier's rules).
Builder = Callable[[Sequence[records.EventRecord], Sequence[Channel]], list[Queued]]


def _channel(row: RowMapping | Mapping[str, Any]) -> Channel:
    return Channel(
        id=row["id"],
        team=row["team"],
        name=row["name"],
        url=row["url"],
        format=row["format"],
        events=tuple(row["events"] or ()),
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


class Outbox:
    def __init__(self, db: database.Database) -> None:
        self.database = db

    # -- channels ------------------------------------------------------------------------------

    async def channels(self, *, teams: Sequence[str] | None) -> list[Channel]:
        """Channels of ``teams`` (None = every team), by team and name."""
        query = select(C).order_by(C.c.team, C.c.name, C.c.id)
        if teams is not None:
            query = query.where(C.c.team.in_(list(teams)))
        async with self.database.read() as conn:
            return [_channel(row) for row in (await conn.execute(query)).mappings()]

    async def add_channel(
        self, *, team: str, name: str, url: str, fmt: str, events: Sequence[str], created_by: str, now: datetime
    ) -> Channel:
        values = {
            "id": str(uuid.uuid4()),
            "team": team,
            "name": name,
            "url": url,
            "format": fmt,
            "events": list(events),
            "created_by": created_by,
            "created_at": now,
        }
        async with self.database.write() as conn:
            await conn.execute(insert(C).values(values))
        return _channel(values)

    async def remove_channel(self, channel_id: str) -> Channel | None:
        async with self.database.write() as conn:
            row = (await conn.execute(select(C).where(C.c.id == channel_id))).mappings().one_or_none()
            if row is None:
                return None
            await conn.execute(delete(C).where(C.c.id == channel_id))
            return _channel(row)

    # -- queueing ------------------------------------------------------------------------------

    async def queue_new_events(self, *, build: Builder, now: datetime, limit: int = 200) -> int:
        """Queue the deliveries of events after the cursor and move it; the number of events read.

        The first run starts at the newest event: channels are told about what happens from now on.
        """
        async with self.database.write() as conn:
            cursor = (await conn.execute(select(K.c.last_event_id).where(K.c.name == CURSOR))).scalar_one_or_none()
            if cursor is None:
                latest = (await conn.execute(select(E.c.id).order_by(E.c.id.desc()).limit(1))).scalar_one_or_none()
                await conn.execute(insert(K).values(name=CURSOR, last_event_id=int(latest or 0)))
                return 0
            query = select(E).where(E.c.id > cursor).order_by(E.c.id).limit(limit)
            events = [rows.event(row) for row in (await conn.execute(query)).mappings()]
            if not events:
                return 0
            teams = sorted({e.team for e in events})
            found = await conn.execute(select(C).where(C.c.team.in_(teams)))
            queued = build(events, [_channel(row) for row in found.mappings()])
            await _insert_new(conn, queued, now=now)
            moved = await conn.execute(
                update(K).where(K.c.name == CURSOR, K.c.last_event_id == cursor).values(last_event_id=events[-1].id)
            )
            if moved.rowcount != 1:
                # Another notifier moved the cursor first: roll back, so nothing is queued twice.
                raise errors.Conflict("another notifier queued these events", details={"cursor": str(cursor)})
            return len(events)

    # -- delivering ----------------------------------------------------------------------------

    async def claim(self, *, worker: str, now: datetime, limit: int, lease_seconds: float) -> list[Delivery]:
        """Lease up to ``limit`` deliveries that are due and not delivered or given up."""
        free = or_(O.c.lease_owner.is_(None), O.c.lease_expires_at <= now)
        due = and_(O.c.delivered_at.is_(None), O.c.next_attempt_at.is_not(None), O.c.next_attempt_at <= now, free)
        async with self.database.write() as conn:
            claimed = await database.lease(
                conn,
                O,
                due=due,
                order_by=[O.c.next_attempt_at, O.c.id],
                worker=worker,
                now=now,
                limit=limit,
                lease_seconds=lease_seconds,
            )
            return [
                Delivery(
                    id=row["id"],
                    dedup_key=row["dedup_key"],
                    channel_id=row["channel_id"],
                    event_type=row["event_type"],
                    payload=row["payload"],
                    attempts=row["attempts"],
                )
                for row in claimed
            ]

    async def channel(self, channel_id: str) -> Channel | None:
        async with self.database.read() as conn:
            row = (await conn.execute(select(C).where(C.c.id == channel_id))).mappings().one_or_none()
            return None if row is None else _channel(row)

    async def delivered(self, delivery_id: int, *, now: datetime) -> None:
        await self._finish(delivery_id, {"delivered_at": now, "next_attempt_at": None, "last_error": None})

    async def failed(self, delivery_id: int, *, attempts: int, error: str, retry_at: datetime | None) -> None:
        """A failed attempt: try again at ``retry_at``, or never again (None: given up, kept for inspection)."""
        await self._finish(delivery_id, {"attempts": attempts, "last_error": error[:2000], "next_attempt_at": retry_at})

    async def _finish(self, delivery_id: int, values: dict[str, Any]) -> None:
        async with self.database.write() as conn:
            await conn.execute(
                update(O).where(O.c.id == delivery_id).values(lease_owner=None, lease_expires_at=None, **values)
            )

    async def deliveries(self) -> list[dict[str, Any]]:
        """Every queued delivery, oldest first (for tests and inspection)."""
        async with self.database.read() as conn:
            return [dict(row) for row in (await conn.execute(select(O).order_by(O.c.id))).mappings()]


async def _insert_new(conn: AsyncConnection, queued: Sequence[Queued], *, now: datetime) -> None:
    """Queue each delivery once: a dedup key already queued (by an earlier tick, or by a rival notifier
    whose transaction is still open) is skipped by the database itself, not by a read beforehand; a
    rival's race is then settled by the cursor check."""
    if not queued:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    await conn.execute(
        dialect.insert(O).on_conflict_do_nothing(index_elements=[O.c.dedup_key]),
        [
            {
                "dedup_key": q.dedup_key,
                "channel_id": q.channel_id,
                "event_type": q.event_type,
                "payload": dict(q.payload),
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for q in queued
        ],
    )
