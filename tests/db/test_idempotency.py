"""Idempotency keys: a retried create returns the first answer instead of a second request."""

from __future__ import annotations

import pytest

from nsaas.adapters.db import database, repository
from nsaas.domain import errors, records
from tests.db import given


async def _create_with_key(
    repo: repository.Repository,
    name: str,
    *,
    key: str,
    body_hash: str = "h1",
    response: dict[str, object] | None = None,
) -> records.RequestRecord:
    claim = records.IdempotencyClaim(
        owner="alice", key=key, body_hash=body_hash, status_code=202, response=response or {"name": name}
    )
    return await repo.create_request(
        given.new_request(name), event=given.event(), audit=given.audit(), idempotency=claim
    )


async def test_a_create_stores_its_response_under_the_key_in_the_same_transaction(
    repository: repository.Repository,
) -> None:
    created = await _create_with_key(repository, "payments-dev", key="k1", response={"requestId": "r1"})
    stored = await repository.idempotency_reserve("alice", "k1", body_hash="h1")
    assert stored is not None
    assert (stored.status_code, stored.response) == (202, {"requestId": "r1"})
    assert created.name == "payments-dev"


async def test_the_same_key_with_another_body_is_refused(repository: repository.Repository) -> None:
    await _create_with_key(repository, "payments-dev", key="k1")
    with pytest.raises(errors.IdempotencyMismatch):
        await repository.idempotency_reserve("alice", "k1", body_hash="other")
    assert await repository.idempotency_reserve("bob", "k1", body_hash="other") is None


async def test_a_failed_create_leaves_no_idempotency_entry(repository: repository.Repository) -> None:
    await given.create(repository, "taken")
    claim = records.IdempotencyClaim(owner="alice", key="k1", body_hash="h1")
    with pytest.raises(errors.Conflict):
        await repository.create_request(
            given.new_request("taken"), event=given.event(), audit=given.audit(), idempotency=claim
        )
    assert await repository.idempotency_get("alice", "k1") is None


async def test_a_key_stored_twice_is_a_conflict(repository: repository.Repository) -> None:
    await _create_with_key(repository, "first", key="k1")
    with pytest.raises(errors.Conflict):
        await _create_with_key(repository, "second", key="k1")
    assert await repository.find_live_by_name("second") is None


async def test_keys_expire_by_age_and_can_then_be_reused(database: database.Database) -> None:
    clock = given.Clock()
    repo = repository.Repository(database, clock=clock)
    await _create_with_key(repo, "one", key="old", response={"n": 1})
    clock.advance(hours=23)
    await _create_with_key(repo, "two", key="new", response={"n": 2})
    clock.advance(hours=2)
    assert await repo.idempotency_get("alice", "old") is None
    await _create_with_key(repo, "three", key="old", body_hash="h2", response={"n": 3})
    reused = await repo.idempotency_get("alice", "old")
    assert reused is not None
    assert reused.response == {"n": 3}
    clock.advance(hours=24)
    assert await repo.idempotency_purge() == 2
