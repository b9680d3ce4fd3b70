"""The team registry: who reads and writes it, per-team limits at create (also under concurrency),
changes that apply without a restart, and the audit trail of every registry write."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from nsaas.domain import changes
from tests.support.platform import Platform, unique


async def _register(platform: Platform, name: str = "team-a", **fields: Any) -> dict[str, Any]:
    answer = await platform.call("POST", "/teams", "platform-admin", json={"name": name, **fields})
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def test_an_unregistered_team_lives_under_the_configured_defaults(platform: Platform) -> None:
    answer = await platform.call("GET", "/teams/team-a")
    assert answer.status_code == 200, answer.text
    team = answer.json()["data"]
    assert team["registered"] is False
    assert team["namespaceCap"] == platform.settings.policy.team_namespace_cap
    assert team["budget"] == {"cpu": None, "memoryGi": None, "storageGi": None}
    assert team["allowedTiers"] == ["micro", "small", "medium", "large"]
    assert "namespaceCap" in team["inherited"]
    listed = await platform.call("GET", "/teams")
    assert [t["name"] for t in listed.json()["data"]] == ["team-a"]


async def test_platform_admins_register_and_change_a_team_and_every_write_is_audited(platform: Platform) -> None:
    created = await _register(
        platform,
        namespaceCap=3,
        budget={"cpu": 6, "memoryGi": 12.5},
        allowedTiers=["micro", "small"],
        ownerGroups=["1f0c6a1e-0000-4000-8000-000000000001"],
        costCenter="CC-42",
    )
    assert created["registered"] is True
    assert created["budget"] == {"cpu": 6.0, "memoryGi": 12.5, "storageGi": None}
    assert created["allowedTiers"] == ["micro", "small"]
    assert created["inherited"] == ["budget.storageGi", "allowedEnvironments", "allowedFeatures"]
    assert created["version"] == 1
    again = await platform.call("POST", "/teams", "platform-admin", json={"name": "team-a"})
    assert again.status_code == 409, again.text
    assert again.json()["details"] == {"name": "already registered"}

    changed = await platform.call(
        "PATCH", "/teams/team-a", "platform-admin", json={"namespaceCap": 5, "allowedTiers": None}
    )
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert (data["namespaceCap"], data["version"], data["costCenter"]) == (5, 2, "CC-42")
    assert data["allowedTiers"] == ["micro", "small", "medium", "large"]  # null: back to the default

    log = await platform.call("GET", "/audit", "platform-admin", params={"target": "team-a"})
    entries = {e["action"]: e for e in log.json()["data"]["items"]}
    assert entries["team.create"]["after"]["namespace_cap"] == 3
    assert entries["team.create"]["targetType"] == "team"
    update = entries["team.update"]
    assert (update["before"]["namespace_cap"], update["after"]["namespace_cap"]) == (3, 5)
    assert (update["before"]["allowed_tiers"], update["after"]["allowed_tiers"]) == (["micro", "small"], None)
    assert update["actor"] == "dev:platform-admin"


async def test_team_members_read_only_their_own_team_and_no_team_role_writes(platform: Platform) -> None:
    await _register(platform, "team-a", namespaceCap=4)
    await _register(platform, "team-b", namespaceCap=2)
    own = await platform.call("GET", "/teams/team-a", "team-a-developer")
    assert own.status_code == 200
    other = await platform.call("GET", "/teams/team-b", "team-a-developer")
    assert other.status_code == 404, other.text  # like another team's namespaces: not found
    listed = await platform.call("GET", "/teams", "team-a-admin")
    assert [t["name"] for t in listed.json()["data"]] == ["team-a"]
    everything = await platform.call("GET", "/teams", "viewer")
    assert [t["name"] for t in everything.json()["data"]] == ["team-a", "team-b"]

    # A team admin cannot raise their own team's limits; nor change another team's (not found).
    own_limits = await platform.call("PATCH", "/teams/team-a", "team-a-admin", json={"namespaceCap": 100})
    assert own_limits.status_code == 403, own_limits.text
    assert "platform admins" in own_limits.json()["message"]
    assert (await platform.call("PATCH", "/teams/team-b", "team-a-admin", json={"namespaceCap": 9})).status_code == 404
    assert (await platform.call("PATCH", "/teams/team-a", "viewer", json={"namespaceCap": 9})).status_code == 403
    assert (await platform.call("POST", "/teams", "team-a-admin", json={"name": "team-c"})).status_code == 403
    unchanged = await platform.call("GET", "/teams/team-a", "team-a-admin")
    assert unchanged.json()["data"]["namespaceCap"] == 4


async def test_a_bad_registry_body_names_every_failing_field(platform: Platform) -> None:
    answer = await platform.call(
        "POST",
        "/teams",
        "platform-admin",
        json={
            "name": "Team_A",
            "namespaceCap": -1,
            "budget": {"cpu": 0, "disk": 3},
            "allowedTiers": ["huge"],
            "ownerGroups": ["bad group"],
            "allowedStorageClasses": ["standard,premium"],
            "colour": "red",
        },
    )
    assert answer.status_code == 400, answer.text
    assert set(answer.json()["details"]) == {
        "name",
        "namespaceCap",
        "budget.cpu",
        "budget.disk",
        "allowedTiers.0",
        "ownerGroups.0",
        "allowedStorageClasses.0",
        "colour",
    }
    assert (await platform.call("GET", "/teams", "platform-admin")).json()["data"] == []


async def test_registry_changes_apply_to_the_next_request_without_a_restart(platform: Platform) -> None:
    await _register(platform, allowedTiers=["micro"], allowedEnvironments=["development"])
    refused = await platform.call(
        "POST", "/namespaces/request", json=platform.body(unique("tr-a"), environment="staging")
    )
    assert refused.status_code == 422, refused.text
    details = refused.json()["details"]
    assert "may use tiers micro, not small" in details["resourceTier"]
    assert "may use development, not staging" in details["environment"]

    opened = await platform.call(
        "PATCH",
        "/teams/team-a",
        "platform-admin",
        json={"allowedTiers": ["micro", "small"], "allowedEnvironments": None},
    )
    assert opened.status_code == 200
    accepted = await platform.call(
        "POST", "/namespaces/request", json=platform.body(unique("tr-b"), environment="staging")
    )
    assert accepted.status_code == 202, accepted.text

    closed = await platform.call("PATCH", "/teams/team-a", "platform-admin", json={"namespaceCap": 1})
    assert closed.status_code == 200
    full = await platform.call("POST", "/namespaces/request", json=platform.body(unique("tr-c")))
    assert full.status_code == 422
    assert "namespace cap is 1" in full.json()["details"]["team"]


async def test_a_request_without_a_cost_center_gets_its_teams(platform: Platform) -> None:
    await _register(platform, costCenter="CC-7")
    name = unique("cc")
    assert (await platform.call("POST", "/namespaces/request", json=platform.body(name))).status_code == 202
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    assert record.spec_obj.cost_center == "CC-7"


@pytest.mark.parametrize(
    ("limits", "field", "phrase"),
    [
        ({"namespaceCap": 2}, "team", "namespace cap is 2"),
        ({"budget": {"cpu": 4}}, "resourceTier", "exceed its budget: CPU 6 of 4 cores"),
        ({"budget": {"storageGi": 40}}, "resourceTier", "storage 60Gi of 40Gi"),
    ],
)
async def test_concurrent_creates_never_overshoot_the_team_cap_or_budget(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, limits: dict[str, Any], field: str, phrase: str
) -> None:
    """Six small (2 CPU, 20Gi) requests at once against room for two. The early check is made blind
    (every request reads the usage before any commit, the worst interleaving), so only the check
    inside the create transaction stands between the team and an overshoot."""
    await _register(platform, **limits)

    async def nothing_held_yet(team: str, *, exclude_id: str | None = None) -> list[str]:
        return []

    monkeypatch.setattr(platform.rt.repo, "team_usage", nothing_held_yet)
    bodies = [platform.body(unique(f"burst-{i}")) for i in range(6)]
    # Different users: the per-user creation rate limit is not what stops them.
    personas = ["team-a-developer", "team-a-admin"] * 3
    answers = await asyncio.gather(
        *(platform.call("POST", "/namespaces/request", p, json=b) for p, b in zip(personas, bodies, strict=True))
    )
    kinds = Counter(a.status_code for a in answers)
    assert kinds == Counter({202: 2, 422: 4}), [a.text for a in answers]
    for loser in (a for a in answers if a.status_code == 422):
        assert loser.json()["error"] == "policy_violation"
        assert phrase in loser.json()["details"][field], loser.text
    assert (await platform.rt.repo.list_requests(team="team-a")).total == 2


async def test_the_teams_allow_lists_reach_its_namespaces_and_follow_registry_changes(platform: Platform) -> None:
    """Rendered as Namespace annotations (deploy/guardrails enforces them; tests/real proves that),
    re-applied to live namespaces at their next resync after a registry change."""
    await _register(platform, allowedStorageClasses=["standard"], allowedRegistries=["myacr.azurecr.io/"])
    name = unique("guard")
    assert (await platform.call("POST", "/namespaces/request", json=platform.body(name))).status_code == 202
    assert await platform.converge(name) == "ready"
    info = await platform.rt.cluster.namespace_info(name)
    assert info is not None
    assert info.annotations["platform.io/allowed-storage-classes"] == "standard"
    assert info.annotations["platform.io/allowed-registries"] == "myacr.azurecr.io/"
    assert "platform.io/allowed-ingress-classes" not in info.annotations  # unrestricted

    widened = await platform.call(
        "PATCH", "/teams/team-a", "platform-admin", json={"allowedStorageClasses": ["standard", "zrs"]}
    )
    assert widened.json()["data"]["allowedStorageClasses"] == ["standard", "zrs"]
    manifests = await platform.call("GET", f"/namespaces/{name}/manifests", params={"format": "yaml"})
    assert "platform.io/allowed-storage-classes: standard,zrs" in manifests.text
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    await platform.rt.repo.update(record.id, change=changes.Change(next_attempt_at=record.updated_at))  # resync due
    for _ in range(50):
        await platform.rt.reconciler.tick()
        info = await platform.rt.cluster.namespace_info(name)
        if info is not None and info.annotations.get("platform.io/allowed-storage-classes") == "standard,zrs":
            break
        await asyncio.sleep(0.02)
    assert info is not None
    assert info.annotations["platform.io/allowed-storage-classes"] == "standard,zrs"
    detail = await platform.call("GET", f"/namespaces/{name}")
    assert detail.json()["data"]["status"] == "ready"


async def test_concurrent_tier_raises_never_overshoot_the_team_budget(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two micro namespaces (1 CPU each) raised to medium (4 CPU) at once under a 6-core budget:
    one fits (4 + 1), the other would make 8. The early check is blinded as above."""
    await _register(platform, budget={"cpu": 6})
    names = [unique("raise-a"), unique("raise-b")]
    for name in names:
        body = platform.body(name, resourceTier="micro")
        assert (await platform.call("POST", "/namespaces/request", json=body)).status_code == 202

    async def nothing_held_yet(team: str, *, exclude_id: str | None = None) -> list[str]:
        return []

    monkeypatch.setattr(platform.rt.repo, "team_usage", nothing_held_yet)
    answers = await asyncio.gather(
        *(
            platform.call("PATCH", f"/namespaces/{name}", persona, json={"resourceTier": "medium"})
            for name, persona in zip(names, ["team-a-developer", "team-a-admin"], strict=True)
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 422], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 422)
    assert "exceed its budget: CPU 8 of 6 cores" in loser.json()["details"]["resourceTier"], loser.text
    tiers = sorted([(await platform.rt.repo.find_live_by_name(n)).tier for n in names])  # type: ignore[union-attr]
    assert tiers == ["medium", "micro"]


