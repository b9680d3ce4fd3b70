"""What each role lets a caller do, and that unknown roles never get that far."""

from __future__ import annotations

import pytest

from nsaas.domain import errors, identity


def principal(*roles: str) -> identity.Principal:
    return identity.Principal(subject="someone", name="Someone", roles=frozenset(roles), source="dev")


def test_unknown_role_strings_are_refused_and_each_one_is_named() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        identity.parse_roles(["platform:root", "team:team-a:owner", "team:a:admin", "team:team-a:admin"])
    assert set(caught.value.details) == {"platform:root", "team:team-a:owner", "team:a:admin"}
    assert "team:team-a:owner" in caught.value.message


def test_every_seed_role_parses() -> None:
    roles = [*sorted(identity.GLOBAL_ROLES), "team:team-a:admin", "team:payments-2:developer"]
    assert identity.parse_roles(roles) == frozenset(roles)


def test_a_principal_cannot_be_built_with_an_unknown_role() -> None:
    with pytest.raises(errors.ValidationFailed):
        principal("platform:superuser")


def test_teams_are_derived_from_team_roles_only() -> None:
    caller = principal("team:team-a:admin", "team:team-b:developer", "platform:viewer")
    assert caller.teams == frozenset({"team-a", "team-b"})
    assert caller.is_team_member("team-a")
    assert not caller.is_team_member("team-c")


def test_a_team_developer_manages_their_team_but_not_a_foreign_one() -> None:
    developer = principal("team:team-a:developer")
    assert developer.can_manage("team-a")
    assert developer.can_create("team-a")
    assert not developer.can_manage("team-b")
    assert not developer.can_create("team-b")
    assert not developer.can_see("team-b")
    assert not developer.can_see_all


def test_viewers_and_security_admins_see_every_team_but_change_nothing() -> None:
    for caller in (principal("platform:viewer"), principal("security:admin")):
        assert caller.can_see_all
        assert caller.can_see("team-z")
        assert not caller.can_manage("team-z")
        assert not caller.can_approve(team="team-z", environment="development")


def test_platform_engineers_manage_and_approve_every_team_but_are_not_admins() -> None:
    engineer = principal("platform:engineer")
    assert engineer.can_manage("team-z")
    assert engineer.can_approve(team="team-z", environment="production")
    assert not engineer.is_platform_admin
    assert not engineer.can_read_audit


def test_only_platform_and_security_admins_read_the_audit_log() -> None:
    readers = [role for role in sorted(identity.GLOBAL_ROLES) if principal(role).can_read_audit]
    assert readers == ["platform:admin", "security:admin"]
    assert not principal("team:team-a:admin").can_read_audit


def test_production_approval_needs_the_platform_while_team_admins_approve_their_own_staging() -> None:
    team_admin = principal("team:team-a:admin")
    assert team_admin.can_approve(team="team-a", environment="staging")
    assert not team_admin.can_approve(team="team-a", environment="production")
    assert not team_admin.can_approve(team="team-b", environment="staging")
    assert not principal("team:team-a:developer").can_approve(team="team-a", environment="staging")
    assert principal("platform:admin").can_approve(team="team-a", environment="production")


def test_team_role_builds_and_validates_the_role_string() -> None:
    assert identity.team_role("team-a", "admin") == "team:team-a:admin"
    with pytest.raises(errors.ValidationFailed):
        identity.team_role("Team A", "admin")
