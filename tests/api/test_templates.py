"""Versioned bundle templates: version 1 is the settings (nothing re-applied at upgrade), later
versions are validated documents created and published by platform admins, each namespace
records the version it runs and every namespace answer carries it."""

from __future__ import annotations

from typing import Any

from nsaas.bundle import render
from nsaas.domain import requests, templates
from tests.support.platform import Platform, unique

V2_SPEC: dict[str, Any] = {
    "podSecurity": {"development": "restricted", "staging": "restricted", "production": "restricted"},
    "containerDefaults": {"limit": {"cpu": "250m", "memory": "256Mi"}, "request": {"cpu": "50m", "memory": "64Mi"}},
    "namespaceLabels": {"example.com/bundle": "v2"},
    "namespaceAnnotations": {},
    "internetEgress": False,
}


async def _create(platform: Platform, spec: dict[str, Any] = V2_SPEC, **extra: Any) -> dict[str, Any]:
    answer = await platform.call("POST", "/templates/standard/versions", "platform-admin", json={"spec": spec, **extra})
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def test_version_1_is_the_settings_so_existing_namespaces_render_and_digest_as_before(
    platform: Platform,
) -> None:
    name = unique("tpl-v1")
    created = await platform.call("POST", "/namespaces/request", json=platform.body(name))
    assert created.status_code == 202, created.text
    assert created.json()["data"]["template"] == {"name": "standard", "version": 1}
    assert await platform.converge(name) == "ready"
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    # The renderer without any template (what every namespace got before templates) gives the digest
    # the reconciler applied: an upgrade re-applies nothing.
    before = render.render_bundle(
        record.spec, platform.settings, request_id=record.id, requested_by=record.requested_by
    )
    assert record.applied_digest == before.digest
    shown = await platform.call("GET", f"/namespaces/{name}")
    assert shown.json()["data"]["template"] == {"name": "standard", "version": 1}
    assert shown.json()["data"]["templatePinned"] is False
    listed = await platform.call("GET", "/templates/standard")
    data = listed.json()["data"]
    assert data["current"] == 1
    builtin = data["versions"][0]
    assert (builtin["version"], builtin["builtin"], builtin["state"]) == (1, True, "published")
    assert builtin["spec"]["podSecurity"] == platform.settings.bundle.pod_security


async def test_a_stored_copy_of_version_1_renders_the_same_digest(platform: Platform) -> None:
    """The document is the renderer's whole input: v1's parameters stored as v2 change nothing."""
    v1 = (await platform.call("GET", "/templates/standard/versions/1")).json()["data"]
    v2 = await _create(platform, v1["spec"])
    name = unique("tpl-same")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    record = await platform.rt.repo.find_live_by_name(name)
    assert record is not None
    first = await platform.rt.requests.bundle_of(record)
    second = await platform.rt.requests.bundle_of(record, template=templates.Ref(version=v2["version"]))
    assert first.digest == second.digest


