"""Request validation, policy, idempotency, approval, cancellation and limits through the API."""

from __future__ import annotations

import pytest

from tests.support.platform import Platform, unique


async def test_invalid_request_names_every_failing_field_and_stores_nothing(platform: Platform) -> None:
    bad = {
        "namespaceName": "Bad_Name",
        "team": "team-a",
        "environment": "prod",
        "resourceTier": "huge",
        "networkPolicy": "isolated",
        "features": ["teleport"],
        "description": "d" * 501,
    }
    answer = await platform.call("POST", "/namespaces/request", json=bad)
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] is False
    assert body["error"] == "validation_failed"
    assert set(body["details"]) == {"namespaceName", "environment", "resourceTier", "features", "description"}
    assert body["requestId"] == answer.headers["x-request-id"]
    listed = (await platform.call("GET", "/namespaces", persona="platform-admin")).json()["data"]
    assert listed["total"] == 0


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        (
            {"environment": "production", "resourceTier": "micro", "networkPolicy": "open"},
            {"resourceTier", "networkPolicy"},
        ),
        ({"namespaceName": "kube-system"}, {"namespaceName"}),
        ({"namespaceName": "argo"}, {"namespaceName"}),
    ],
)
async def test_policy_violations_are_422_with_each_rule_named(
    platform: Platform, overrides: dict[str, str], fields: set[str]
) -> None:
    answer = await platform.call("POST", "/namespaces/request", json=platform.body(unique("pol"), **overrides))
    assert answer.status_code == 422, answer.text
    assert set(answer.json()["details"]) == fields


