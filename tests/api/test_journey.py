"""The main journey through the API against the simulator: request, ready, change, decommission."""

from __future__ import annotations

from tests.support.platform import Platform, unique


async def test_a_request_becomes_ready_with_exactly_the_bundle_objects(platform: Platform) -> None:
    name = unique("journey")
    accepted = await platform.call(
        "POST", "/namespaces/request", json=platform.body(name, features=["istio-injection"])
    )
    assert accepted.status_code == 202, accepted.text
    data = accepted.json()["data"]
    assert data["status"] == "provisioning"
    assert accepted.headers["Location"] == data["statusUrl"]

    assert await platform.converge(name) == "ready"
    detail = (await platform.call("GET", f"/namespaces/{name}")).json()["data"]
    assert detail["cluster"]["phase"] == "Active"
    assert detail["cluster"]["matches"] is True
    assert {q["resource"] for q in detail["quota"]} >= {"requests.cpu", "pods"}
    statuses = [e["status"] for e in detail["timeline"] if e["kind"] == "status"]
    assert statuses[0] == "provisioning"
    assert statuses[-1] == "ready"


async def test_changing_the_tier_updates_the_quota_and_returns_to_ready(platform: Platform) -> None:
    name = unique("tierchange")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    assert await platform.converge(name) == "ready"
    etag = (await platform.call("GET", f"/namespaces/{name}")).headers["ETag"]
    changed = await platform.call(
        "PATCH", f"/namespaces/{name}", json={"resourceTier": "large"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["status"] == "updating"
    assert await platform.converge(name) == "ready"
    detail = (await platform.call("GET", f"/namespaces/{name}")).json()["data"]
    hard = {q["resource"]: q["hard"] for q in detail["quota"]}
    assert hard["requests.cpu"] == "8"
    stale = await platform.call(
        "PATCH", f"/namespaces/{name}", json={"resourceTier": "medium"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412


async def test_decommission_deletes_the_namespace_and_ends_deleted(platform: Platform) -> None:
    name = unique("decom")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    assert await platform.converge(name) == "ready"
    gone = await platform.call("DELETE", f"/namespaces/{name}")
    assert gone.status_code == 202
    assert await platform.converge(name) == "deleted"
    assert await platform.rt.cluster.namespace_info(name) is None
