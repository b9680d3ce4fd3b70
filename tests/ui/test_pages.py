"""What users see on each page, with the Platform API replaced by the in-memory fake."""

from __future__ import annotations

import re

import httpx

from tests.ui import fake_api
from tests.ui.conftest import SignIn


async def test_an_anonymous_visitor_is_sent_to_the_login_page_and_back(ui: httpx.AsyncClient) -> None:
    answer = await ui.get("/namespaces/alpha")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login?next=%2Fnamespaces%2Falpha"
    page = await ui.get(answer.headers["Location"])
    assert 'name="next" value="/namespaces/alpha"' in page.text
    assert "team-a-developer" in page.text


async def test_an_htmx_request_without_a_session_redirects_the_whole_page(ui: httpx.AsyncClient) -> None:
    answer = await ui.get("/namespaces", headers={"HX-Request": "true"})
    assert answer.headers["HX-Redirect"].startswith("/login?next=")


async def test_a_persona_signs_in_and_sees_only_their_teams_namespaces(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-a-developer")
    page = await ui.get("/namespaces")
    assert 'href="/namespaces/alpha"' in page.text
    assert "bravo" not in page.text
    assert "Sign out" in page.text


async def test_a_foreign_teams_namespace_reads_as_not_found(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-b-developer")
    answer = await ui.get("/namespaces/alpha")
    assert answer.status_code == 404
    assert "Not found" in answer.text
    assert "not visible to you" in answer.text
    assert "Quota usage" not in answer.text


async def test_the_detail_page_shows_quota_cost_basis_and_manifests(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-a-developer")
    page = await ui.get("/namespaces/alpha")
    assert page.status_code == 200
    assert "pods: 2 of 10" in page.text
    assert "85.00 USD" in page.text
    assert "(estimate)" in page.text
    assert "Estimate: quota ceilings x prices" in page.text
    assert "kind: Namespace" in page.text
    assert 'sse-connect="/live/namespaces/alpha?after=1&amp;status=ready&amp;approval=0"' in page.text


async def test_invalid_fields_are_shown_inline_after_submitting(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    csrf = await sign_in("team-a-developer")
    form = {
        "csrf_token": csrf,
        "namespaceName": "Bad_Name",
        "team": "team-a",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        "costCenter": "x" * 60,
    }
    answer = await ui.post("/request", data=form)
    assert answer.status_code == 400
    assert '<p id="err-namespaceName" class="error" aria-live="polite">must be lowercase letters' in answer.text
    assert '<p id="err-costCenter" class="error" aria-live="polite">must be at most 50 characters' in answer.text
    assert 'value="Bad_Name"' in answer.text  # what the user typed is kept


async def test_the_live_preview_shows_errors_only_for_fields_the_user_touched_or_filled(
    ui: httpx.AsyncClient, sign_in: SignIn
) -> None:
    csrf = await sign_in("team-a-developer")
    draft = {
        "namespaceName": "",
        "team": "team-a",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        "ttl": "forever",
    }
    headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}
    answer = await ui.post("/request/preview", data={**draft, "_touched": "ttl"}, headers=headers)
    assert 'id="err-ttl" class="error" aria-live="polite" hx-swap-oob="true">must be a duration' in answer.text
    assert 'id="err-namespaceName" class="error" aria-live="polite" hx-swap-oob="true"></p>' in answer.text
    touched = await ui.post("/request/preview", data={**draft, "_touched": "namespaceName"}, headers=headers)
    assert 'hx-swap-oob="true">is required</p>' in touched.text


async def test_a_policy_violation_appears_beside_its_field_with_the_estimate(
    ui: httpx.AsyncClient, sign_in: SignIn
) -> None:
    csrf = await sign_in("team-a-developer")
    draft = {
        "namespaceName": "shop",
        "team": "team-a",
        "environment": "production",
        "resourceTier": "micro",
        "networkPolicy": "isolated",
    }
    answer = await ui.post("/request/preview", data=draft, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
    assert 'id="err-resourceTier" class="error" aria-live="polite" hx-swap-oob="true">production forbids' in answer.text
    assert "85.00 USD" in answer.text
    assert "refuses this request" in answer.text


async def test_a_valid_request_is_submitted_and_opens_its_detail_page(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    csrf = await sign_in("team-a-developer")
    form = {
        "csrf_token": csrf,
        "namespaceName": "shop",
        "team": "team-a",
        "environment": "production",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        "features": ["monitoring-enhanced"],
        "ttl": "",
    }
    answer = await ui.post("/request", data=form)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/namespaces/shop"
    sent = api.calls("POST", "/namespaces/request")[-1]
    assert b'"features": ["monitoring-enhanced"]' in sent.content.replace(b'":[', b'": [')
    assert b'"ttl"' not in sent.content  # an empty optional field is omitted, not sent as ""
    page = await ui.get("/namespaces/shop")
    assert "It needs approval before it is provisioned." in page.text


async def test_a_catalog_template_prefills_the_request_form(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-a-developer")
    catalog = await ui.get("/catalog")
    assert 'href="/request?template=ml-workspace"' in catalog.text
    form = await ui.get("/request", params={"template": "ml-workspace"})
    assert '<option value="large" selected>' in form.text
    assert 'value="gpu-access" checked' in form.text


async def test_changing_the_tier_sends_the_etag_the_page_was_rendered_from(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    csrf = await sign_in("team-a-developer")
    answer = await ui.post(
        "/namespaces/alpha/change", data={"csrf_token": csrf, "resourceTier": "medium", "etag": '"1"'}
    )
    assert answer.status_code == 303
    assert api.calls("PATCH", "/namespaces/alpha")[-1].headers["If-Match"] == '"1"'
    assert api.namespaces["alpha"]["tier"] == "medium"
    stale = await ui.post("/namespaces/alpha/change", data={"csrf_token": csrf, "resourceTier": "large", "etag": '"1"'})
    page = await ui.get(stale.headers["Location"])
    assert "Someone changed this namespace since you loaded the page" in page.text
    assert api.namespaces["alpha"]["tier"] == "medium"


async def test_a_status_only_version_bump_does_not_block_a_change(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    csrf = await sign_in("team-a-developer")
    api.namespaces["alpha"]["version"] = 5  # the reconciler moved on; tier and features are as shown
    form = {"csrf_token": csrf, "resourceTier": "large", "etag": '"1"', "base": "small|"}
    answer = await ui.post("/namespaces/alpha/change", data=form)
    page = await ui.get(answer.headers["Location"])
    assert "Change submitted" in page.text
    assert api.namespaces["alpha"]["tier"] == "large"
    assert api.calls("PATCH", "/namespaces/alpha")[-1].headers["If-Match"] == '"5"'


async def test_decommissioning_needs_the_name_typed_exactly(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    csrf = await sign_in("team-a-developer")
    wrong = await ui.post("/namespaces/alpha/decommission", data={"csrf_token": csrf, "confirm": "alph"})
    assert wrong.status_code == 400
    assert "Type alpha exactly to confirm." in wrong.text
    assert api.namespaces["alpha"]["status"] == "ready"
    right = await ui.post(
        "/namespaces/alpha/decommission", data={"csrf_token": csrf, "confirm": "alpha", "reason": "done"}
    )
    assert right.status_code == 303
    assert api.namespaces["alpha"]["status"] == "decommissioning"
    assert api.calls("DELETE", "/namespaces/alpha")[-1].url.params["reason"] == "done"


async def test_rejecting_without_a_reason_is_refused_before_calling_the_api(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    api.namespaces["alpha"]["status"] = "pending-approval"
    csrf = await sign_in("platform-admin")
    approvals = await ui.get("/approvals")
    assert 'action="/namespaces/alpha/reject"' in approvals.text
    answer = await ui.post("/namespaces/alpha/reject", data={"csrf_token": csrf, "reason": " ", "back": "/approvals"})
    assert answer.headers["Location"] == "/approvals"
    assert api.calls("POST", "/reject") == []
    assert "needs a reason" in (await ui.get("/approvals")).text
    await ui.post("/namespaces/alpha/approve", data={"csrf_token": csrf, "reason": "ok", "back": "/approvals"})
    assert api.namespaces["alpha"]["status"] == "provisioning"


async def test_approvals_and_audit_are_not_in_a_developers_navigation(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-a-developer")
    home = await ui.get("/")
    assert 'href="/audit"' not in home.text
    assert 'href="/approvals"' not in home.text
    audit = await ui.get("/audit")
    assert audit.status_code == 403
    assert "Not allowed" in audit.text


async def test_the_audit_log_lists_records_for_a_platform_admin(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("platform-admin")
    page = await ui.get("/audit", params={"outcome": "success"})
    assert "namespace.request" in page.text
    assert 'href="/audit"' in page.text


async def test_analytics_charts_get_their_data_and_costs_say_they_are_estimates(
    ui: httpx.AsyncClient, sign_in: SignIn
) -> None:
    await sign_in("platform-admin")
    page = await ui.get("/analytics")
    assert '<script type="application/json" id="d-cost-by-team">' in page.text
    assert '"rows": [["team-a", 85.0], ["team-b", 85.0]]' in page.text
    assert "An estimate, not measured spend. Estimate from the price table." in page.text
    assert "100%" in page.text  # provisioning success rate


async def test_the_dashboard_counts_my_namespaces_and_my_teams_quota(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-a-developer")
    page = await ui.get("/")
    assert "team-a: 1 of 10 namespaces" in page.text
    assert 'href="/namespaces/alpha"' in page.text


async def test_an_unreachable_api_reads_as_unavailable_not_as_a_crash(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    await sign_in("team-a-developer")
    api.down = True
    answer = await ui.get("/namespaces")
    assert answer.status_code == 503
    assert "Platform API unavailable" in answer.text


async def test_audit_filters_offer_the_values_that_occur_and_a_record_shows_what_changed(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    await sign_in("platform-admin")
    page = await ui.get("/audit", params={"action": "namespace.update", "team": "team-a", "until": "2025-01-31"})
    assert '<option value="namespace.update" selected>' in page.text
    assert '<select id="a-team" name="team">' in page.text
    assert "<dt>resourceTier</dt>" in page.text
    assert "small</span>" in page.text
    assert "medium</span>" in page.text
    assert "<dt>team</dt>" not in page.text  # unchanged keys are not listed
    assert "2 changes" in page.text
    # "To" is a day the reader includes: the API gets the next midnight.
    assert api.audit_queries[-1]["until"] == "2025-02-01"
    assert api.audit_queries[-1]["team"] == "team-a"
    assert 'href="/audit/export.csv?' in page.text


async def test_the_audit_export_is_a_csv_of_the_filtered_records(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    await sign_in("platform-admin")
    answer = await ui.get("/audit/export.csv", params={"outcome": "success"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    lines = answer.text.strip().splitlines()
    assert lines[0].startswith("at,actor,roles,action")
    assert "namespace.update" in lines[1]
    assert api.audit_queries[-1]["outcome"] == "success"


async def test_a_ready_namespace_offers_kubectl_snippets_and_its_kubeconfig(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    await sign_in("team-a-developer")
    page = await ui.get("/namespaces/alpha")
    assert 'id="connect"' in page.text
    assert "kubectl --context alpha get pods</pre>" in page.text
    assert 'data-copy="#snippet-1"' in page.text
    assert "kubelogin" in page.text
    assert "<dt>admin</dt><dd>team-a-admins</dd>" in page.text
    download = await ui.get("/namespaces/alpha/kubeconfig")
    assert download.headers["content-disposition"] == 'attachment; filename="alpha.kubeconfig.yaml"'
    assert "current-context: alpha" in download.text
    api.namespaces["alpha"]["status"] = "provisioning"
    assert 'id="connect"' not in (await ui.get("/namespaces/alpha")).text  # nothing to connect to yet


async def test_the_manifest_downloads_as_a_yaml_file(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-a-developer")
    answer = await ui.get("/namespaces/alpha/manifests.yaml")
    assert answer.headers["content-disposition"] == 'attachment; filename="alpha.yaml"'
    assert "kind: Namespace" in answer.text


async def test_unknown_pages_are_html_pages_of_the_portal_not_json(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-a-developer")
    answer = await ui.get("/no/such/page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Page not found" in answer.text
    assert '{"detail"' not in answer.text


async def test_a_platform_admins_dashboard_counts_only_their_own_namespaces_as_theirs(
    ui: httpx.AsyncClient, sign_in: SignIn
) -> None:
    await sign_in("platform-admin")
    page = await ui.get("/")
    assert "No namespaces of yours yet" in page.text
    assert "2 live namespaces across all teams" in page.text


async def test_a_template_limits_the_environments_offered_and_accepted(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    csrf = await sign_in("team-a-developer")
    page = await ui.get("/request", params={"template": "ml-workspace"})
    offered = re.findall(r'<option value="(\w+)"', page.text.split('id="r-env"')[1].split("</select>")[0])
    assert offered == ["development", "staging"]
    form = {
        "csrf_token": csrf,
        "namespaceName": "ml-one",
        "team": "team-a",
        "environment": "production",
        "resourceTier": "large",
        "networkPolicy": "isolated",
        "template": "ml-workspace",
    }
    answer = await ui.post("/request", data=form)
    assert answer.status_code == 400
    assert "template is for development, staging only" in answer.text
    assert not api.calls("POST", "/namespaces/request")  # refused before the API was asked


async def test_a_namespace_expiring_within_a_week_says_so_on_its_page_and_in_the_list(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    import datetime as dt

    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=6)).isoformat()
    api.namespaces["alpha"]["expiresAt"] = soon
    await sign_in("team-a-developer")
    page = await ui.get("/namespaces/alpha")
    assert 'id="expiry-warning"' in page.text
    assert f'<time datetime="{soon}" data-relative' in page.text
    assert "Set a later expiry below" in page.text
    listed = await ui.get("/namespaces")
    assert 'class="expiring"' in listed.text
    api.namespaces["alpha"]["expiresAt"] = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    assert 'id="expiry-warning"' not in (await ui.get("/namespaces/alpha")).text


async def test_a_namespace_retrying_shows_its_attempt_and_cause(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    api.namespaces["alpha"].update(status="provisioning", attempts=2, rootCause="Namespace/alpha: 500 boom")
    api.namespaces["alpha"]["lastError"] = "apply failed: Namespace/alpha: 500 boom; Role/alpha/r: skipped: x"
    await sign_in("team-a-developer")
    page = await ui.get("/namespaces/alpha")
    assert "Attempt 2 of 8 failed</strong>, retrying automatically: Namespace/alpha: 500 boom" in page.text
    assert page.text.count("Role/alpha/r: skipped") == 1  # the full text once, folded away


async def test_a_namespace_waiting_for_an_unreachable_cluster_says_so_without_a_last_attempt(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    cause = "Namespace/alpha: circuit breaker open, Kubernetes API unavailable"
    api.namespaces["alpha"].update(status="provisioning", attempts=12, rootCause=cause, waitingForCluster=True)
    await sign_in("team-a-developer")
    page = await ui.get("/namespaces/alpha")
    assert f"cannot be reached</strong>; waiting and retrying automatically (12 tries so far): {cause}" in page.text
    assert "of 8 failed" not in page.text


async def test_a_viewer_is_offered_no_way_to_request(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("viewer")
    for path in ("/", "/namespaces", "/catalog"):
        page = await ui.get(path)
        assert 'href="/request' not in page.text, path


async def test_a_member_sees_their_teams_limits_and_which_follow_the_defaults(
    ui: httpx.AsyncClient, sign_in: SignIn
) -> None:
    await sign_in("team-a-developer")
    page = await ui.get("/teams")
    assert page.status_code == 200
    assert 'href="/teams"' in page.text
    assert "<strong>team-a</strong>" in page.text
    assert "team-b" not in page.text
    assert "CPU: 8.0 cores" in page.text
    assert "micro, small" in page.text
    assert "owners: g-team-a-owners" in page.text
    assert "CC-A" in page.text
    assert "memory: unlimited" in page.text


async def test_a_viewer_sees_every_team_and_an_unregistered_one_is_marked(
    ui: httpx.AsyncClient, sign_in: SignIn
) -> None:
    await sign_in("viewer")
    page = await ui.get("/teams")
    assert "<strong>team-a</strong>" in page.text
    assert '<strong>team-b</strong> <span class="badge">not registered</span>' in page.text


async def test_platform_roles_follow_a_rollout_wave_by_wave_and_see_why_a_namespace_failed(
    ui: httpx.AsyncClient, sign_in: SignIn
) -> None:
    await sign_in("viewer")
    page = await ui.get("/rollouts")
    assert page.status_code == 200
    assert 'href="/rollouts"' in page.text
    assert "standard version 2" in page.text
    assert "halted at wave 2: 33% of its namespaces failed (threshold 20%)" in page.text
    assert '<tr aria-current="step">' in page.text  # wave 2, where it stopped
    assert '<a href="/namespaces/shop-stg">shop-stg</a> (wave 2): v1/Namespace/shop-stg: denied' in page.text
    assert "1 pinned namespace(s) skipped" in page.text
    assert 'hx-get="/rollouts"' not in page.text  # nothing under way: the page does not poll


async def test_team_members_have_no_rollouts_page(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-a-developer")
    dashboard = await ui.get("/")
    assert 'href="/rollouts"' not in dashboard.text
    page = await ui.get("/rollouts")
    assert page.status_code == 403
