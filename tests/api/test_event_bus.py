"""Event fan-out across replicas: a NOTIFY from one process wakes subscribers in every other."""

from __future__ import annotations

import asyncio

import pytest

from nsaas import metrics
from nsaas.adapters.events import memory, postgres
from tests.support import db as db_support


@pytest.mark.postgres
async def test_a_publish_on_one_replica_wakes_subscribers_on_another() -> None:
    await db_support._require_postgres()
    publisher, listener = postgres.PostgresBus(db_support.POSTGRES_URL), postgres.PostgresBus(db_support.POSTGRES_URL)
    await publisher.start()
    await listener.start()
    try:
        async with listener.subscribe() as wakeups:
            await publisher.publish(4242)
            seen = await asyncio.wait_for(wakeups.get(), timeout=10)
        assert seen == 4242
    finally:
        await publisher.aclose()
        await listener.aclose()


async def test_the_in_process_bus_keeps_the_newest_id_when_a_subscriber_lags() -> None:
    bus = memory.MemoryBus()
    async with bus.subscribe() as wakeups:
        for event_id in range(1, 100):
            await bus.publish(event_id)
        drained = [wakeups.get_nowait() for _ in range(wakeups.qsize())]
    assert drained[-1] == 99
    assert len(drained) <= 64


async def test_the_in_process_bus_reports_its_listener_connected() -> None:
    """``nsaas_event_listener_connected`` is 1 on SQLite (its help says so; an alert on 0 must not fire there)."""
    metrics.EVENT_LISTENER_CONNECTED.set(0)
    await memory.MemoryBus().start()
    assert metrics.EVENT_LISTENER_CONNECTED._value.get() == 1
