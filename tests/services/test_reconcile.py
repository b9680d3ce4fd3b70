"""The reconciler's rules, run against in-memory fakes: no database, no cluster, no sleeping."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence

import pytest

from nsaas import config
from nsaas.domain import errors, lifecycle, records
from nsaas.reconcile import loop
from nsaas.services import requests
from tests.services import fakes
from tests.services.conftest import DEVELOPER

S = lifecycle.Status


def body(name: str = "team-a-shop", **overrides: object) -> dict[str, object]:
    return {
        "namespaceName": name,
        "team": "team-a",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        **overrides,
    }


def accepted(new: object) -> dict[str, object]:
    return {"accepted": True}


async def test_a_submitted_request_becomes_ready_in_one_tick(
    service: requests.RequestService, reconciler: loop.Reconciler, store: fakes.Store, cluster: fakes.Cluster
) -> None:
    submitted = await service.submit(body(), DEVELOPER, respond=accepted)
    assert submitted.record is not None
    assert await reconciler.tick() == 1
    ready = await store.get(submitted.record.id)
    assert (ready.status, ready.observed_generation, ready.attempts) == (S.READY, 1, 0)
    assert ready.applied_digest == cluster.namespaces["team-a-shop"].digest
    assert [a.action for a in store.audits] == ["namespace.request", "namespace.provisioned"]


async def test_a_status_write_does_not_move_the_generation_users_hold(
    service: requests.RequestService, reconciler: loop.Reconciler, store: fakes.Store
) -> None:
    submitted = await service.submit(body(), DEVELOPER, respond=accepted)
    assert submitted.record is not None
    await reconciler.tick()
    ready = await store.get(submitted.record.id)
    assert ready.version > submitted.record.version
    assert ready.generation == submitted.record.generation
    changed = await service.update(
        "team-a-shop", {"description": "x"}, DEVELOPER, expected_generation=submitted.record.generation
    )
    assert (changed.status, changed.generation) == (S.UPDATING, 2)


async def test_a_namespace_of_another_owner_fails_permanently_and_is_not_touched(
    service: requests.RequestService,
    reconciler: loop.Reconciler,
    store: fakes.Store,
    cluster: fakes.Cluster,
) -> None:
    submitted = await service.submit(body(), DEVELOPER, respond=accepted)
    assert submitted.record is not None
    cluster.namespaces["team-a-shop"] = fakes.Namespace("team-a-shop", {"platform.io/managed": "true"})
    await reconciler.tick()
    failed = await store.get(submitted.record.id)
    assert failed.status == S.FAILED
    assert "belongs to another request" in failed.status_reason
    assert "team-a-shop" in cluster.namespaces
    assert cluster.applies == 0


async def test_a_refusal_by_the_cluster_backs_off_and_gives_up_after_max_attempts(
    service: requests.RequestService,
    reconciler: loop.Reconciler,
    store: fakes.Store,
    cluster: fakes.Cluster,
    clock: fakes.Clock,
    settings: config.Settings,
) -> None:
    submitted = await service.submit(body(), DEVELOPER, respond=accepted)
    assert submitted.record is not None
    cluster.refusal = "namespaces is forbidden (fake)"
    for _ in range(settings.engines.max_attempts):
        await reconciler.tick()
        clock.advance(seconds=settings.engines.backoff_max_seconds)
    failed = await store.get(submitted.record.id)
    assert (failed.status, failed.attempts) == (S.FAILED, settings.engines.max_attempts)
    assert failed.status_reason.startswith(f"gave up after {settings.engines.max_attempts} attempts")


async def test_a_cluster_outage_never_fails_a_new_request_it_waits_and_then_converges(
    service: requests.RequestService,
    reconciler: loop.Reconciler,
    store: fakes.Store,
    cluster: fakes.Cluster,
    clock: fakes.Clock,
    settings: config.Settings,
) -> None:
    """Unreachable is not refused: an API server outage (or upgrade) must not fail in-flight work."""
    submitted = await service.submit(body(), DEVELOPER, respond=accepted)
    assert submitted.record is not None
    cluster.down = True
    for _ in range(settings.engines.max_attempts * 3):
        await reconciler.tick()
        clock.advance(seconds=settings.engines.backoff_max_seconds)
    waiting = await store.get(submitted.record.id)
    assert (waiting.status, waiting.attempts) == (S.PROVISIONING, settings.engines.max_attempts * 3)
    assert waiting.status_reason == "waiting for the cluster: the cluster is down (fake)"
    assert service.state_facts(waiting, DEVELOPER).waiting_for_cluster
    assert waiting.next_attempt_at is not None
    assert (waiting.next_attempt_at - clock()).total_seconds() <= settings.engines.backoff_max_seconds
    cluster.down = False
    await reconciler.tick()
    ready = await store.get(submitted.record.id)
    assert (ready.status, ready.status_reason, ready.attempts) == (S.READY, "ready", 0)
    assert not service.state_facts(ready, DEVELOPER).waiting_for_cluster


async def test_decommission_deletes_only_the_owned_namespace_and_ends_deleted(
    service: requests.RequestService,
    reconciler: loop.Reconciler,
    store: fakes.Store,
    cluster: fakes.Cluster,
    clock: fakes.Clock,
    settings: config.Settings,
) -> None:
    submitted = await service.submit(body(), DEVELOPER, respond=accepted)
    assert submitted.record is not None
    await reconciler.tick()
    await service.decommission("team-a-shop", DEVELOPER)
    clock.advance(seconds=settings.policy.decommission_grace_seconds + 1)
    await reconciler.tick()  # starts the deletion
    await reconciler.tick()  # sees it gone
    clock.advance(seconds=settings.engines.poll_seconds)
    await reconciler.tick()
    ended = await store.get(submitted.record.id)
    assert (ended.status, cluster.deleted) == (S.DELETED, ["team-a-shop"])


async def test_a_namespace_reappearing_after_its_request_ended_is_swept(
    service: requests.RequestService,
    reconciler: loop.Reconciler,
    store: fakes.Store,
    cluster: fakes.Cluster,
) -> None:
    submitted = await service.submit(body(), DEVELOPER, respond=accepted)
    assert submitted.record is not None
    await service.cancel(submitted.record.id, DEVELOPER)
    record = await store.get(submitted.record.id)
    cluster.namespaces["team-a-shop"] = fakes.Namespace(
        "team-a-shop", {"platform.io/managed": "true", "platform.io/request-id": record.id}
    )
    store.requests[record.id] = dataclasses.replace(record, status=S.CANCELLED)
    cluster.namespaces["someone-elses"] = fakes.Namespace(
        "someone-elses", {"platform.io/managed": "true", "platform.io/request-id": "unknown-id"}
    )
    assert await reconciler.housekeeping.sweep_orphans() == 1
    assert cluster.deleted == ["team-a-shop"]
    assert "someone-elses" in cluster.namespaces


async def test_the_orphan_sweep_reads_the_owning_requests_in_one_batch(
    reconciler: loop.Reconciler, store: fakes.Store, cluster: fakes.Cluster
) -> None:
    """One database call for the whole sweep, not one per managed namespace."""
    reads: list[str] = []
    real_get, real_batch = store.get, store.ended_requests

    async def counted_get(request_id: str) -> records.RequestRecord:
        reads.append("get")
        return await real_get(request_id)

    async def counted_batch(ids: Sequence[str]) -> list[records.RequestRecord]:
        reads.append("ended_requests")
        return await real_batch(ids)

    store.get, store.ended_requests = counted_get, counted_batch  # type: ignore[method-assign]
    for i in range(30):
        cluster.namespaces[f"ns-{i}"] = fakes.Namespace(
            f"ns-{i}", {"platform.io/managed": "true", "platform.io/request-id": f"unknown-{i}"}
        )
    assert await reconciler.housekeeping.sweep_orphans() == 0
    assert reads == ["ended_requests"]


async def test_a_slow_orphan_sweep_does_not_hold_up_claiming(
    reconciler: loop.Reconciler, cluster: fakes.Cluster, clock: fakes.Clock
) -> None:
    """The sweep runs beside the loop: housekeeping returns while the cluster listing still hangs."""
    release = asyncio.Event()
    listing = cluster.list_namespaces

    async def slow_listing(*, labels: Mapping[str, str]) -> list[fakes.Namespace]:
        await release.wait()
        return await listing(labels=labels)

    cluster.list_namespaces = slow_listing  # type: ignore[method-assign]
    await asyncio.wait_for(reconciler.housekeeping.run(clock()), timeout=5)
    release.set()
    await reconciler.housekeeping.settled()


async def test_housekeeping_purges_expired_idempotency_keys_once_per_resync(
    reconciler: loop.Reconciler, store: fakes.Store, clock: fakes.Clock, settings: config.Settings
) -> None:
    await reconciler.tick()
    await reconciler.tick()
    assert store.purges == 1
    clock.advance(seconds=settings.engines.resync_seconds)
    await reconciler.tick()
    assert store.purges == 2


async def test_refilling_slots_runs_the_ttl_query_once_per_poll_interval(
    reconciler: loop.Reconciler, store: fakes.Store, clock: fakes.Clock, settings: config.Settings
) -> None:
    """The loop refills a slot each time a step ends; the TTL query must not run on every refill."""
    queries = 0
    expiring = store.expiring

    async def counted(*, before: object, limit: int = 100) -> list[records.RequestRecord]:
        nonlocal queries
        queries += 1
        return await expiring(before=before, limit=limit)  # type: ignore[arg-type]

    store.expiring = counted  # type: ignore[method-assign]
    for _ in range(5):
        await reconciler._fill()
    assert queries == 1
    clock.advance(seconds=settings.engines.poll_seconds)
    await reconciler._fill()
    assert queries == 2
    await reconciler.tick()
    assert queries == 3
    await reconciler.housekeeping.settled()


async def test_a_ttl_that_ran_out_starts_decommissioning(
    service: requests.RequestService, reconciler: loop.Reconciler, store: fakes.Store, clock: fakes.Clock
) -> None:
    submitted = await service.submit(body(ttl="1h"), DEVELOPER, respond=accepted)
    assert submitted.record is not None
    await reconciler.tick()
    clock.advance(hours=2)
    await reconciler.tick()
    expired = await store.get(submitted.record.id)
    assert (expired.status, expired.end_state) == (S.DECOMMISSIONING, S.EXPIRED)


async def test_a_step_whose_outcome_cannot_be_written_for_a_database_outage_ends_quietly(
    service: requests.RequestService,
    reconciler: loop.Reconciler,
    store: fakes.Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The lease lapses and the next claim redoes the step; the step task must not end in an
    exception nobody retrieves (``Task exception was never retrieved`` under a real outage)."""
    submitted = await service.submit(body(), DEVELOPER, respond=accepted)
    assert submitted.record is not None

    async def database_down(*args: object, **kwargs: object) -> None:
        raise errors.DatabaseUnavailable("database unavailable: ConnectionRefusedError")

    monkeypatch.setattr(store, "release", database_down)
    [record] = await store.claim_due(worker="w1", now=store.clock(), limit=1, lease_seconds=30)
    await reconciler._leased(record)  # raised DatabaseUnavailable before
    assert (await store.get(record.id)).lease_owner == "w1"  # nothing written; the lease lapses


def test_the_backoff_stays_at_its_cap_however_long_an_outage_lasts(
    reconciler: loop.Reconciler, settings: config.Settings
) -> None:
    """A days-long outage counts thousands of attempts; 2 ** attempts must not overflow the delay."""
    delays = [reconciler.outcomes.backoff(attempts) for attempts in (1, 10, 1100, 100_000)]
    assert delays[0] <= settings.engines.backoff_base_seconds
    assert all(
        settings.engines.backoff_max_seconds / 2 <= d <= settings.engines.backoff_max_seconds for d in delays[1:]
    )
