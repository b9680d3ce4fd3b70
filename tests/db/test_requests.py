"""Namespace requests in the database: what the API reads and writes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import exc

from nsaas.adapters.db import database, repository
from nsaas.adapters.db import repository as repository_module
from nsaas.domain import changes, errors, lifecycle
from tests.db import given

S = lifecycle.Status


async def test_a_created_request_reads_back_with_its_spec_and_first_event(
    repository: repository.Repository,
) -> None:
    created = await given.create(repository, "payments-dev", resourceTier="medium")
    fetched = await repository.get(created.id)
    assert fetched == created
    assert fetched.spec_obj == given.spec("payments-dev", resourceTier="medium")
    assert (fetched.name, fetched.team, fetched.tier, fetched.status) == (
        "payments-dev",
        "team-a",
        "medium",
        S.PROVISIONING,
    )
    assert (fetched.version, fetched.generation, fetched.observed_generation) == (1, 1, 0)
    [first] = await repository.timeline(created.id)
    assert (first.kind, first.status, first.namespace, first.message) == (
        "status",
        S.PROVISIONING,
        "payments-dev",
        "requested",
    )
    audits, total = await repository.list_audit(target="payments-dev")
    assert total == 1
    assert audits[0].roles == ("team:team-a:developer",)


async def test_an_unknown_request_id_is_not_found(repository: repository.Repository) -> None:
    with pytest.raises(errors.NotFound):
        await repository.get("00000000-0000-0000-0000-000000000000")


async def test_timestamps_come_back_as_timezone_aware_utc(database: database.Database) -> None:
    paris = timezone(timedelta(hours=1))
    repo = repository.Repository(database, clock=lambda: datetime(2026, 3, 1, 13, 0, tzinfo=paris))
    created = await given.create(repo)
    updated = await repo.update(
        created.id, expected_version=None, change=changes.Change(expires_at=datetime(2026, 3, 2, 9, 30, tzinfo=paris))
    )
    assert created.created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert created.created_at.utcoffset() == timedelta(0)
    assert updated.expires_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert updated.expires_at is not None
    assert updated.expires_at.tzinfo is UTC
    [event] = await repo.timeline(created.id)
    assert event.at.tzinfo is UTC


async def test_a_naive_datetime_is_refused_rather_than_guessed(repository: repository.Repository) -> None:
    created = await given.create(repository)
    with pytest.raises(exc.StatementError, match="naive datetime"):
        await repository.update(
            created.id, expected_version=None, change=changes.Change(expires_at=datetime(2026, 3, 2))
        )
    assert (await repository.get(created.id)).expires_at is None


async def test_listing_filters_by_visibility_and_fields_and_pages_newest_first(database: database.Database) -> None:
    clock = given.Clock()
    repo = repository.Repository(database, clock=clock)
    for name, team, env, tier in [
        ("a-dev", "team-a", "development", "small"),
        ("a-stg", "team-a", "staging", "medium"),
        ("b-dev", "team-b", "development", "small"),
        ("b-prod", "team-b", "production", "large"),
        ("c-dev", "team-c", "development", "micro"),
    ]:
        clock.advance(minutes=1)
        await given.create(repo, name, team=team, environment=env, resourceTier=tier)

    async def names(**filters: object) -> tuple[list[str], int | None]:
        page = await repo.list_requests(**filters)  # type: ignore[arg-type]
        return [r.name for r in page.items], page.total

    assert await names() == (["c-dev", "b-prod", "b-dev", "a-stg", "a-dev"], 5)
    assert await names(teams=["team-a", "team-b"], environment="development") == (["b-dev", "a-dev"], 2)
    assert await names(teams=[]) == ([], 0)
    assert await names(team="team-b", tier="large") == (["b-prod"], 1)
    assert await names(name_contains="-d") == (["c-dev", "b-dev", "a-dev"], 3)
    assert await names(name_contains="%") == ([], 0)
    assert await names(status=S.PROVISIONING, offset=1, limit=2) == (["b-prod", "b-dev"], 5)
    assert await names(status=[S.READY, S.FAILED]) == ([], 0)


async def test_a_live_name_cannot_be_requested_twice_but_a_deleted_one_frees_it(
    repository: repository.Repository,
) -> None:
    first = await given.create(repository, "shared-name")
    with pytest.raises(errors.Conflict) as caught:
        await given.create(repository, "shared-name", team="team-b")
    assert "namespaceName" in caught.value.details
    assert (await repository.list_requests()).total == 1
    assert len(await repository.timeline(first.id)) == 1
    assert (await repository.list_audit())[1] == 1

    await repository.update(first.id, expected_version=1, change=changes.Change(status=S.DECOMMISSIONING))
    await repository.update(first.id, expected_version=2, change=changes.Change(status=S.DELETED, end_state=S.DELETED))
    second = await given.create(repository, "shared-name", team="team-b")
    assert await repository.find_live_by_name("shared-name") == second
    assert await repository.get_latest_by_name("shared-name") == second
    assert (await repository.get(first.id)).end_state == S.DELETED


async def test_the_database_itself_refuses_a_second_live_request_for_a_name(database: database.Database) -> None:
    """The partial unique index holds even if two creates race past the application's check."""
    from sqlalchemy import insert

    from nsaas.adapters.db import rows, tables

    repo = repository.Repository(database)
    await given.create(repo, "raced")
    duplicate = rows.new_request_values(given.new_request("raced"), now=datetime.now(UTC))
    with pytest.raises(exc.IntegrityError):
        async with database.write() as conn:
            await conn.execute(insert(tables.namespace_requests).values(duplicate))