async def test_admins_create_and_publish_versions_and_new_namespaces_get_the_published_one(
    platform: Platform,
) -> None:
    old = unique("tpl-old")
    await platform.call("POST", "/namespaces/request", json=platform.body(old))
    assert await platform.converge(old) == "ready"

    draft = await _create(platform, description="tighter defaults")
    assert (draft["version"], draft["state"], draft["builtin"]) == (2, "draft", False)
    still = await platform.call("GET", "/templates/standard")
    assert still.json()["data"]["current"] == 1  # a draft is not given to new namespaces
    published = await platform.call("POST", "/templates/standard/versions/2/publish", "platform-admin")
    assert published.status_code == 200, published.text
    assert published.json()["data"]["state"] == "published"
    assert published.json()["data"]["publishedBy"] == "dev:platform-admin"

    new = unique("tpl-new")
    accepted = await platform.call("POST", "/namespaces/request", json=platform.body(new))
    assert accepted.json()["data"]["template"] == {"name": "standard", "version": 2}
    assert await platform.converge(new) == "ready"
    manifests = (await platform.call("GET", f"/namespaces/{new}/manifests")).json()["data"]["manifests"]
    by_name = {m["metadata"]["name"]: m for m in manifests}
    assert "nsaas-allow-internet-egress" not in by_name
    assert by_name["nsaas-limits"]["spec"]["limits"][0]["default"] == {"cpu": "250m", "memory": "256Mi"}
    namespace = await platform.rt.cluster.namespace_info(new)
    assert namespace is not None
    assert namespace.labels["example.com/bundle"] == "v2"
    assert namespace.labels["pod-security.kubernetes.io/enforce"] == "restricted"

    # The namespace created before the publish still runs version 1: only a rollout moves it.
    kept = (await platform.call("GET", f"/namespaces/{old}")).json()["data"]
    assert kept["template"] == {"name": "standard", "version": 1}
    listed = await platform.call("GET", "/namespaces", params={"team": "team-a"})
    versions = {item["name"]: item["template"]["version"] for item in listed.json()["data"]["items"]}
    assert (versions[old], versions[new]) == (1, 2)

    log = await platform.call("GET", "/audit", "platform-admin", params={"target": "standard@2"})
    actions = sorted(e["action"] for e in log.json()["data"]["items"])
    assert actions == ["template.create", "template.publish"]


