"""Operators' gauges, refreshed in the background: against in-memory fakes of the ports."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from nsaas import config, metrics
from nsaas.domain import records
from nsaas.services import operations
from tests.services import fakes


async def test_a_hung_cluster_never_holds_up_or_marks_down_the_database_gauges(
    store: fakes.Store, cluster: fakes.Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "GAUGE_REFRESH_SECONDS", 0.01)
    reads = 0

    async def breakdown(*, teams: Sequence[str] | None = None) -> list[records.Allocation]:
        nonlocal reads
        reads += 1
        return []

    async def hung_ping() -> bool:
        await asyncio.Event().wait()
        return True

    store.breakdown = breakdown  # type: ignore[attr-defined]
    cluster.ping = hung_ping  # type: ignore[method-assign]
    ops = operations.Operations(repo=store, cluster=cluster, labels=config.LabelSettings())  # type: ignore[arg-type]
    loops = [asyncio.create_task(ops.gauge_loop()), asyncio.create_task(ops.cluster_gauge_loop())]
    await asyncio.sleep(0.3)
    for task in loops:
        task.cancel()
    await asyncio.gather(*loops, return_exceptions=True)
    assert reads >= 3
    assert ops.gauges_age() < 0.3
    assert metrics.REGISTRY.get_sample_value("nsaas_database_up") == 1
