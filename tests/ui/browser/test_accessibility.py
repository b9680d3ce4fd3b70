"""Every page state at phone and desktop width, light and dark: axe-core, fit, and a screenshot.

axe-core is vendored (``vendor/axe-core``, from the npm package) and evaluated into each page by
the driver. A serious or critical violation fails the test; all violations are written to
``test-artifacts/ui/axe/<width>-<theme>.json`` and printed as a table. The screenshots (full
page) go to ``test-artifacts/ui/screenshots`` and are not committed; ``make screenshots`` runs
only this module.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.ui.browser.conftest import ARTIFACTS, SimulatorFaults
from tests.ui.browser.support import SLOW, WIDTHS, Portal, axe, blocking, request_namespace, save_results, unique

pytestmark = pytest.mark.browser
SHOTS = ARTIFACTS / "screenshots"
RESULTS = ARTIFACTS / "axe"


@dataclass(frozen=True)
class State:
    label: str
    persona: str | None
    path: str
    then: Callable[[Page], None] | None = None


def _submit_empty(page: Page) -> None:
    page.get_by_role("button", name="Submit request").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()


def _fill_request(page: Page) -> None:
    page.get_by_label("Namespace name").fill("screenshot-demo")
    expect(page.locator("#preview")).to_contain_text("Valid.")


def _open_bell(page: Page) -> None:
    page.locator("[data-bell] summary").click()
    expect(page.locator("[data-bell] .bell-panel li").first).to_be_visible()


def _open_changes(page: Page) -> None:
    first = page.locator("details.changes").first
    if first.count():
        first.locator("summary").click()


@pytest.fixture(scope="module")
def namespaces(browser: Browser, platform: str) -> Iterator[dict[str, str]]:
    """A ready, a failed and a pending namespace of team A, made once for every state below."""
    setup = Portal(browser, platform)
    faults = SimulatorFaults(Path(os.environ["NSAAS_TEST_DEV_DATA_DIR"]))
    page = setup.signed_in("team-a-developer")
    made = {"ready": unique("a11y-ok"), "failed": unique("a11y-bad"), "pending": unique("a11y-wait")}
    request_namespace(page, made["ready"])
    expect(page.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    faults.fail(verb="patch", resource="namespaces")
    try:
        request_namespace(page, made["failed"])
        expect(page.locator("#status-badge")).to_have_text("failed", timeout=SLOW)
    finally:
        faults.clear()
    request_namespace(page, made["pending"], environment="production")
    yield made
    setup.close()


def _states(ns: dict[str, str]) -> list[State]:
    dev = "team-a-developer"
    return [
        State("login", None, "/login"),
        State("dashboard", dev, "/"),
        State("namespaces", dev, "/namespaces"),
        State("namespace-ready", dev, f"/namespaces/{ns['ready']}"),
        State("namespace-failed", dev, f"/namespaces/{ns['failed']}"),
        State("namespace-pending-requester", dev, f"/namespaces/{ns['pending']}"),
        State("namespace-pending-approver", "platform-admin", f"/namespaces/{ns['pending']}"),
        State("namespace-read-only", "viewer", f"/namespaces/{ns['ready']}"),
        State("request", dev, "/request", _fill_request),
        State("request-errors", dev, "/request", _submit_empty),
        State("request-template", dev, "/request?template=basic-web-app"),
        State("catalog", dev, "/catalog"),
        State("approvals", "platform-admin", "/approvals"),
        State("analytics", dev, "/analytics"),
        State("audit", "platform-admin", "/audit", _open_changes),
        State("notifications-settings", "team-a-admin", "/settings/notifications"),
        State("bell-open", dev, "/", _open_bell),
        State("not-found", dev, "/no/such/page"),
        State("forbidden", dev, "/audit"),
    ]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_state_has_no_serious_axe_violation_and_fits_the_screen(
    portal: Portal, namespaces: dict[str, str], width: int, dark: bool
) -> None:
    theme = "dark" if dark else "light"
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages: dict[str | None, Page] = {}
    report: dict[str, list[dict[str, object]]] = {}
    failures: list[str] = []
    for state in _states(namespaces):
        if state.persona not in pages:
            pages[state.persona] = (
                portal.signed_in(state.persona, width=width, dark=dark)
                if state.persona
                else portal.page(width=width, dark=dark)
            )
        page = pages[state.persona]
        page.goto(state.path)
        page.wait_for_load_state("networkidle")
        if state.label == "analytics":
            page.wait_for_function("document.querySelectorAll('canvas[data-chart]').length > 0")
        if state.then:
            state.then(page)
        found = axe(page)
        report[state.label] = found
        failures += [f"{state.label}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}" for v in blocking(found)]
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            failures.append(f"{state.label}: {overflow}px wider than the screen")
        page.screenshot(path=str(SHOTS / f"{state.label}-{width}-{theme}.png"), full_page=True)
    save_results(RESULTS / f"{width}-{theme}.json", report)
    print(f"\naxe at {width}px, {theme}: violations by impact per page state")
    for label, found in report.items():
        counts = {
            impact: sum(1 for v in found if v.get("impact") == impact)
            for impact in ("critical", "serious", "moderate", "minor")
        }
        print(f"  {label:32} " + " ".join(f"{k}={n}" for k, n in counts.items()))
    assert not failures, "\n".join(failures)
