"""Analytics computed by the database from the stored requests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from nsaas import config
from nsaas.adapters.db import database, repository
from nsaas.domain import changes, lifecycle
from nsaas.services import analytics as analytics_service
from tests.db import given

S = lifecycle.Status


async def _ready(repo: repository.Repository, name: str, *, after: timedelta, **fields: object) -> None:
    created = await given.create(repo, name, **fields)
    ready_at = created.created_at + after
    await repo.update(created.id, expected_version=None, change=changes.Change(status=S.READY, ready_at=ready_at))


async def test_counts_group_requests_by_status_team_environment_and_tier(repository: repository.Repository) -> None:
    await given.create(repository, "a-1", resourceTier="small")
    await given.create(repository, "a-2", environment="staging", resourceTier="large")
    await given.create(repository, "b-1", team="team-b", resourceTier="small", status=S.PENDING_APPROVAL)
    counts = await repository.counts()
    assert counts.total == 3
    assert counts.by_status == {"provisioning": 2, "pending-approval": 1}
    assert counts.by_team == {"team-a": 2, "team-b": 1}
    assert counts.by_environment == {"development": 2, "staging": 1}
    assert counts.by_tier == {"small": 2, "large": 1}
    assert (await repository.counts(teams=["team-b"])).by_tier == {"small": 1}


async def test_requests_per_day_cover_every_day_including_empty_ones(database: database.Database) -> None:
    clock = given.Clock()
    repo = repository.Repository(database, clock=clock)
    await given.create(repo, "day-0-a")
    clock.advance(hours=1)
    await given.create(repo, "day-0-b", team="team-b")
    clock.advance(days=2)
    await given.create(repo, "day-2")
    series = await repo.created_per_day(days=4)
    today = clock.now.date()
    assert [(d.day, d.count) for d in series] == [
        (today - timedelta(days=3), 0),
        (today - timedelta(days=2), 2),
        (today - timedelta(days=1), 0),
        (today, 1),
    ]
    assert [d.count for d in await repo.created_per_day(days=3, teams=["team-b"])] == [1, 0, 0]


async def test_provisioning_durations_and_success_rate_come_from_ready_and_failed_requests(
    repository: repository.Repository,
) -> None:
    await _ready(repository, "fast", after=timedelta(seconds=20))
    await _ready(repository, "slow", after=timedelta(seconds=90), team="team-b")
    broken = await given.create(repository, "broken")
    await repository.update(broken.id, expected_version=None, change=changes.Change(status=S.FAILED))
    await given.create(repository, "in-flight")
    assert sorted(await repository.provisioning_durations()) == [20.0, 90.0]
    assert len(await repository.provisioning_durations(limit=1)) == 1
    assert await repository.provisioning_durations(teams=["team-b"]) == [90.0]
    outcomes = await repository.outcomes()
    assert (outcomes.succeeded, outcomes.failed) == (2, 1)
    assert outcomes.success_rate == 2 / 3


async def test_provisioning_time_starts_at_approval_when_approval_was_needed(
    repository: repository.Repository,
) -> None:
    created = await given.create(repository, "approved-later", status=S.PENDING_APPROVAL)
    approved_at = created.created_at + timedelta(hours=5)
    await repository.update(
        created.id, expected_version=None, change=changes.Change(status=S.PROVISIONING, approved_at=approved_at)
    )
    await repository.update(
        created.id,
        expected_version=None,
        change=changes.Change(status=S.READY, ready_at=approved_at + timedelta(seconds=42)),
    )
    assert await repository.provisioning_durations() == [42.0]


async def test_the_dashboard_reads_one_grouped_aggregate_and_the_bounded_durations(
    repository: repository.Repository, database: database.Database
) -> None:
    """At 10,000 namespaces each query is a pass over the table: the dashboard makes three, not eight."""
    await _ready(repository, "a-1", after=timedelta(seconds=2))
    await given.create(repository, "b-1", team="team-b", resourceTier="large", status=S.PENDING_APPROVAL)
    service = analytics_service.Analytics(settings=config.Settings(), repo=repository)
    with given.selects(database) as statements:
        figures = await service.dashboard(teams=None)
    assert (figures.counts.total, dict(figures.counts.by_status)) == (2, {"ready": 1, "pending-approval": 1})
    assert (figures.outcomes.succeeded, len(figures.durations)) == (1, 1)
    assert dict(figures.costs.by_tier) == {"small": Decimal(100)}  # pending approval reserves nothing yet
    assert len(statements) == 3, statements
