"""Every route x every role x own/foreign team, with the status each must answer.

Team A owns namespace ``A``. Foreign callers get 404 (never 403) so names of other teams'
namespaces do not leak; callers who may see but not change get 403; unauthenticated calls 401.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.platform import Platform, unique

ADMIN, A_ADMIN, A_DEV, B_ADMIN, B_DEV, VIEWER, SECURITY = (
    "platform-admin",
    "team-a-admin",
    "team-a-developer",
    "team-b-admin",
    "team-b-developer",
    "viewer",
    "security-admin",
)
ALL = (ADMIN, A_ADMIN, A_DEV, B_ADMIN, B_DEV, VIEWER, SECURITY)


def expect(default: int, **by_persona: int) -> dict[str, int]:
    table = dict.fromkeys(ALL, default)
    table.update({k.replace("_", "-"): v for k, v in by_persona.items()})
    return table


SEE = expect(200, **{"team_b_admin": 404, "team_b_developer": 404})
# (method, path template, body, expected status per persona). {A} is team A's namespace, {ID} its request id.
MATRIX: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", "/api/platform/namespaces", None, expect(200)),
    ("GET", "/api/platform/namespaces/{A}", None, SEE),
    ("GET", "/api/platform/namespaces/{A}/manifests", None, SEE),
    ("GET", "/api/platform/namespaces/{A}/cost", None, SEE),
    ("GET", "/api/platform/namespaces/team/team-a", None, SEE),
    ("GET", "/api/platform/namespaces/request/{ID}/status", None, SEE),
    (
        "PATCH",
        "/api/platform/namespaces/{A}",
        {"description": "changed"},
        expect(200, viewer=403, security_admin=403, team_b_admin=404, team_b_developer=404),
    ),
    (
        "POST",
        "/api/platform/namespaces/{A}/approve",
        {"reason": "x"},
        expect(403, platform_admin=409, team_a_admin=409, team_b_admin=404, team_b_developer=404),
    ),
    (
        "POST",
        "/api/platform/namespaces/{A}/reject",
        {"reason": "x"},
        expect(403, platform_admin=409, team_a_admin=409, team_b_admin=404, team_b_developer=404),
    ),
    (
        "DELETE",
        "/api/platform/namespaces/request/{ID}",
        None,
        expect(409, viewer=403, security_admin=403, team_b_admin=404, team_b_developer=404),
    ),
    (
        "POST",
        "/api/platform/namespaces/request",
        "BODY",
        expect(403, platform_admin=202, team_a_admin=202, team_a_developer=202),
    ),
    ("POST", "/api/platform/namespaces/preview", "BODY", expect(200)),
    ("GET", "/api/platform/audit", None, expect(403, platform_admin=200, security_admin=200)),
    ("POST", "/api/test-workflow", None, expect(403, platform_admin=200)),
    ("GET", "/api/platform/analytics/dashboard", None, expect(200)),
    ("GET", "/api/platform/analytics/usage", None, expect(200)),
    ("GET", "/api/platform/catalog/templates", None, expect(200)),
    ("GET", "/api/platform/me", None, expect(200)),
]
#: Decommission changes state for good; only the refusals are in the matrix.
DELETE_DENIED = {VIEWER: 403, SECURITY: 403, B_ADMIN: 404, B_DEV: 404}


async def _ready_namespace(platform: Platform) -> tuple[str, str]:
    name = unique("authz")
    accepted = await platform.call("POST", "/namespaces/request", json=platform.body(name), persona=A_DEV)
    assert await platform.converge(name) == "ready"
    return name, accepted.json()["data"]["requestId"]


async def test_every_route_answers_each_role_as_specified(platform: Platform) -> None:
    platform.settings.auth.create_limit = 1000
    name, request_id = await _ready_namespace(platform)
    platform.tokens[SECURITY] = _token(platform, SECURITY)
    mismatches = []
    for method, template, body, expected in MATRIX:
        path = template.replace("{A}", name).replace("{ID}", request_id)
        for persona in ALL:
            payload = platform.body(unique("m")) if body == "BODY" else body
            answer = await platform.client.request(method, path, headers=platform.auth(persona), json=payload)
            if answer.status_code != expected[persona]:
                mismatches.append(f"{method} {template} as {persona}: {answer.status_code} != {expected[persona]}")
            unauthenticated = await platform.client.request(method, path, json=payload)
            if unauthenticated.status_code != 401:
                mismatches.append(f"{method} {template} without a token: {unauthenticated.status_code}")
    for persona, status in DELETE_DENIED.items():
        answer = await platform.client.delete(f"/api/platform/namespaces/{name}", headers=platform.auth(persona))
        if answer.status_code != status:
            mismatches.append(f"DELETE /namespaces/{{A}} as {persona}: {answer.status_code} != {status}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("persona", [ADMIN, A_ADMIN, A_DEV])
async def test_owners_and_platform_admins_may_decommission(platform: Platform, persona: str) -> None:
    name, _ = await _ready_namespace(platform)
    answer = await platform.call("DELETE", f"/namespaces/{name}", persona=persona)
    assert answer.status_code == 202
    assert answer.json()["data"]["status"] == "decommissioning"


async def test_lists_show_only_the_callers_teams(platform: Platform) -> None:
    name, _ = await _ready_namespace(platform)
    mine = (await platform.call("GET", "/namespaces", persona=A_DEV)).json()["data"]["items"]
    theirs = (await platform.call("GET", "/namespaces", persona=B_DEV)).json()["data"]["items"]
    everything = (await platform.call("GET", "/namespaces", persona=VIEWER)).json()["data"]["items"]
    assert [i["name"] for i in mine] == [name]
    assert theirs == []
    assert [i["name"] for i in everything] == [name]


async def test_forged_and_expired_tokens_are_refused(platform: Platform) -> None:
    token = platform.tokens[ADMIN]
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-4]}AAAA"
    for bad in (forged, "not-a-jwt", ""):
        answer = await platform.client.get("/api/platform/namespaces", headers={"Authorization": f"Bearer {bad}"})
        assert answer.status_code == 401
        assert answer.json()["error"] == "unauthenticated"


def _token(platform: Platform, persona: str) -> str:
    from nsaas.adapters.auth import dev

    return dev.DevSigner.load_or_create(platform.settings).token_for(persona)
