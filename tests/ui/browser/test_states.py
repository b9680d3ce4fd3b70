"""Off the happy path in a real browser: failures and retry, who may do what, forms, errors, lists.

These are the journeys the portal review found broken; each asserts what a user sees.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.ui.browser.conftest import SimulatorFaults
from tests.ui.browser.support import SLOW, Portal, mark_page, request_namespace, unique

pytestmark = pytest.mark.browser


def test_a_failed_namespace_shows_its_root_cause_once_and_retry_brings_it_to_ready(
    portal: Portal, faults: SimulatorFaults
) -> None:
    page = portal.signed_in("team-a-developer")
    name = unique("fails")
    faults.fail(verb="patch", resource="namespaces")
    request_namespace(page, name)
    mark_page(page)
    expect(page.locator("#status-badge")).to_have_text("failed", timeout=SLOW)
    state = page.locator("#state")
    expect(state).to_contain_text("Cause:")
    expect(state.locator(".cause")).to_contain_text(f"Namespace/{name}")
    expect(state.locator(".cause")).to_contain_text("skipped because of it")
    expect(state).to_contain_text("Gave up after 3 of 3 attempts")
    # The long text is there once, folded away; the one-line cause comes first.
    expect(page.locator("details.error-details")).to_have_count(1)
    expect(page.locator("details.error-details pre")).not_to_be_visible()
    shown = page.locator("#main").inner_text()
    assert shown.count("skipped: namespace") == 0, shown

    faults.clear()
    page.get_by_role("button", name="Retry now").click()
    expect(page.locator(".flash")).to_contain_text(f"Retrying {name}")
    expect(page.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    expect(page.locator("#state")).not_to_contain_text("Cause:")


def test_applying_a_change_that_changes_nothing_says_so(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    name = unique("noop")
    request_namespace(page, name)
    expect(page.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    page.reload()
    page.get_by_role("button", name="Apply change").click()
    expect(page.locator(".flash")).to_contain_text("Nothing to apply")
    expect(page.locator("#status-badge")).to_have_text("ready")


def test_a_request_that_never_needed_approval_does_not_show_approval_as_done(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    name = unique("noappr")
    request_namespace(page, name)
    expect(page.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    expect(page.locator("#progress .stage-skipped")).to_have_text(re.compile("Approval not needed"))
    expect(page.locator("#progress .stage-done")).to_have_count(3)


def test_a_viewer_sees_no_write_action_and_is_told_why(portal: Portal) -> None:
    owner = portal.signed_in("team-a-developer")
    name = unique("ro")
    request_namespace(owner, name)
    expect(owner.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    viewer = portal.signed_in("viewer")
    expect(viewer.get_by_role("link", name="Request", exact=True)).to_have_count(0)
    viewer.goto("/namespaces")
    expect(viewer.get_by_role("link", name="Request a namespace")).to_have_count(0)
    viewer.goto(f"/namespaces/{name}")
    for button in ("Apply change", "Set expiry", f"Decommission {name}", "Retry now", "Approve"):
        expect(viewer.get_by_role("button", name=button)).to_have_count(0)
    expect(viewer.locator("#read-only")).to_contain_text("view but not change")


def test_the_requester_cannot_approve_their_own_request_and_sees_why(portal: Portal) -> None:
    admin = portal.signed_in("platform-admin")
    name = unique("self")
    admin.goto("/request")
    admin.get_by_label("Namespace name").fill(name)
    admin.get_by_label("Team").fill("team-a")
    admin.get_by_label("Environment").select_option("production")
    admin.get_by_label("Resource tier").select_option("medium")
    expect(admin.locator("#preview")).to_contain_text("Valid.")
    admin.get_by_role("button", name="Submit request").click()
    admin.wait_for_url(f"**/namespaces/{name}")
    expect(admin.get_by_role("button", name="Approve")).to_have_count(0)
    expect(admin.get_by_role("button", name="Reject")).to_have_count(1)
    expect(admin.locator(".why-not")).to_contain_text("You requested it yourself; a second person must approve it.")
    admin.goto("/approvals")
    item = admin.locator("li.panel", has=admin.get_by_role("link", name=name))
    expect(item.get_by_role("button", name="Approve")).to_have_count(0)
    expect(item).to_contain_text("a second person must approve it")


def test_submitting_an_empty_name_focuses_a_summary_and_the_field_message_stays(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    page.goto("/request")
    page.get_by_role("button", name="Submit request").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Namespace name: is required")
    name = page.get_by_label("Namespace name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#err-namespaceName")).to_have_text("is required")
    page.wait_for_timeout(1500)  # the live preview ran after load; the message must survive it
    expect(page.locator("#err-namespaceName")).to_have_text("is required")
    expect(name).to_have_attribute("aria-invalid", "true")
    described = name.get_attribute("aria-describedby") or ""
    assert "err-namespaceName" in described.split()
    summary.get_by_role("link", name=re.compile("Namespace name")).click()
    expect(name).to_be_focused()
    name.fill("fixed-name")
    expect(page.locator("#err-namespaceName")).to_have_text("")
    expect(name).not_to_have_attribute("aria-invalid", "true")


def test_a_double_click_on_submit_creates_one_request(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    name = unique("once")
    page.goto("/request")
    page.get_by_label("Namespace name").fill(name)
    expect(page.locator("#preview")).to_contain_text("Valid.")
    page.get_by_role("button", name="Submit request").dblclick()
    page.wait_for_url(f"**/namespaces/{name}")
    expect(page.locator(".flash")).to_contain_text(f"Requested {name}")
    page.goto(f"/namespaces?q={name}")
    expect(page.locator("tbody tr")).to_have_count(1)


def test_the_preview_shows_it_is_busy_while_the_estimate_is_on_its_way(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    page.goto("/request")
    expect(page.locator("#preview")).to_contain_text("Fill in")
    page.route("**/request/preview", lambda route: (page.wait_for_timeout(800), route.continue_()))
    page.get_by_label("Namespace name").fill("busy-check")
    expect(page.locator("#preview")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#preview .busy-note")).to_be_visible()
    expect(page.locator("#preview")).to_have_attribute("aria-busy", "false", timeout=5000)
    expect(page.locator("#preview .busy-note")).not_to_be_visible()


def test_on_a_phone_the_cost_stays_in_view_while_filling_in_the_request(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer", width=390)
    name = unique("phone")
    page.goto("/request")
    page.get_by_label("Namespace name").fill(name)
    summary = page.locator("#preview-summary")
    expect(summary).to_contain_text("USD")
    expect(summary).to_contain_text("Valid")
    expect(summary).to_be_in_viewport()
    page.get_by_label("Description").scroll_into_view_if_needed()
    expect(summary).to_be_in_viewport()
    page.get_by_label("Resource tier").select_option("medium")
    expect(summary).to_contain_text("200.00 USD")
    page.get_by_role("button", name="Submit request").click()
    page.wait_for_url(f"**/namespaces/{name}")
    expect(page.locator("#h-cost")).to_be_visible()


def test_unknown_pages_and_refusals_are_pages_of_the_portal(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    answer = page.goto("/no/such/page")
    assert answer is not None
    assert answer.status == 404
    assert "text/html" in answer.headers["content-type"]
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    refused = page.goto("/audit")
    assert refused is not None
    assert refused.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("#main")).not_to_contain_text("role:")


def test_the_list_sorts_shows_owner_cost_expiry_and_age_and_gets_new_rows_live(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    first = unique("lista")
    request_namespace(page, first)
    page.goto("/namespaces")
    for heading in ("Owner", "Cost / month", "Expires", "Age"):
        expect(page.get_by_role("columnheader", name=heading)).to_be_visible()
    row = page.locator(f'tr[data-namespace="{first}"]')
    expect(row).to_contain_text("dev:team-a-developer")
    expect(row).to_contain_text("USD")
    expect(row.locator('td[data-label="Age"] time')).to_have_text(re.compile(r"now|second|minute"))
    assert "CET" in (row.locator('td[data-label="Age"] time').get_attribute("title") or "")  # the reader's zone

    page.get_by_role("link", name="Namespace", exact=True).click()
    expect(page.get_by_role("columnheader", name="Namespace")).to_have_attribute("aria-sort", "ascending")
    names = page.locator("tbody tr td:first-child").all_inner_texts()
    assert names == sorted(names)

    mark_page(page)
    other = portal.signed_in("team-a-admin")
    second = unique("listb")
    request_namespace(other, second)
    expect(page.locator(f'tr[data-namespace="{second}"]')).to_have_count(1, timeout=SLOW)
    assert page.evaluate("window.nsaasNotReloaded === true")


def test_on_a_phone_list_rows_are_cards_with_every_value_labelled(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer", width=390)
    name = unique("card")
    request_namespace(page, name)
    page.goto("/namespaces")
    row = page.locator(f'tr[data-namespace="{name}"]')
    for label in ("Owner", "Cost / month", "Status", "Expires", "Age"):
        cell = row.locator(f'td[data-label="{label}"]')
        cell.scroll_into_view_if_needed()
        expect(cell).to_be_in_viewport()
        box = cell.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 390, f"{label} is off-screen"
    expect(page.get_by_label("Sort by")).to_be_visible()


def test_the_manifest_can_be_copied_and_downloaded(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    name = unique("yaml")
    request_namespace(page, name)
    page.get_by_role("button", name="Copy YAML").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert f"name: {name}" in copied
    with page.expect_download() as download:
        page.get_by_role("link", name="Download YAML").click()
    saved = download.value
    assert saved.suggested_filename == f"{name}.yaml"
    assert "kind: Namespace" in Path(saved.path()).read_text(encoding="utf-8")


def test_dark_mode_follows_the_system_and_the_toggle_overrides_it(portal: Portal) -> None:
    page = portal.signed_in("team-a-developer", dark=True)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 18, 32)"
    toggle = page.locator("[data-theme-toggle]")
    toggle.click()  # system -> light
    expect(toggle).to_have_text("Theme: light")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 249)"
    page.reload()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 249)"
    toggle.click()  # light -> dark
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(11, 18, 32)"


def test_the_nav_counts_approvals_waiting_and_the_bell_lists_recent_events(portal: Portal) -> None:
    developer = portal.signed_in("team-a-developer")
    name = unique("bell")
    request_namespace(developer, name, environment="production")
    admin = portal.signed_in("platform-admin")
    count = admin.locator('nav a[href="/approvals"] .nav-count')
    expect(count).to_have_text(re.compile(r"^[1-9]\d*"))
    developer.goto("/")
    developer.locator("[data-bell] summary").click()
    expect(developer.locator("[data-bell] .bell-panel")).to_contain_text(name)


def _favicon(page: Page) -> int:
    answer = page.request.get("/favicon.ico")
    return answer.status


def test_the_favicon_exists(portal: Portal) -> None:
    page = portal.page()
    assert _favicon(page) == 200


def test_a_team_admin_adds_a_webhook_channel_and_its_secret_path_is_not_shown(portal: Portal) -> None:
    page = portal.signed_in("team-a-admin")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Add channel").click()
    expect(page.locator("#err-n-name")).to_contain_text("characters")
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    name = unique("ops")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Webhook URL").fill("https://hooks.example.test/services/T000/B000/secret")
    page.get_by_label("Payload format").select_option("slack")
    page.get_by_label("Expires soon").uncheck()
    page.get_by_role("button", name="Add channel").click()
    expect(page.locator(".flash")).to_contain_text(f"Channel {name} added")
    channel = page.locator("li.channel", has_text=name)
    expect(channel).to_contain_text("https://hooks.example.test/…")
    expect(channel).not_to_contain_text("secret")
    expect(channel).not_to_contain_text("Expires soon")
    developer = portal.signed_in("team-a-developer")
    developer.goto("/settings/notifications")
    expect(developer.locator("li.channel", has_text=name)).to_be_visible()
    expect(developer.get_by_role("button", name=f"Remove {name}")).to_have_count(0)
    expect(developer.get_by_role("button", name="Add channel")).to_have_count(0)


def _luminance(rgb: str) -> float:
    channels = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_focus_rings_and_input_borders_have_3_to_1_contrast(portal: Portal, dark: bool) -> None:
    """WCAG 1.4.11 (axe checks text contrast, not this): against the panel the control sits on."""
    page = portal.signed_in("team-a-developer", dark=dark)
    page.goto("/request")
    name = page.get_by_label("Namespace name")
    name.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
    colors = name.evaluate(
        "el => { const s = getComputedStyle(el); const panel = getComputedStyle(el.closest('.panel'));"
        " return {outline: s.outlineColor, outlineStyle: s.outlineStyle, border: s.borderTopColor,"
        " panel: panel.backgroundColor}; }"
    )
    assert colors["outlineStyle"] == "solid"
    assert _contrast(colors["outline"], colors["panel"]) >= 3.0, colors
    assert _contrast(colors["border"], colors["panel"]) >= 3.0, colors
    page.locator("body").click(position={"x": 5, "y": 5})
    assert _contrast(name.evaluate("el => getComputedStyle(el).borderTopColor"), colors["panel"]) >= 3.0
