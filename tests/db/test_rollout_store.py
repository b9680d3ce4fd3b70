"""The rollout store's claim, polled by every worker, must not take SQLite's write lock for nothing."""

from __future__ import annotations

import asyncio

from nsaas.adapters.db import database, rollouts
from tests.db import given


async def test_looking_for_a_rollout_when_none_is_due_does_not_wait_for_the_write_lock(
    database: database.Database,
) -> None:
    store = rollouts.RolloutStore(database)
    held = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with database.write():
            held.set()
            await release.wait()

    holder = asyncio.create_task(writer())
    await held.wait()
    try:
        found = await asyncio.wait_for(store.claim(worker="w1", now=given.T0, lease_seconds=30), timeout=3)
    finally:
        release.set()
        await holder
    assert found is None
