"""Idempotency keys: a retried create returns the first answer instead of a second request."""

from __future__ import annotations

import pytest

from nsaas.adapters.db import database, repository
from nsaas.domain import errors, records
from tests.db import given


async def test_a_create_stores_its_response_under_the_key_in_the_same_transaction(
    repository: repository.Repository,
) -> None:
    new = given.new_request()
    claim = records.IdempotencyClaim(
        owner="alice", key="k1", body_hash="h1", status_code=202, response={"requestId": new.id}
    )
    created = await repository.create_request(new, event=given.event(), audit=given.audit(), idempotency=claim)
    stored = await repository.idempotency_replay("alice", "k1", body_hash="h1")
    assert stored is not None
    assert (stored.status_code, stored.response) == (202, {"requestId": created.id})
    await repository.idempotency_store("alice", "k1", response={"data": {"requestId": created.id}, "success": True})
    replay = await repository.idempotency_get("alice", "k1")
    assert replay is not None
    assert replay.response == {"data": {"requestId": created.id}, "success": True}


async def test_the_same_key_with_another_body_is_refused(repository: repository.Repository) -> None:
    await repository.idempotency_put("alice", "k1", body_hash="h1", status_code=201, response={"ok": True})
    with pytest.raises(errors.IdempotencyMismatch):
        await repository.idempotency_replay("alice", "k1", body_hash="other")
    assert await repository.idempotency_replay("bob", "k1", body_hash="other") is None


async def test_a_failed_create_leaves_no_idempotency_entry(repository: repository.Repository) -> None:
    await given.create(repository, "taken")
    claim = records.IdempotencyClaim(owner="alice", key="k1", body_hash="h1")
    with pytest.raises(errors.Conflict):
        await repository.create_request(
            given.new_request("taken"), event=given.event(), audit=given.audit(), idempotency=claim
        )
    assert await repository.idempotency_get("alice", "k1") is None


async def test_a_key_stored_twice_is_a_conflict(repository: repository.Repository) -> None:
    await repository.idempotency_put("alice", "k1", body_hash="h1", status_code=201, response={})
    with pytest.raises(errors.Conflict):
        await repository.idempotency_put("alice", "k1", body_hash="h1", status_code=201, response={})


async def test_keys_expire_by_age_and_can_then_be_reused(database: database.Database) -> None:
    clock = given.Clock()
    repo = repository.Repository(database, clock=clock)
    await repo.idempotency_put("alice", "old", body_hash="h1", status_code=201, response={"n": 1})
    clock.advance(hours=23)
    await repo.idempotency_put("alice", "new", body_hash="h1", status_code=201, response={"n": 2})
    clock.advance(hours=2)
    assert await repo.idempotency_get("alice", "old") is None
    with pytest.raises(errors.NotFound):
        await repo.idempotency_store("alice", "old", response={})
    reused = await repo.idempotency_put("alice", "old", body_hash="h2", status_code=201, response={"n": 3})
    assert reused.response == {"n": 3}
    clock.advance(hours=24)
    assert await repo.idempotency_purge() == 2