async def test_an_existing_unmanaged_namespace_cannot_be_requested(platform: Platform) -> None:
    name = unique("squat")
    await platform.rt.cluster.apply_object(
        manifest={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    try:
        answer = await platform.call("POST", "/namespaces/request", json=platform.body(name))
        assert answer.status_code == 422
        assert "not managed by nsaas" in answer.json()["details"]["namespaceName"]
    finally:
        await platform.rt.cluster.apply_object(
            manifest={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        )


async def test_a_live_name_cannot_be_requested_twice(platform: Platform) -> None:
    name = unique("twice")
    assert (await platform.call("POST", "/namespaces/request", json=platform.body(name))).status_code == 202
    again = await platform.call("POST", "/namespaces/request", json=platform.body(name))
    assert again.status_code == 409
    assert again.json()["error"] == "name_taken"
    assert "already requested" in again.json()["details"]["namespaceName"]


async def test_idempotency_key_replays_the_same_answer_and_refuses_another_body(platform: Platform) -> None:
    name = unique("idem")
    body = platform.body(name)
    first = await platform.call("POST", "/namespaces/request", json=body, headers={"Idempotency-Key": "k-1"})
    again = await platform.call("POST", "/namespaces/request", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    other = await platform.call(
        "POST", "/namespaces/request", json={**body, "description": "other"}, headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"
    listed = (await platform.call("GET", "/namespaces")).json()["data"]
    assert [item["name"] for item in listed["items"]] == [name]


async def test_production_waits_for_approval_by_a_platform_approver(platform: Platform) -> None:
    name = unique("prod")
    body = platform.body(name, environment="production", resourceTier="medium")
    accepted = await platform.call("POST", "/namespaces/request", json=body)
    assert accepted.json()["data"]["needsApproval"] is True
    assert await platform.converge(name) == "pending-approval"
    assert await platform.rt.cluster.namespace_info(name) is None
    own = await platform.call("POST", f"/namespaces/{name}/approve", persona="team-a-admin", json={"reason": "ok"})
    assert own.status_code == 403
    approved = await platform.call(
        "POST", f"/namespaces/{name}/approve", persona="platform-admin", json={"reason": "capacity checked"}
    )
    assert approved.status_code == 200
    assert approved.json()["data"]["approvedBy"] == "dev:platform-admin"
    assert await platform.converge(name) == "ready"


async def test_rejection_needs_a_reason_and_ends_the_request(platform: Platform) -> None:
    name = unique("rej")
    await platform.call(
        "POST", "/namespaces/request", json=platform.body(name, environment="production", resourceTier="small")
    )
    missing = await platform.call("POST", f"/namespaces/{name}/reject", persona="platform-admin", json={"reason": ""})
    assert missing.status_code == 400
    rejected = await platform.call(
        "POST", f"/namespaces/{name}/reject", persona="platform-admin", json={"reason": "use staging first"}
    )
    assert rejected.json()["data"]["status"] == "rejected"
    status = await platform.call("GET", f"/namespaces/request/{rejected.json()['data']['requestId']}/status")
    assert "use staging first" in status.json()["data"]["statusReason"]


async def test_cancelling_a_pending_request_ends_it(platform: Platform) -> None:
    name = unique("cancel")
    accepted = await platform.call(
        "POST", "/namespaces/request", json=platform.body(name, environment="production", resourceTier="small")
    )
    request_id = accepted.json()["data"]["requestId"]
    cancelled = await platform.call("DELETE", f"/namespaces/request/{request_id}")
    assert cancelled.json()["data"]["status"] == "cancelled"
    again = await platform.call("DELETE", f"/namespaces/request/{request_id}")
    assert again.status_code == 409


async def test_cancelling_while_provisioning_removes_what_was_created(platform: Platform) -> None:
    name = unique("cancelprov")
    accepted = await platform.call("POST", "/namespaces/request", json=platform.body(name))
    await platform.rt.reconciler.tick()
    request_id = accepted.json()["data"]["requestId"]
    answer = await platform.call("DELETE", f"/namespaces/request/{request_id}")
    if answer.status_code == 409:  # it was already ready: decommission instead
        await platform.call("DELETE", f"/namespaces/{name}")
        assert await platform.converge(name) == "deleted"
    else:
        assert answer.json()["data"]["status"] == "decommissioning"
        assert await platform.converge(name) == "cancelled"
    assert await platform.rt.cluster.namespace_info(name) is None


async def test_creation_is_rate_limited_per_user(platform: Platform) -> None:
    platform.settings.auth.create_limit = 2
    for index in range(2):
        ok = await platform.call("POST", "/namespaces/request", json=platform.body(unique(f"rl{index}")))
        assert ok.status_code == 202
    limited = await platform.call("POST", "/namespaces/request", json=platform.body(unique("rl3")))
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    other_user = await platform.call(
        "POST", "/namespaces/request", persona="team-a-admin", json=platform.body(unique("rl4"))
    )
    assert other_user.status_code == 202


async def test_oversized_bodies_are_refused_before_parsing(platform: Platform) -> None:
    answer = await platform.call(
        "POST",
        "/namespaces/request",
        content=b"{" + b" " * 300_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413


async def test_team_cap_counts_live_namespaces(platform: Platform) -> None:
    platform.settings.policy.team_namespace_cap = 1
    assert (await platform.call("POST", "/namespaces/request", json=platform.body(unique("cap1")))).status_code == 202
    second = await platform.call("POST", "/namespaces/request", json=platform.body(unique("cap2")))
    assert second.status_code == 422
    assert "cap is 1" in second.json()["details"]["team"]


async def test_preview_returns_bundle_verdict_and_cost_and_stores_nothing(platform: Platform) -> None:
    preview = await platform.call(
        "POST", "/namespaces/preview", json=platform.body("preview-me", environment="production", resourceTier="micro")
    )
    data = preview.json()["data"]
    assert data["allowed"] is False
    assert "resourceTier" in data["violations"]
    assert data["cost"]["isEstimate"] is True
    assert data["cost"]["basis"]
    assert data["bundle"]["manifests"][0]["kind"] == "Namespace"
    assert (await platform.call("GET", "/namespaces/preview-me")).status_code == 404


async def test_nobody_approves_their_own_request(platform: Platform) -> None:
    name = unique("self")
    body = platform.body(name, environment="production", resourceTier="small")
    await platform.call("POST", "/namespaces/request", json=body, persona="platform-admin")
    own = await platform.call("POST", f"/namespaces/{name}/approve", persona="platform-admin", json={})
    assert own.status_code == 403
    assert own.json()["details"] == {"approver": "you requested it yourself"}
