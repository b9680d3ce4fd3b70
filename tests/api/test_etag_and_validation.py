"""What users see of concurrency and validation: generation ETags, and every bad field in one answer."""

from __future__ import annotations

from tests.support.platform import Platform, unique


async def test_status_moves_by_the_reconciler_never_make_an_etag_stale(platform: Platform) -> None:
    name = unique("etag")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    read_while_provisioning = (await platform.call("GET", f"/namespaces/{name}")).headers["ETag"]
    assert await platform.converge(name) == "ready"
    ready = await platform.call("GET", f"/namespaces/{name}")
    assert ready.json()["data"]["version"] > 1  # the status moved on ...
    assert ready.headers["ETag"] == read_while_provisioning  # ... the ETag did not
    changed = await platform.call(
        "PATCH", f"/namespaces/{name}", json={"description": "edited"}, headers={"If-Match": read_while_provisioning}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] != read_while_provisioning


async def test_an_edit_by_someone_else_still_makes_the_etag_stale(platform: Platform) -> None:
    name = unique("etag-edit")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    etag = (await platform.call("GET", f"/namespaces/{name}")).headers["ETag"]
    first = await platform.call("PATCH", f"/namespaces/{name}", json={"description": "one"}, headers={"If-Match": etag})
    assert first.status_code == 200, first.text
    second = await platform.call(
        "PATCH", f"/namespaces/{name}", json={"description": "two"}, headers={"If-Match": etag}
    )
    assert second.status_code == 412
    assert "generation" in second.json()["details"]["If-Match"]


async def test_six_faults_of_shape_and_policy_come_back_as_six_field_errors_in_one_answer(
    platform: Platform,
) -> None:
    body = {
        "namespaceName": "kube-system",
        "team": "Team A!",
        "environment": "production",
        "resourceTier": "micro",
        "networkPolicy": "open",
        "features": ["teleport"],
        "description": "x" * 501,
    }
    answer = await platform.call("POST", "/namespaces/request", persona="platform-admin", json=body)
    assert answer.status_code == 400, answer.text
    assert set(answer.json()["details"]) == {
        "namespaceName",
        "team",
        "resourceTier",
        "networkPolicy",
        "features",
        "description",
    }
