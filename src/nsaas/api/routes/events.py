"""Server-Sent Events of status changes: one namespace's timeline, or everything the caller may see.

Events are durable rows; the bus only wakes the stream. A stream therefore resumes exactly
where the browser left off (``Last-Event-ID``), and a missed wake-up costs at most one
catch-up interval, never an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from nsaas import metrics
from nsaas.api import ratelimit, schemas
from nsaas.api.deps import CallerDep, RuntimeDep
from nsaas.domain import records
from nsaas.runtime import Runtime

router = APIRouter(prefix="/api/platform", tags=["events"], responses=schemas.ERRORS)
KEEPALIVE_SECONDS = 15.0
CATCH_UP_SECONDS = 2.0


async def _stream(
    rt: Runtime, *, after: int, request_id: str | None, teams: Sequence[str] | None
) -> AsyncIterator[ServerSentEvent]:
    metrics.EVENT_SUBSCRIBERS.inc()
    try:
        async with rt.timeline.wakeups() as wakeups:
            last = after
            idle = 0.0
            while True:
                batch = await rt.timeline.after(last, request_id=request_id, teams=teams)
                for event in batch:
                    last = event.id
                    payload = schemas.Event.model_validate(schemas.event(event)).model_dump(mode="json")
                    yield ServerSentEvent(data=payload, id=str(event.id), event=event.kind)
                if batch:
                    idle = 0.0
                    continue
                try:
                    await asyncio.wait_for(wakeups.get(), timeout=CATCH_UP_SECONDS)
                except TimeoutError:
                    idle += CATCH_UP_SECONDS
                    if idle >= KEEPALIVE_SECONDS:
                        idle = 0.0
                        yield ServerSentEvent(comment="keepalive")
    finally:
        metrics.EVENT_SUBSCRIBERS.dec()


def _resume(last_event_id: str | None, default: int) -> int:
    if last_event_id and last_event_id.isascii() and last_event_id.isdigit() and len(last_event_id) <= 15:
        return int(last_event_id)
    return default


async def _stream_slot(request: Request, who: CallerDep) -> AsyncIterator[None]:
    """Holds one of the caller's (and the replica's) stream slots while the stream is open; 429 beyond."""
    slots: ratelimit.StreamSlots = request.app.state.streams
    slots.acquire(who.principal.subject)
    try:
        yield
    finally:
        slots.release(who.principal.subject)


StreamSlot = Depends(_stream_slot)


async def _visible(rt: RuntimeDep, who: CallerDep, name: str) -> records.RequestRecord:
    """Resolved before the stream starts, so a foreign or unknown name is a plain 404."""
    return await rt.requests.visible(name, who)


@router.get("/namespaces/{name}/events", response_class=EventSourceResponse, dependencies=[StreamSlot])
async def namespace_events(
    rt: RuntimeDep,
    record: Annotated[records.RequestRecord, Depends(_visible)],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """The request's whole timeline first, then every new event as it happens."""
    async for event in _stream(rt, after=_resume(last_event_id, 0), request_id=record.id, teams=None):
        yield event


@router.get("/events", response_class=EventSourceResponse, dependencies=[StreamSlot])
async def all_events(
    rt: RuntimeDep,
    who: CallerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Every new event of the namespaces the caller may see (from now, or from Last-Event-ID)."""
    teams = rt.requests.visible_teams(who)
    latest = await rt.timeline.latest_id()
    # Resuming from far back replays only the newest events; older ones are on each timeline.
    start = max(_resume(last_event_id, latest), latest - rt.settings.server.sse_replay_limit)
    async for event in _stream(rt, after=start, request_id=None, teams=teams):
        yield event