async def test_a_namespace_keeps_what_it_had_when_its_team_is_tightened(platform: Platform) -> None:
    """Lists tightened after a namespace exists judge only new choices: its description can still be
    changed, while a move to another forbidden tier or feature is refused."""
    name = unique("kept")
    body = platform.body(name, environment="staging", features=["monitoring-enhanced"])
    assert (await platform.call("POST", "/namespaces/request", json=body)).status_code == 202
    await _register(
        platform, allowedEnvironments=["development"], allowedTiers=["micro"], allowedFeatures=["istio-injection"]
    )
    described = await platform.call("PATCH", f"/namespaces/{name}", json={"description": "still mine"})
    assert described.status_code == 200, described.text
    refused = await platform.call(
        "PATCH",
        f"/namespaces/{name}",
        json={"resourceTier": "medium", "features": ["monitoring-enhanced", "gpu-access"]},
    )
    assert refused.status_code == 422, refused.text
    assert set(refused.json()["details"]) == {"resourceTier", "features"}
    assert "not gpu-access" in refused.json()["details"]["features"]


async def test_the_registrys_groups_are_bound_in_the_teams_namespaces(platform: Platform) -> None:
    """kubectl access follows the registry too: owners get admin and members edit in each namespace
    (one RoleBinding per role listing every group), with no redeploy."""
    await _register(platform, ownerGroups=["g-owners-1", "g-owners-2"], memberGroups=["g-devs"])
    name = unique("rbac")
    assert (await platform.call("POST", "/namespaces/request", json=platform.body(name))).status_code == 202
    assert await platform.converge(name) == "ready"
    bindings = {}
    for binding in ("nsaas-team-admins", "nsaas-team-developers"):
        found = await platform.rt.cluster.get_object(
            api_version="rbac.authorization.k8s.io/v1", kind="RoleBinding", name=binding, namespace=name
        )
        assert found is not None, binding
        bindings[binding] = (found["roleRef"]["name"], [s["name"] for s in found["subjects"]])
    assert bindings == {
        "nsaas-team-admins": ("admin", ["g-owners-1", "g-owners-2"]),
        "nsaas-team-developers": ("edit", ["g-devs"]),
    }


async def test_the_access_document_names_the_registrys_groups_in_their_roles(platform: Platform) -> None:
    """Who holds which role is read from the bundle the platform applies, so the registry's groups show."""
    await _register(platform, ownerGroups=["g-owners-1"], memberGroups=["g-devs"])
    name = unique("accreg")
    assert (await platform.call("POST", "/namespaces/request", json=platform.body(name))).status_code == 202
    answer = await platform.call("GET", f"/namespaces/{name}/access")
    assert answer.status_code == 200, answer.text
    roles = {r["role"]: r["subjects"] for r in answer.json()["data"]["roles"]}
    assert "Group:g-owners-1" in roles["admin"]
    assert "Group:g-devs" in roles["edit"]
