"""Work claiming for reconciler replicas: due requests are leased to exactly one worker at a time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from nsaas.adapters.db import database, repository
from nsaas.domain import changes, errors, lifecycle
from tests.db import given

S = lifecycle.Status
NOW = given.T0


async def test_only_due_requests_in_active_states_are_claimed(repository: repository.Repository) -> None:
    due = await given.create(repository, "due", due=NOW - timedelta(seconds=1))
    await given.create(repository, "later", due=NOW + timedelta(seconds=1))
    await given.create(repository, "not-scheduled", due=None)
    await given.create(repository, "awaiting-approval", status=S.PENDING_APPROVAL, due=NOW)
    claimed = await repository.claim_due(worker="w1", now=NOW, limit=10, lease_seconds=30)
    assert [r.id for r in claimed] == [due.id]
    assert claimed[0].lease_owner == "w1"
    assert claimed[0].lease_expires_at == NOW + timedelta(seconds=30)
    assert claimed[0].version == due.version


async def test_the_most_overdue_requests_are_claimed_first_up_to_the_limit(repository: repository.Repository) -> None:
    for minutes in (1, 5, 3):
        await given.create(repository, f"late-{minutes}", due=NOW - timedelta(minutes=minutes))
    claimed = await repository.claim_due(worker="w1", now=NOW, limit=2, lease_seconds=30)
    assert [r.name for r in claimed] == ["late-5", "late-3"]


async def test_a_leased_request_is_claimable_again_only_after_its_lease_expires(
    repository: repository.Repository,
) -> None:
    await given.create(repository, due=NOW)
    assert len(await repository.claim_due(worker="w1", now=NOW, limit=10, lease_seconds=30)) == 1
    assert await repository.due_count(NOW) == 0
    assert await repository.claim_due(worker="w2", now=NOW + timedelta(seconds=29), limit=10, lease_seconds=30) == []
    [taken] = await repository.claim_due(worker="w2", now=NOW + timedelta(seconds=30), limit=10, lease_seconds=30)
    assert taken.lease_owner == "w2"


async def test_a_worker_that_lost_its_lease_cannot_write_its_outcome(repository: repository.Repository) -> None:
    created = await given.create(repository, due=NOW)
    await repository.claim_due(worker="w1", now=NOW, limit=1, lease_seconds=1)
    await repository.claim_due(worker="w2", now=NOW + timedelta(seconds=2), limit=1, lease_seconds=30)
    with pytest.raises(errors.Conflict):
        await repository.release(
            created.id, worker="w1", change=changes.Change(status=S.READY), event=given.event("w1 finished")
        )
    with pytest.raises(errors.Conflict):
        await repository.extend_lease(created.id, worker="w1", lease_seconds=30)
    still = await repository.get(created.id)
    assert (still.status, still.lease_owner) == (S.PROVISIONING, "w2")
    assert len(await repository.timeline(created.id)) == 1


async def test_release_writes_the_outcome_and_frees_the_lease(repository: repository.Repository) -> None:
    created = await given.create(repository, due=NOW)
    await repository.claim_due(worker="w1", now=NOW, limit=1, lease_seconds=30)
    ready = await repository.release(
        created.id,
        worker="w1",
        change=changes.Change(status=S.READY, ready_at=NOW, next_attempt_at=NOW + timedelta(minutes=5)),
    )
    assert (ready.status, ready.lease_owner, ready.lease_expires_at, ready.version) == (S.READY, None, None, 2)
    assert [e.status for e in await repository.timeline(created.id)] == [S.PROVISIONING, S.READY]
    assert await repository.claim_due(worker="w2", now=NOW, limit=1, lease_seconds=30) == []
    assert len(await repository.claim_due(worker="w2", now=NOW + timedelta(minutes=5), limit=1, lease_seconds=30)) == 1


async def test_due_count_is_the_backlog_of_unleased_due_work(repository: repository.Repository) -> None:
    for i in range(3):
        await given.create(repository, f"due-{i}", due=NOW)
    await given.create(repository, "future", due=NOW + timedelta(hours=1))
    assert await repository.due_count(NOW) == 3
    await repository.claim_due(worker="w1", now=NOW, limit=1, lease_seconds=30)
    assert await repository.due_count(NOW) == 2


async def test_concurrent_claimers_never_get_the_same_request(database: database.Database) -> None:
    """Two replicas (separate connections) claim at once: every due request goes to exactly one."""
    repo = repository.Repository(database)
    for i in range(24):
        await given.create(repo, f"ns-{i:02d}", due=NOW)
    rounds = [repo.claim_due(worker=f"w{n}", now=NOW, limit=5, lease_seconds=60) for n in range(4) for _ in range(2)]
    batches = await asyncio.gather(*rounds)
    claimed = [r.id for batch in batches for r in batch]
    assert len(claimed) == len(set(claimed)) == 24
    owners = {r.id: r.lease_owner for batch in batches for r in batch}
    for request_id, owner in owners.items():
        assert (await repo.get(request_id)).lease_owner == owner


async def test_an_outcome_based_on_a_stale_version_is_refused_and_the_lease_kept(
    repository: repository.Repository,
) -> None:
    created = await given.create(repository, due=NOW)
    [claimed] = await repository.claim_due(worker="w1", now=NOW, limit=1, lease_seconds=30)
    await repository.update(
        created.id, expected_version=claimed.version, change=changes.Change(status_reason="user edit")
    )
    with pytest.raises(errors.PreconditionFailed):
        await repository.release(
            created.id, worker="w1", change=changes.Change(status=S.READY), expected_version=claimed.version
        )
    current = await repository.get(created.id)
    assert (current.status, current.lease_owner, current.status_reason) == (S.PROVISIONING, "w1", "user edit")