async def test_a_stale_version_is_refused_and_nothing_is_written(repository: repository.Repository) -> None:
    created = await given.create(repository)
    changed = await repository.update(created.id, expected_version=1, change=changes.Change(status_reason="applying"))
    assert changed.version == 2
    with pytest.raises(errors.PreconditionFailed):
        await repository.update(
            created.id,
            expected_version=1,
            change=changes.Change(status_reason="lost update"),
            event=given.event("should not exist", kind="info"),
            audit=given.audit("namespace.update"),
        )
    assert (await repository.get(created.id)).status_reason == "applying"
    assert len(await repository.timeline(created.id)) == 1
    assert (await repository.list_audit(action="namespace.update"))[1] == 0


async def test_an_illegal_transition_is_refused_and_nothing_is_written(repository: repository.Repository) -> None:
    created = await given.create(repository, status=S.PENDING_APPROVAL)
    with pytest.raises(errors.InvalidTransition):
        await repository.update(
            created.id,
            expected_version=None,
            change=changes.Change(status=S.READY),
            event=given.event("skipped provisioning"),
            audit=given.audit("namespace.update"),
        )
    after = await repository.get(created.id)
    assert (after.status, after.version) == (S.PENDING_APPROVAL, 1)
    assert len(await repository.timeline(created.id)) == 1
    assert (await repository.list_audit(action="namespace.update"))[1] == 0


async def test_a_status_change_records_a_status_event_and_an_audit_diff(repository: repository.Repository) -> None:
    created = await given.create(repository, status=S.PENDING_APPROVAL)
    approved = await repository.update(
        created.id,
        expected_version=1,
        change=changes.Change(status=S.PROVISIONING, status_reason="approved by bob", approved_by="bob"),
        event=given.event("bob looked at it", kind="info"),
        audit=given.audit("namespace.approve", actor="bob"),
    )
    timeline = await repository.timeline(created.id)
    assert [(e.kind, e.status, e.message) for e in timeline[1:]] == [
        ("status", S.PROVISIONING, "approved by bob"),
        ("info", S.PROVISIONING, "bob looked at it"),
    ]
    [entry], _ = await repository.list_audit(actor="bob")
    assert entry.before == {"status": "pending-approval", "status_reason": "", "approved_by": None}
    assert entry.after == {"status": "provisioning", "status_reason": "approved by bob", "approved_by": "bob"}
    assert approved.updated_at >= created.updated_at


