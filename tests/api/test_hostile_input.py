"""No 500 is reachable from input: NUL characters, oversized metadata and unknown failures."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from nsaas.adapters.auth import dev
from nsaas.api import app as api_app
from tests.support.platform import Platform, live_server, unique

NUL = "\x00"


def _assert_names(answer: httpx.Response, *fields: str) -> None:
    assert answer.status_code == 400, answer.text
    payload = answer.json()
    assert payload["error"] == "validation_failed"
    for field in fields:
        assert field in payload["details"], payload["details"]


async def test_a_nul_in_any_body_field_is_a_400_naming_it(platform: Platform) -> None:
    name = unique("nulbody")
    body = platform.body(name, description=f"a{NUL}b", features=[f"x{NUL}"], costCenter="cc")
    _assert_names(await platform.call("POST", "/namespaces/request", json=body), "description", "features.0")
    _assert_names(await platform.call("POST", "/namespaces/preview", json=body), "description")
    ok = await platform.call("POST", "/namespaces/request", json=platform.body(name))
    assert ok.status_code == 202
    patch = await platform.call("PATCH", f"/namespaces/{name}", json={"description": f"x{NUL}"})
    _assert_names(patch, "description")
    reject = await platform.call("POST", f"/namespaces/{name}/reject", "platform-admin", json={"reason": NUL})
    _assert_names(reject, "reason")


async def test_a_nul_in_a_path_or_query_parameter_is_a_400_naming_it(platform: Platform) -> None:
    _assert_names(await platform.call("GET", "/namespaces/ab%00cd"), "name")
    _assert_names(await platform.call("GET", "/namespaces/request/ab%00cd/status"), "request_id")
    _assert_names(await platform.call("GET", "/namespaces", params={"q": f"a{NUL}"}), "q")
    _assert_names(await platform.call("GET", "/namespaces", params={"team": NUL, "tier": NUL}), "team", "tier")
    audit = await platform.call("GET", "/api/platform/audit", "platform-admin", params={"actor": NUL})
    _assert_names(audit, "actor")
    _assert_names(await platform.call("DELETE", "/namespaces/x", params={"reason": NUL}), "reason")


async def test_an_overlong_path_parameter_is_a_400(platform: Platform) -> None:
    _assert_names(await platform.call("GET", "/namespaces/" + "a" * 1000), "name")


async def test_an_overlong_user_agent_is_cut_to_what_the_audit_record_holds(platform: Platform) -> None:
    name = unique("longua")
    answer = await platform.call(
        "POST", "/namespaces/request", json=platform.body(name), headers={"User-Agent": "u" * 5000}
    )
    assert answer.status_code == 202, answer.text
    entries, _ = await platform.rt.repo.list_audit(target=name)
    assert entries
    assert entries[0].user_agent is not None
    assert 0 < len(entries[0].user_agent) <= 512


async def test_a_refusal_with_an_overlong_user_agent_is_audited_with_it_cut_too(platform: Platform) -> None:
    """PostgreSQL refuses a longer value than the column holds, and the refusal would go unaudited."""
    name = unique("longua-denied")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    refused = await platform.call(
        "POST",
        f"/namespaces/{name}/approve",
        persona="viewer",
        json={"reason": "x"},
        headers={"User-Agent": "u" * 5000},
    )
    assert refused.status_code == 403
    entries, _ = await platform.rt.repo.list_audit(target=f"POST /api/platform/namespaces/{{name}}/approve {name}")
    assert entries
    assert entries[0].user_agent is not None
    assert 0 < len(entries[0].user_agent) <= 512


def _token_with_subject(platform: Platform, subject: str) -> str:
    signer = dev.DevSigner.load_or_create(platform.settings)
    claims: dict[str, Any] = jwt.decode(platform.tokens["team-a-developer"], options={"verify_signature": False})
    claims["sub"] = subject
    return jwt.encode(claims, signer._private_key, algorithm=dev.ALGORITHM, headers={"kid": signer.kid})


async def test_a_token_subject_longer_than_an_actor_column_is_refused_as_a_401(platform: Platform) -> None:
    token = _token_with_subject(platform, "s" * 300)
    answer = await platform.client.post(
        "/api/platform/namespaces/request",
        json=platform.body(unique("longsub")),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 401, answer.text
    assert answer.json()["details"]["reason"] == "invalid_subject"


@pytest.fixture
def failing_list(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(**_: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(platform.rt.repo, "list_requests", boom)


@pytest.mark.usefixtures("failing_list")
async def test_an_unexpected_error_says_connection_close_and_the_next_call_works(platform: Platform) -> None:
    app = api_app.create_app(platform.settings, rt=platform.rt)
    async with live_server(app) as url, httpx.AsyncClient(base_url=url, headers=platform.auth("viewer")) as client:
        failed = await client.get("/api/platform/namespaces")
        assert failed.status_code == 500
        assert failed.json()["error"] == "internal_error"
        assert failed.headers["connection"] == "close"
        assert (await client.get("/health/live")).status_code == 200
