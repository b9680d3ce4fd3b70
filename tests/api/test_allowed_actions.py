"""The detail's ``allowedActions`` agree with what the use cases accept, persona by persona.

A stale ``If-Match`` makes an allowed change answer 412 (authorization passed, nothing written),
so every persona can try every action without changing the namespace.
"""

from __future__ import annotations

from tests.api.test_authorization_matrix import A_DEV, ALL, B_ADMIN, B_DEV, SECURITY, _token
from tests.support.platform import Platform, unique

STALE = {"If-Match": '"999999"'}
INVISIBLE = {B_ADMIN, B_DEV}


async def _detail(platform: Platform, name: str, persona: str) -> dict[str, object]:
    answer = await platform.call("GET", f"/namespaces/{name}", persona=persona)
    assert answer.status_code == 200, answer.text
    data: dict[str, object] = answer.json()["data"]
    return data


async def test_a_pending_requests_actions_match_what_approve_and_change_answer(platform: Platform) -> None:
    platform.tokens[SECURITY] = _token(platform, SECURITY)
    name = unique("acts")
    body = platform.body(name, environment="production", resourceTier="medium")
    assert (await platform.call("POST", "/namespaces/request", json=body, persona=A_DEV)).status_code == 202
    mismatches = []
    for persona in ALL:
        if persona in INVISIBLE:
            continue
        detail = await _detail(platform, name, persona)
        allowed = set(detail["allowedActions"])  # type: ignore[arg-type]
        denied = dict(detail["deniedActions"])  # type: ignore[arg-type]
        assert allowed.isdisjoint(denied), persona
        assert allowed | set(denied) == {"approve", "reject", "cancel", "change", "extend"}, persona
        approve = await platform.client.post(
            f"/api/platform/namespaces/{name}/approve",
            json={"reason": "x"},
            headers={**platform.auth(persona), **STALE},
        )
        change = await platform.client.patch(
            f"/api/platform/namespaces/{name}", json={"description": "x"}, headers={**platform.auth(persona), **STALE}
        )
        for action, answer in (("approve", approve), ("change", change)):
            expected = 412 if action in allowed else 403
            if answer.status_code != expected:
                mismatches.append(f"{action} as {persona}: {answer.status_code}, detail says {expected}")
    assert not mismatches, "\n".join(mismatches)


async def test_the_requester_is_told_why_they_cannot_approve_and_a_viewer_may_change_nothing(
    platform: Platform,
) -> None:
    name = unique("why")
    body = platform.body(name, environment="production", resourceTier="medium")
    await platform.call("POST", "/namespaces/request", json=body, persona="platform-admin")
    mine = await _detail(platform, name, "platform-admin")
    assert "approve" not in mine["allowedActions"]  # type: ignore[operator]
    assert "reject" in mine["allowedActions"]  # type: ignore[operator]
    assert "second person" in mine["deniedActions"]["approve"]  # type: ignore[index]
    viewer = await _detail(platform, name, "viewer")
    assert viewer["allowedActions"] == []
    assert "view but not change" in viewer["deniedActions"]["change"]  # type: ignore[index]


async def test_the_list_sorts_by_any_column_across_pages(platform: Platform) -> None:
    names = [unique("sort-b"), unique("sort-a"), unique("sort-c")]
    tiers = ["large", "micro", "medium"]
    for name, tier in zip(names, tiers, strict=True):
        await platform.call("POST", "/namespaces/request", json=platform.body(name, resourceTier=tier))
    by_name = await platform.call("GET", "/namespaces", params={"sort": "name", "q": "sort-"})
    listed = [i["name"] for i in by_name.json()["data"]["items"]]
    assert listed == sorted(listed)
    by_cost = await platform.call("GET", "/namespaces", params={"sort": "-cost", "q": "sort-"})
    assert [i["tier"] for i in by_cost.json()["data"]["items"]] == ["large", "medium", "micro"]
    refused = await platform.call("GET", "/namespaces", params={"sort": "password"})
    assert refused.status_code == 400


async def test_audit_facets_list_what_occurs_and_the_team_filter_keeps_one_teams_records(platform: Platform) -> None:
    name = unique("aud")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    facets = (await platform.call("GET", "/audit/facets", persona="platform-admin")).json()["data"]
    assert "namespace.request" in facets["actions"]
    assert "dev:team-a-developer" in facets["actors"]
    assert "team-a" in facets["teams"]
    mine = await platform.call("GET", "/audit", params={"team": "team-a", "target": name}, persona="platform-admin")
    theirs = await platform.call("GET", "/audit", params={"team": "team-b", "target": name}, persona="platform-admin")
    assert mine.json()["data"]["total"] == 1
    assert theirs.json()["data"]["total"] == 0
    refused = await platform.call("GET", "/audit/facets", persona="team-a-developer")
    assert refused.status_code == 403
