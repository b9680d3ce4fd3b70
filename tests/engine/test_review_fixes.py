"""Failure handling found in review: outages, orphans, approvals, TTLs of pending requests, odd headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nsaas.domain import changes, cost, errors, lifecycle, tiers
from tests.support.platform import Platform, unique


async def _ready(platform: Platform, **overrides: object) -> tuple[str, str]:
    name = unique("rev")
    accepted = await platform.call("POST", "/namespaces/request", json=platform.body(name, **overrides))
    assert await platform.converge(name) == "ready"
    return name, accepted.json()["data"]["requestId"]


async def test_a_cluster_outage_during_resync_never_fails_a_ready_namespace(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, request_id = await _ready(platform)

    async def unreachable(_: str) -> None:
        raise errors.ClusterUnavailable("connection refused")

    monkeypatch.setattr(platform.rt.cluster, "namespace_info", unreachable)
    for _ in range(platform.settings.engines.max_attempts + 3):
        await platform.rt.repo.update(
            request_id, expected_version=None, change=changes.Change(next_attempt_at=datetime.now(UTC))
        )
        await platform.rt.reconciler.tick()
    record = await platform.rt.repo.get(request_id)
    assert record.status == lifecycle.Status.READY
    assert record.attempts > platform.settings.engines.max_attempts
    assert record.last_error == "connection refused"
    warnings = [e for e in await platform.rt.repo.timeline(request_id) if e.kind == "warning"]
    assert len(warnings) < record.attempts  # one per doubling, not one per attempt
    monkeypatch.undo()
    await platform.rt.repo.update(
        request_id, expected_version=None, change=changes.Change(next_attempt_at=datetime.now(UTC))
    )
    await platform.rt.reconciler.tick()
    assert (await platform.rt.repo.get(request_id)).attempts == 0


async def test_a_failed_request_can_be_retried(platform: Platform) -> None:
    name, request_id = await _ready(platform)
    await platform.rt.repo.update(
        request_id, expected_version=None, change=changes.Change(status=lifecycle.Status.FAILED, next_attempt_at=None)
    )
    viewer = await platform.call("POST", f"/namespaces/{name}/retry", persona="viewer")
    assert viewer.status_code == 403
    answer = await platform.call("POST", f"/namespaces/{name}/retry")
    assert answer.status_code == 200
    assert answer.json()["data"]["status"] == "updating"
    assert await platform.converge(name) == "ready"
    again = await platform.call("POST", f"/namespaces/{name}/retry")
    assert again.status_code == 409


async def test_a_namespace_that_outlives_its_request_is_swept(platform: Platform) -> None:
    name, request_id = await _ready(platform)
    await platform.rt.repo.update(
        request_id,
        expected_version=None,
        change=changes.Change(status=lifecycle.Status.DECOMMISSIONING, end_state=lifecycle.Status.CANCELLED),
    )
    await platform.rt.repo.update(
        request_id,
        expected_version=None,
        change=changes.Change(status=lifecycle.Status.CANCELLED, next_attempt_at=None),
    )
    assert await platform.rt.cluster.namespace_info(name) is not None
    assert await platform.rt.reconciler.housekeeping.sweep_orphans() == 1
    for _ in range(100):
        if await platform.rt.cluster.namespace_info(name) is None:
            break
        await platform.rt.reconciler.tick()
    assert await platform.rt.cluster.namespace_info(name) is None
    timeline = await platform.rt.repo.timeline(request_id)
    assert "reappeared after the request ended" in timeline[-1].message


async def test_an_unknown_request_ids_namespace_is_never_swept(platform: Platform) -> None:
    name = unique("foreign-install")
    manifest = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {"platform.io/managed": "true", "platform.io/request-id": "not-in-this-database"},
        },
    }
    await platform.rt.cluster.apply_object(manifest=manifest)
    await platform.rt.reconciler.housekeeping.sweep_orphans()
    info = await platform.rt.cluster.namespace_info(name)
    assert info is not None
    assert info.phase == "Active"


async def test_approval_of_an_edited_request_needs_the_version_the_approver_saw(platform: Platform) -> None:
    name = unique("fourEyes").lower()
    await platform.call("POST", "/namespaces/request", json=platform.body(name, environment="production"))
    reviewed = (await platform.call("GET", f"/namespaces/{name}", persona="platform-admin")).headers["ETag"]
    await platform.call("PATCH", f"/namespaces/{name}", json={"description": "changed after review"})
    stale = await platform.call(
        "POST", f"/namespaces/{name}/approve", persona="platform-admin", json={}, headers={"If-Match": reviewed}
    )
    assert stale.status_code == 412


async def test_growing_an_approved_production_namespace_needs_an_approver(platform: Platform) -> None:
    name = unique("prodgrow")
    await platform.call("POST", "/namespaces/request", json=platform.body(name, environment="production"))
    await platform.call("POST", f"/namespaces/{name}/approve", persona="platform-admin", json={})
    assert await platform.converge(name) == "ready"
    grow = await platform.call("PATCH", f"/namespaces/{name}", json={"resourceTier": "large"})
    assert grow.status_code == 403
    describe = await platform.call("PATCH", f"/namespaces/{name}", json={"description": "still ours to edit"})
    assert describe.status_code == 200
    admin = await platform.call(
        "PATCH", f"/namespaces/{name}", persona="platform-admin", json={"resourceTier": "large"}
    )
    assert admin.status_code == 200


async def test_a_pending_requests_ttl_starts_at_approval(platform: Platform) -> None:
    name = unique("pendttl")
    accepted = await platform.call(
        "POST", "/namespaces/request", json=platform.body(name, environment="production", ttl="1h")
    )
    request_id = accepted.json()["data"]["requestId"]
    assert (await platform.rt.repo.get(request_id)).expires_at is None
    await platform.rt.reconciler.tick()
    assert (await platform.rt.repo.get(request_id)).status == lifecycle.Status.PENDING_APPROVAL
    await platform.call("POST", f"/namespaces/{name}/approve", persona="platform-admin", json={})
    expires = (await platform.rt.repo.get(request_id)).expires_at
    assert expires is not None
    assert expires - datetime.now(UTC) > timedelta(minutes=55)


@pytest.mark.parametrize("header", [b'"\xb2"', b'"99999999999999999999"', b'W/"x"'])
async def test_odd_if_match_values_are_a_412_not_a_500(platform: Platform, header: bytes) -> None:
    name, _ = await _ready(platform)
    answer = await platform.call(
        "PATCH", f"/namespaces/{name}", json={"description": "x"}, headers={"If-Match": header}
    )
    assert answer.status_code == 412


async def test_audit_filters_accept_times_without_an_offset(platform: Platform) -> None:
    answer = await platform.call("GET", "/audit?since=2024-01-01T00:00:00", persona="platform-admin")
    assert answer.status_code == 200


def test_default_prices_reproduce_the_published_tier_estimates() -> None:
    from nsaas import config

    prices = config.PricingSettings()
    for name, tier in tiers.TIERS.items():
        assert cost.estimate(name, prices=prices).monthly == tier.list_price_month
