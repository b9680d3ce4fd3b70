"""The portal in a real browser against the real platform (``nsaas dev``): what a developer does.

Each test signs in through the persona picker in its own browser context (own cookies). "Live"
is checked by setting a marker on ``window`` and asserting it survives the status change: the
page was updated by the SSE stream, not reloaded.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui.browser.support import (
    SLOW,
    Portal,
    assert_not_reloaded,
    mark_page,
    request_namespace,
    unique,
)

pytestmark = pytest.mark.browser


def test_a_developer_requests_a_namespace_sees_it_ready_changes_its_tier_and_decommissions_it(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    name = unique("journey")
    request_namespace(page, name)
    expect(page.locator(".flash")).to_contain_text(f"Requested {name}")
    mark_page(page)
    expect(page.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    expect(page.locator("#overview")).to_contain_text("requests.cpu: 0 of 2", timeout=SLOW)
    expect(page.locator("#timeline li").first).to_be_visible()
    assert_not_reloaded(page)

    page.get_by_label("Resource tier").select_option("medium")
    page.get_by_role("button", name="Apply change").click()
    expect(page.locator(".flash")).to_contain_text("Change submitted")
    mark_page(page)
    expect(page.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    expect(page.locator("#overview")).to_contain_text("requests.cpu: 0 of 4", timeout=SLOW)
    assert_not_reloaded(page)

    decommission = page.get_by_role("button", name=f"Decommission {name}")
    expect(decommission).to_be_disabled()
    page.get_by_label(f"Type {name} to confirm").fill(name)
    expect(decommission).to_be_enabled()
    decommission.click()
    expect(page.locator(".flash")).to_contain_text(f"Decommissioning {name}")
    mark_page(page)
    expect(page.locator("#status-badge")).to_have_text("deleted", timeout=SLOW)
    expect(page.locator("#progress")).to_contain_text("Deleted")
    assert_not_reloaded(page)


def test_a_production_request_waits_until_a_platform_admin_approves_it(portal: Portal) -> None:
    developer = portal.signed_in("team-a-developer")
    name = unique("prod")
    request_namespace(developer, name, environment="production")
    expect(developer.locator(".flash")).to_contain_text("needs approval")
    expect(developer.locator("#status-badge")).to_have_text("pending-approval")
    expect(developer.get_by_role("button", name="Approve")).to_have_count(0)  # developers cannot approve
    mark_page(developer)

    admin = portal.signed_in("platform-admin")
    admin.goto("/approvals")
    admin.get_by_label(f"Reason for approving {name} (optional)").fill("capacity checked")
    admin.locator(f'form[action="/namespaces/{name}/approve"] button').click()
    expect(admin.locator(".flash")).to_contain_text(f"{name} approved")

    expect(developer.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    expect(developer.locator("#progress .stage-done")).to_have_count(4)
    assert_not_reloaded(developer)


def test_invalid_fields_are_flagged_beside_the_field_while_typing(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    page.goto("/request")
    page.get_by_label("Namespace name").fill("Bad_Name")
    expect(page.locator("#err-namespaceName")).to_contain_text("lowercase letters")
    expect(page.locator("#err-costCenter")).to_have_text("")  # untouched fields stay quiet
    page.get_by_label("Namespace name").fill("good-name")
    expect(page.locator("#err-namespaceName")).to_have_text("")
    page.get_by_label("Environment").select_option("production")
    page.get_by_label("Resource tier").select_option("micro")
    expect(page.locator("#err-resourceTier")).to_contain_text("micro")
    expect(page.locator("#preview")).to_contain_text("refuses")
    page.get_by_label("Expire after (optional)").fill("forever")
    expect(page.locator("#err-ttl")).to_contain_text("duration")
    page.get_by_role("button", name="Submit request").click()
    expect(page.locator("#err-ttl")).to_contain_text("duration")
    expect(page.get_by_label("Namespace name")).to_have_value("good-name")


def test_another_teams_namespace_is_not_reachable_by_url(portal: Portal) -> None:
    owner = portal.signed_in("team-a-developer")
    name = unique("private")
    request_namespace(owner, name)
    stranger = portal.signed_in("team-b-developer")
    answer = stranger.goto(f"/namespaces/{name}")
    assert answer is not None
    assert answer.status == 404
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Not found")
    stranger.goto("/namespaces")
    expect(stranger.locator("#ns-table")).not_to_contain_text(name)