async def test_an_import_of_the_same_version_is_a_no_op_and_an_edited_one_is_refused(platform: Platform) -> None:
    await _create(platform, version=2)
    again = await platform.call(
        "POST", "/templates/standard/versions", "platform-admin", json={"version": 2, "spec": V2_SPEC}
    )
    assert again.status_code == 200, again.text
    edited = {**V2_SPEC, "internetEgress": True}
    refused = await platform.call(
        "POST", "/templates/standard/versions", "platform-admin", json={"version": 2, "spec": edited}
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["details"] == {"version": "the next version of standard is 3"}
    skipped = await platform.call(
        "POST", "/templates/standard/versions", "platform-admin", json={"version": 9, "spec": edited}
    )
    assert skipped.status_code == 409, skipped.text
    builtin = await platform.call(
        "POST", "/templates/standard/versions", "platform-admin", json={"version": 1, "spec": edited}
    )
    assert builtin.status_code == 409, builtin.text
    listed = (await platform.call("GET", "/templates/standard")).json()["data"]
    assert [v["version"] for v in listed["versions"]] == [1, 2]


async def test_only_platform_admins_write_and_a_bad_document_names_every_failing_field(platform: Platform) -> None:
    for persona in ("team-a-admin", "team-a-developer"):
        denied = await platform.call("POST", "/templates/standard/versions", persona, json={"spec": V2_SPEC})
        assert denied.status_code == 403, denied.text
    readable = await platform.call("GET", "/templates/standard/versions/1", "team-a-developer")
    assert readable.status_code == 200
    bad = {
        "podSecurity": {"development": "lax", "qa": "restricted"},
        "containerDefaults": {"limit": {"cpu": "9", "memory": "lots"}, "request": {"cpu": "100m", "memory": "1Gi"}},
        "namespaceLabels": {"Not A Key!": "x"},
        "colour": "blue",
    }
    answer = await platform.call("POST", "/templates/standard/versions", "platform-admin", json={"spec": bad})
    assert answer.status_code == 400, answer.text
    details = answer.json()["details"]
    for field in (
        "spec.podSecurity.development",
        "spec.podSecurity.qa.[key]",
        "spec.containerDefaults.limit.memory",
        "spec.namespaceLabels.Not A Key!.[key]",
        "spec.colour",
    ):
        assert field in details, (field, details)
    too_big = {**V2_SPEC, "containerDefaults": {"limit": {"cpu": "9", "memory": "1Gi"}}}
    answer = await platform.call("POST", "/templates/standard/versions", "platform-admin", json={"spec": too_big})
    assert answer.status_code == 400, answer.text
    assert "limit.cpu is above the smallest tier" in answer.json()["details"]["spec.containerDefaults"]
    reserved = {
        **V2_SPEC,
        "namespaceLabels": {"platform.io/team": "team-b", "pod-security.kubernetes.io/enforce": "privileged"},
    }
    answer = await platform.call("POST", "/templates/standard/versions", "platform-admin", json={"spec": reserved})
    assert answer.status_code == 400, answer.text
    assert set(answer.json()["details"]) == {
        "spec.namespaceLabels.platform.io/team",
        "spec.namespaceLabels.pod-security.kubernetes.io/enforce",
    }
    unknown = await platform.call("GET", "/templates/fancy")
    assert unknown.status_code == 404
    missing = await platform.call("GET", "/templates/standard/versions/7")
    assert missing.status_code == 404
    listed = (await platform.call("GET", "/templates/standard")).json()["data"]
    assert [v["version"] for v in listed["versions"]] == [1]  # nothing half-written


async def test_a_platform_admin_pins_a_namespace_and_the_pin_is_on_its_timeline_and_audited(
    platform: Platform,
) -> None:
    name = unique("tpl-pin")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    refused = await platform.call("PUT", f"/namespaces/{name}/template-pin", "team-a-admin", json={"pinned": True})
    assert refused.status_code == 403, refused.text
    pinned = await platform.call("PUT", f"/namespaces/{name}/template-pin", "platform-admin", json={"pinned": True})
    assert pinned.status_code == 200, pinned.text
    assert pinned.json()["data"]["templatePinned"] is True
    timeline = (await platform.call("GET", f"/namespaces/{name}")).json()["data"]["timeline"]
    assert any("pinned to bundle template standard version 1" in e["message"] for e in timeline)
    log = await platform.call("GET", "/audit", "platform-admin", params={"target": name})
    assert "namespace.template-pin" in [e["action"] for e in log.json()["data"]["items"]]


def test_the_environments_of_pod_security_are_the_request_environments() -> None:
    assert set(V2_SPEC["podSecurity"]) == set(requests.ENVIRONMENTS)


async def test_the_upgrade_preview_is_the_per_object_diff_to_the_target_version(platform: Platform) -> None:
    name = unique("tpl-preview")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    same = await platform.call("GET", f"/namespaces/{name}/upgrade-preview")
    assert same.status_code == 200, same.text
    data = same.json()["data"]
    assert (data["current"], data["target"], data["changed"], data["objects"]) == (
        {"name": "standard", "version": 1},
        {"name": "standard", "version": 1},
        False,
        [],
    )
    await _create(platform)
    answer = await platform.call("GET", f"/namespaces/{name}/upgrade-preview", params={"version": 2})
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["target"] == {"name": "standard", "version": 2}
    assert data["changed"] is True
    assert data["currentDigest"] != data["targetDigest"]
    objects = {(o["kind"], o["name"]): o for o in data["objects"]}
    assert set(objects) == {
        ("Namespace", name),
        ("LimitRange", "nsaas-limits"),
        ("NetworkPolicy", "nsaas-allow-internet-egress"),
    }
    assert objects[("NetworkPolicy", "nsaas-allow-internet-egress")]["change"] == "removed"
    namespace_diff = objects[("Namespace", name)]["diff"]
    assert "+    example.com/bundle: v2\n" in namespace_diff
    assert "-    pod-security.kubernetes.io/enforce: baseline\n" in namespace_diff
    assert "bundle-digest" not in namespace_diff
    limits = objects[("LimitRange", "nsaas-limits")]
    assert limits["change"] == "changed"
    assert "+      cpu: 250m\n" in limits["diff"]
    assert "-      cpu: 500m\n" in limits["diff"]
    # A preview changes nothing: the namespace still runs version 1.
    shown = (await platform.call("GET", f"/namespaces/{name}")).json()["data"]
    assert shown["template"] == {"name": "standard", "version": 1}
    missing = await platform.call("GET", f"/namespaces/{name}/upgrade-preview", params={"version": 5})
    assert missing.status_code == 404, missing.text
    hidden = await platform.call("GET", f"/namespaces/{name}/upgrade-preview", "team-b-developer")
    assert hidden.status_code == 404, hidden.text
