"""The team registry store: groups looked up by id, writes with their audit record, stale writes refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nsaas import config
from nsaas.adapters.db import database as db_module
from nsaas.adapters.db import teams as teams_db
from nsaas.domain import errors, records, teams
from nsaas.services import teams as team_service


def _audit(action: str) -> records.NewAudit:
    return records.NewAudit(actor="admin", action=action, target_type="team", target="team-x")


async def test_groups_map_to_team_roles_and_follow_every_change(database: db_module.Database) -> None:
    store = teams_db.TeamStore(database)
    service = team_service.TeamService(settings=config.Settings(auth_mode="dev"), store=store)
    settings = teams.TeamSettings(owner_groups=("g-owners",), member_groups=("g-devs", "g-owners"))
    await store.create_team("team-x", settings, actor="admin", audit=_audit("team.create"))
    assert await service.roles_for_groups(["g-devs", "g-unrelated"]) == {"team:team-x:developer"}
    assert await service.roles_for_groups(["g-owners"]) == {"team:team-x:admin", "team:team-x:developer"}
    assert await service.roles_for_groups([]) == frozenset()

    await store.update_team(
        "team-x", teams.TeamSettings(member_groups=("g-new",)), actor="admin", audit=_audit("team.update")
    )
    assert await service.roles_for_groups(["g-owners", "g-devs"]) == frozenset()
    assert await service.roles_for_groups(["g-new"]) == {"team:team-x:developer"}


async def test_a_stale_version_is_refused_and_writes_nothing(database: db_module.Database) -> None:
    store = teams_db.TeamStore(database)
    first = await store.create_team(
        "team-x", teams.TeamSettings(namespace_cap=3), actor="admin", audit=_audit("team.create")
    )
    with pytest.raises(errors.PreconditionFailed):
        await store.update_team(
            "team-x",
            teams.TeamSettings(namespace_cap=9),
            actor="admin",
            audit=_audit("team.update"),
            expected_version=first.version + 1,
        )
    kept = await store.team("team-x")
    assert kept is not None
    assert (kept.version, kept.settings.namespace_cap) == (1, 3)
    with pytest.raises(errors.NotFound):
        await store.update_team("team-y", teams.TeamSettings(), actor="admin", audit=_audit("team.update"))


async def test_a_settings_snapshot_survives_the_database(database: db_module.Database) -> None:
    store = teams_db.TeamStore(database)
    settings = teams.TeamSettings(
        namespace_cap=0,
        budget=teams.Budget(cpu=Decimal("2.5"), storage_gi=Decimal(100)),
        allowed_environments=("development",),
        allowed_features=(),
        cost_center="CC-1",
    )
    await store.create_team("team-x", settings, actor="admin", audit=_audit("team.create"))
    stored = await store.team("team-x")
    assert stored is not None
    assert stored.settings == settings
    limits = teams.limits(stored, config.PolicySettings(team_memory_budget_gi=Decimal(64)))
    assert limits.budget == teams.Budget(cpu=Decimal("2.5"), memory_gi=Decimal(64), storage_gi=Decimal(100))
    assert limits.allowed_features == frozenset()
    assert limits.allowed_tiers is None