async def test_a_spec_change_bumps_generation_and_the_tier_column(repository: repository.Repository) -> None:
    created = await given.create(repository)
    bigger = given.spec("payments-dev", resourceTier="large")
    changed = await repository.update(created.id, expected_version=1, change=changes.Change(spec=bigger))
    assert (changed.tier, changed.generation, changed.version) == ("large", 2, 2)
    assert changed.spec_obj == bigger
    same = await repository.update(created.id, expected_version=2, change=changes.Change(spec=bigger))
    assert (same.generation, same.version) == (2, 3)
    with pytest.raises(ValueError, match="team"):
        await repository.update(
            created.id, expected_version=None, change=changes.Change(spec=given.spec(team="team-b"))
        )


async def test_reconciler_bookkeeping_does_not_change_the_etag(repository: repository.Repository) -> None:
    created = await given.create(repository)
    later = created.created_at + timedelta(minutes=5)
    moved = await repository.update(
        created.id, expected_version=None, change=changes.Change(next_attempt_at=later, last_resync_at=later)
    )
    assert (moved.version, moved.next_attempt_at, moved.updated_at) == (1, later, created.updated_at)


async def test_team_usage_counts_only_live_requests(repository: repository.Repository) -> None:
    small = await given.create(repository, "a-one", resourceTier="small")
    large = await given.create(repository, "a-two", resourceTier="large")
    await given.create(repository, "b-one", team="team-b", resourceTier="medium")
    gone = await given.create(repository, "a-gone", resourceTier="medium", status=S.PENDING_APPROVAL)
    await repository.update(gone.id, expected_version=None, change=changes.Change(status=S.REJECTED))
    assert sorted(await repository.team_usage("team-a")) == ["large", "small"]
    assert await repository.team_usage("team-a", exclude_id=large.id) == ["small"]
    assert small.live
    assert not (await repository.get(gone.id)).live


async def test_requests_past_their_ttl_are_listed_as_expiring(repository: repository.Repository) -> None:
    soon = await given.create(repository, "short-lived")
    await given.create(repository, "forever")
    deadline = soon.created_at + timedelta(hours=1)
    await repository.update(soon.id, expected_version=None, change=changes.Change(expires_at=deadline))
    assert await repository.expiring(before=deadline - timedelta(seconds=1)) == []
    assert [r.name for r in await repository.expiring(before=deadline)] == ["short-lived"]


async def test_creations_are_counted_per_user_for_the_rate_limit(database: database.Database) -> None:
    clock = given.Clock()
    repo = repository.Repository(database, clock=clock)
    await given.create(repo, "one")
    clock.advance(minutes=10)
    await given.create(repo, "two")
    assert await repo.count_created_by("alice@example.com", since=clock.now - timedelta(minutes=5)) == 1
    assert await repo.count_created_by("alice@example.com", since=given.T0) == 2
    assert await repo.count_created_by("mallory@example.com", since=given.T0) == 0


async def test_the_ended_requests_among_many_ids_are_read_in_batches(
    repository: repository.Repository, database: database.Database
) -> None:
    """The orphan sweep's read: ended requests only, unknown ids skipped, one query per batch of ids."""
    live = await given.create(repository, "still-live")
    ended = await given.create(repository, "was-deleted")
    await repository.update(ended.id, expected_version=1, change=changes.Change(status=S.DECOMMISSIONING))
    await repository.update(ended.id, expected_version=2, change=changes.Change(status=S.DELETED, end_state=S.DELETED))
    unknown = [f"unknown-{i}" for i in range(2 * repository_module.ID_BATCH)]
    with given.selects(database) as statements:
        found = await repository.ended_requests([live.id, ended.id, *unknown])
    assert [r.id for r in found] == [ended.id]
    assert len(statements) == 3  # 1,002 ids in batches of 500
